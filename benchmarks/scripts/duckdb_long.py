"""DuckDB's SQL over the same long CSV: the physical-ish floor for read + group-by."""

import json
import sys

import duckdb

path, by = sys.argv[1], sys.argv[2:]
keys = ", ".join(["kpi", *by, "date_trunc('month', date) AS month"])
rows = duckdb.sql(
    f"SELECT {keys}, sum(value), avg(value), count(value), max(value) "
    f"FROM read_csv('{path}') GROUP BY ALL"
).fetchall()
sys.stdout.write(json.dumps(rows, default=str))
