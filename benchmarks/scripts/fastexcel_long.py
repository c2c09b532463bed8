"""fastexcel (Rust calamine to Arrow) reading the workbook, then the pandas group-by."""

import sys

import fastexcel
import pandas as pd

df = fastexcel.read_excel(sys.argv[1]).load_sheet(0).to_pandas()
df["month"] = pd.to_datetime(df["date"]).dt.to_period("M")
out = df.groupby(["kpi", "month"])["value"].agg(["sum", "mean", "count", "max"]).reset_index()
out["month"] = out["month"].astype(str)
sys.stdout.write(out.to_json(orient="records"))
