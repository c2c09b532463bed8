"""The one profiling query of an engine source (rows, dates, days, labels, duplicates) gives
the findings the pandas path gives on the same rows: D602 duplicate counts per KPI/day/group
(timestamps on the same day are the same entry, as the file readers keep days) and D604."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.helpers import invoke

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")  # the [sql] extra; the test extra installs it

KPIS = """version: 1
title: Profile
period: month
data: {{layout: long, kpi_column: kpi, value_column: value, date_column: date, engine: {engine}}}
kpis:
  - id: a
    name: Alpha things per month
    unit: count
    measure: {{aggregate: sum}}
    target: 1
  - id: b
    name: Beta things per month
    unit: count
    measure: {{aggregate: max}}
    target: 1
"""


def _write(tmp: Path) -> Path:
    stamps = [
        dt.datetime(2026, 1, 5, 9), dt.datetime(2026, 1, 5, 17),  # a/north: one entry twice
        dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 6),  # a/south: two days
        dt.datetime(2026, 2, 3), dt.datetime(2026, 2, 3), dt.datetime(2026, 2, 3),  # b/north x3
        dt.datetime(2099, 1, 1),  # in the future
    ]
    pq.write_table(
        pa.table(
            {
                "date": pa.array(stamps, type=pa.timestamp("us")),
                "kpi": ["a", "a", "a", "a", "b", "b", "b", "b"],
                "team": ["north", "north", "south", "south", "north", "north", "north", "x"],
                "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            }
        ),
        tmp / "data.parquet",
    )
    return tmp / "data.parquet"


def _findings(tmp: Path, engine: str) -> dict[str, dict[str, object]]:
    kpis = tmp / f"kpis_{engine}.yaml"
    kpis.write_text(KPIS.format(engine=engine), encoding="utf-8")
    done = invoke(
        "report", kpis, "--data", tmp / "data.parquet", "--period", "2026-01", "-f", "json",
    )
    assert done.exit_code == 0, done.output
    return {f["rule"]: f for f in json.loads(done.stdout)["findings"]}


def test_duplicates_and_future_rows_as_on_the_pandas_path(tmp_path: Path) -> None:
    _write(tmp_path)
    pandas = _findings(tmp_path, "pandas")
    duck = _findings(tmp_path, "duckdb")
    # Hand-counted: a/north on 2026-01-05 (2 rows), b/north on 2026-02-03 (3 rows).
    for got in (pandas, duck):
        assert got["D602"]["context"] == {"duplicate_groups": 2, "duplicate_rows": 5}
        assert got["D604"]["context"]["future_rows"] == 1
        assert got["D604"]["context"]["latest_date"] == "2099-01-01"
        assert got["D604"]["context"]["column"] == "date"
    assert pandas["D604"]["context"] == duck["D604"]["context"]
    assert "D600" in duck  # the row-level checks skipped in the engine are named


def test_profile_counts_rows_days_and_labels(tmp_path: Path) -> None:
    from kpicli.readers.sql_source import DuckDBBackend, Request, _profile

    path = _write(tmp_path)
    backend = DuckDBBackend(Request(files=[("data.parquet", path)]), None, 30.0)
    try:
        from sqlglot import exp

        rel0 = exp.Alias(this=backend.relation(with_order=False),
                         alias=exp.to_identifier("kpicli_source"))
        prof = _profile(backend, rel0, backend.columns(), "date", "kpi", "value", None,
                        dt.date(2026, 11, 30))
    finally:
        backend.close()
    assert prof.rows == 8
    assert prof.future == 1
    assert prof.labels == ("a", "b")
    assert [str(d)[:10] for d in prof.days] == ["2026-01-05", "2026-01-06", "2026-02-03",
                                                "2099-01-01"]
    assert (prof.dup_groups, prof.dup_rows) == (2, 5)
    assert str(prof.lo)[:19] == "2026-01-05 00:00:00"
    assert str(prof.hi)[:10] == "2099-01-01"
