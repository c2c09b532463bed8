"""Large CSV files through DuckDB (``data.engine: auto`` above the size threshold, or
``duckdb``): read options from kpicli's own detection on a sample, the same numbers and the
same report JSON as the pandas path, and the pandas path with a note when DuckDB cannot read
the file the same way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import invoke, write_csv
from tests.sql_helpers import actuals_of, assert_same, kpi_file, team_rows

pytest.importorskip("duckdb")  # the [sql] extra; the test extra installs it
pytest.importorskip("sqlglot")

RECORDS_KPIS = """  - id: handled
    name: Tickets handled
    unit: count
    measure: {column: handled, aggregate: sum, where: "team != 'West'"}
    target: 300
  - id: score
    name: Mean score
    unit: score
    measure: {column: score, aggregate: mean}
    target: 2.5
  - id: p90
    name: Score p90
    unit: score
    measure: {column: score, aggregate: p90, where: "handled > 3"}
    target: 4
  - id: last_score
    name: Last score
    unit: score
    measure: {column: score, aggregate: last}
    target: 3
  - id: teams
    name: Rows with a team
    unit: count
    measure: {column: team, aggregate: count}
    target: 10
"""


def records(n: int = 1200, seed: int = 5) -> pd.DataFrame:
    """Team names with a leading space and empty ones; every 37th score missing."""
    return team_rows(n, seed, teams=("North", " South", "West", ""), no_score_every=37)


def write_european(frame: pd.DataFrame, path: Path) -> None:
    """Semicolons, decimal commas, day.month.year dates, a title line above the header."""
    out = frame.copy()
    out["day"] = out["day"].dt.strftime("%d.%m.%Y")
    for c in ("handled", "score"):
        out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:g}".replace(".", ","))
    path.write_text("Ticket export\n" + out.to_csv(sep=";", index=False), encoding="utf-8")


def report_json(kpis: Path, data: Path, *extra: str) -> dict:
    res = invoke("report", kpis, "--data", data, "-f", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_report_json_from_a_csv_equal_through_pandas_and_duckdb(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    write_european(records(), data)
    docs = []
    for engine in ("pandas", "duckdb"):
        (tmp_path / engine).mkdir()
        path = kpi_file(tmp_path / engine, RECORDS_KPIS, data=f"  engine: {engine}")
        doc = report_json(path, data, "--by", "team")
        notes = doc.pop("notes", [])
        assert any("aggregated in DuckDB" in n for n in notes) == (engine == "duckdb")
        doc["findings"] = [f for f in doc["findings"] if f["rule"] != "D600"]
        docs.append(doc)
    assert docs[0]["kpis"] and docs[0] == docs[1]


def test_long_csv_actuals_equal_by_member(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 900
    frame = pd.DataFrame({
        "date": (pd.Timestamp("2025-03-01")
                 + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).strftime("%Y-%m-%d"),
        "metric": rng.choice(np.array(["visits", "orders", "Revenue"], dtype=object), n),
        "region": rng.choice(np.array(["eu", "us"], dtype=object), n),
        "value": np.round(rng.random(n) * 100, 3),
    })
    frame.to_csv(tmp_path / "long.csv", index=False)
    kpis = (
        "  - id: visits\n    name: Visits\n    unit: count\n    measure: {aggregate: sum}\n"
        "  - id: orders\n    name: Orders\n    unit: count\n    measure: {aggregate: max}\n"
        "  - id: revenue\n    name: Revenue\n    unit: count\n    measure: {aggregate: median}\n"
    )
    spec = "  layout: long\n  kpi_column: metric\n  value_column: value\n  date_column: date"
    path = kpi_file(tmp_path, kpis, period="quarter", fys=4, data=spec)
    data = [str(tmp_path / "long.csv")]
    expected = actuals_of(path, data, engine="pandas", by="region")
    got = actuals_of(path, data, engine="duckdb", by="region")
    assert assert_same(expected, got, "long csv") > 0


def test_a_cell_duckdb_cannot_read_falls_back_to_pandas_with_a_note(tmp_path: Path) -> None:
    """A number column with a footnote far below the sample: the load fails in DuckDB, and
    the pandas path reads the file (its D601 names the cell)."""
    frame = records(20000)
    frame["score"] = frame["score"].astype(object)
    frame.loc[19990, "score"] = "n/a (late)"
    data = tmp_path / "rows.csv"
    frame.to_csv(data, index=False)
    assert data.stat().st_size > 256 * 1024  # the bad cell is past the sample
    path = kpi_file(tmp_path, RECORDS_KPIS, data="  engine: duckdb")
    doc = report_json(path, data)
    note = [n for n in doc["notes"] if "read by pandas, not DuckDB" in n]
    assert len(note) == 1 and "rows.csv" in note[0]
    rules = {f["rule"] for f in doc["findings"]}
    assert "D601" in rules and "D600" not in rules


def test_dates_duckdb_cannot_spell_stay_with_pandas(tmp_path: Path) -> None:
    data = write_csv(tmp_path, "quarter,handled\n2025-Q1,3\n2025-Q2,4\n2025-Q3,5\n", "q.csv")
    kpis = ("  - id: handled\n    name: Handled\n    unit: count\n"
            "    measure: {column: handled, aggregate: sum}\n    target: 3\n")
    path = kpi_file(tmp_path, kpis, period="quarter", data="  engine: duckdb")
    doc = report_json(path, data)
    assert any("read by pandas, not DuckDB" in n for n in doc["notes"])
    assert doc["kpis"][0]["actual"] == 5.0


def test_engine_auto_uses_duckdb_above_the_threshold_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpicli.readers import engine_choice

    data = tmp_path / "rows.csv"
    write_european(records(300), data)
    path = kpi_file(tmp_path, RECORDS_KPIS)  # engine: auto (the default)
    below = report_json(path, data)
    assert not any("DuckDB" in n for n in below["notes"])
    monkeypatch.setattr(engine_choice, "CSV_ENGINE_BYTES", data.stat().st_size)
    above = report_json(path, data)
    assert any("aggregated in DuckDB" in n for n in above["notes"])
    for doc in (below, above):
        doc.pop("notes")
        doc["findings"] = [f for f in doc["findings"] if f["rule"] != "D600"]
    assert below == above


def test_engine_auto_without_duckdb_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpicli.readers import engine_choice

    data = tmp_path / "rows.csv"
    write_european(records(300), data)
    path = kpi_file(tmp_path, RECORDS_KPIS)
    monkeypatch.setattr(engine_choice, "CSV_ENGINE_BYTES", 1)
    monkeypatch.setattr(engine_choice, "duckdb_available", lambda: False)
    doc = report_json(path, data)
    assert any("read by pandas (every row in memory)" in n and "kpicli[sql]" in n
               for n in doc["notes"])


def test_a_column_empty_in_the_sample_stays_with_pandas(tmp_path: Path) -> None:
    """A measure that starts after the first lines: its type is the rest of the file's, so
    the file is read by pandas (the KPI is summed there, not refused as text)."""
    frame = records(20000)
    frame["late"] = ""
    frame.loc[19000:, "late"] = "2"
    data = tmp_path / "rows.csv"
    frame.to_csv(data, index=False)
    kpis = RECORDS_KPIS + ("  - id: late\n    name: Late measure\n    unit: count\n"
                           "    measure: {column: late, aggregate: sum}\n    target: 1\n")
    path = kpi_file(tmp_path, kpis, data="  engine: duckdb")
    doc = report_json(path, data)
    assert any("'late'" in n and "read by pandas, not DuckDB" in n for n in doc["notes"])
    assert [k["id"] for k in doc["kpis"]][-1] == "late"
