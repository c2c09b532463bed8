"""The script a user would write instead of kpicli: read the long CSV, group by KPI x month.

usage: pandas_long.py FILE [GROUP_COLUMN...]   (a .xlsx FILE is read with pandas.read_excel;
set BENCH_EXCEL_ENGINE=calamine to use calamine instead of pandas' default, openpyxl)
"""

import os
import sys

import pandas as pd

path, by = sys.argv[1], sys.argv[2:]
if path.endswith(".xlsx"):
    df = pd.read_excel(path, engine=os.environ.get("BENCH_EXCEL_ENGINE") or None)
    df["date"] = pd.to_datetime(df["date"])
else:
    df = pd.read_csv(path, parse_dates=["date"])
df["month"] = df["date"].dt.to_period("M")
out = df.groupby(["kpi", *by, "month"])["value"].agg(["sum", "mean", "count", "max"])
out = out.reset_index()
out["month"] = out["month"].astype(str)
sys.stdout.write(out.to_json(orient="records"))
