"""The server-side SQL a user would write on PostgreSQL (psycopg; URL in argv, password in
PGPASSWORD): per KPI and month, sum, mean, count, max."""

import json
import sys

import psycopg

url, table = sys.argv[1], sys.argv[2]
with psycopg.connect(url) as con:
    rows = con.execute(
        f"SELECT kpi, date_trunc('month', date) AS month, sum(value), avg(value), count(value), "
        f'max(value) FROM "{table}" GROUP BY 1, 2'
    ).fetchall()
sys.stdout.write(json.dumps(rows, default=str))
