"""The DuckDB SQL a user would write over the long Parquet file: per KPI and month, the
aggregates the benchmark KPI file asks for (sum, mean, count, max)."""

import json
import sys

import duckdb

path, by = sys.argv[1], sys.argv[2:]
keys = ", ".join(["kpi", *by, "date_trunc('month', date) AS month"])
rows = duckdb.sql(
    f"SELECT {keys}, sum(value), avg(value), count(value), max(value) "
    f"FROM read_parquet('{path}') GROUP BY ALL"
).fetchall()
sys.stdout.write(json.dumps(rows, default=str))
