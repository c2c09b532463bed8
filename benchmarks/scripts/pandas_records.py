"""The records-layout script: read the CSV, one group-by per month over the ten measures."""

import sys

import pandas as pd

df = pd.read_csv(sys.argv[1], parse_dates=["date"])
df["month"] = df["date"].dt.to_period("M")
measures = [c for c in df.columns if c.startswith("m") and c != "month"]
out = df.groupby("month")[measures].agg(["sum", "mean", "count", "max"])
out.index = out.index.astype(str)
out.columns = ["_".join(c) for c in out.columns]
sys.stdout.write(out.reset_index().to_json(orient="records"))
