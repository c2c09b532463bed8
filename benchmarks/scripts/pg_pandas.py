"""Pull every row from PostgreSQL into pandas, then group (what a script without push-down does)."""

import sys

import pandas as pd
import psycopg

url, table = sys.argv[1], sys.argv[2]
with psycopg.connect(url) as con:
    cur = con.execute(f'SELECT date, kpi, value FROM "{table}"')
    frame = pd.DataFrame(cur.fetchall(), columns=["date", "kpi", "value"])
frame["month"] = pd.to_datetime(frame["date"]).dt.to_period("M")
out = frame.groupby(["kpi", "month"])["value"].agg(["sum", "mean", "count", "max"])
sys.stdout.write(out.to_json())
