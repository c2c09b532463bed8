"""Parquet files read through DuckDB are named from the working directory in findings, as
files read by the pandas path are (team/data.parquet, not data.parquet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import invoke, write_kpis

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")  # the [sql] extra; the test extra installs it

KPIS = """version: 1
title: Paths
period: month
data: {path: data.parquet, layout: long, kpi_column: kpi, value_column: value}
kpis:
  - id: a
    name: Alpha things per month
    unit: count
    measure: {aggregate: sum}
    target: 1
"""


def test_findings_name_the_parquet_file_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    pq.write_table(
        pa.table(
            {
                "date": pa.array(["2026-01-05", "2026-01-05", "2026-02-03"]).cast(pa.date32()),
                "kpi": ["a", "a", "a"],
                "value": [1.0, 2.0, 3.0],
            }
        ),
        team / "data.parquet",
    )
    write_kpis(team, KPIS)
    monkeypatch.chdir(tmp_path)
    done = invoke("report", "team/kpis.yaml", "--period", "2026-01", "-f", "json")
    assert done.exit_code == 0, done.output
    locations = {f["location"] for f in json.loads(done.stdout)["findings"]}
    assert "team/data.parquet" in locations  # D602: the same KPI and day twice
    assert "data.parquet" not in locations
