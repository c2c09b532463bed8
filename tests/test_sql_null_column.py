"""A Parquet column with no value at all (type null) filters like an empty column on both
paths: no row passes, so count and sum are 0 (found by the random conformance test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import invoke, write_kpis

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")  # the [sql] extra; the test extra installs it

KPIS = """version: 1
title: Null column
period: month
data: {{path: data.parquet, engine: {engine}}}
kpis:
  - id: a-orders
    name: Orders placed by team A
    unit: count
    measure: {{column: amount, aggregate: count, where: "`team name` == 'A'"}}
    target: 1
  - id: a-amount
    name: Amount ordered by team A
    unit: count
    measure: {{column: amount, aggregate: sum, where: "`team name` == 'A'"}}
    target: 1
"""


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_all_missing_column_filters_to_no_rows(tmp_path: Path, engine: str) -> None:
    table = pa.table(
        {
            "date": pa.array(["2026-01-05", "2026-01-20", "2026-02-03"]).cast(pa.date32()),
            "team name": pa.array([None, None, None], type=pa.null()),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    pq.write_table(table, tmp_path / "data.parquet")
    write_kpis(tmp_path, KPIS.format(engine=engine))
    done = invoke("report", str(tmp_path / "kpis.yaml"), "--period", "2026-01", "-f", "json"
    )
    assert done.exit_code == 0, done.output
    actual = {k["id"]: k["actual"] for k in json.loads(done.stdout)["kpis"]}
    assert actual == {"a-orders": 0, "a-amount": 0}
