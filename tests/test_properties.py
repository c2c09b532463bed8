"""Property tests (hypothesis): whatever the definitions, data or bytes, no crash and no drift.

* Random valid KPI files (every target form, direction, unit, aggregate, filters, formulas)
  over random records data: the engine returns a report or raises KpiError (a documented
  user error), and every writer renders that report.
* Random bytes as ``kpis.yaml``, ``data.csv`` or ``data.xlsx`` through the CLI: exit 0, 1 or
  2 with a message, never a traceback and never an "unexpected" error.
* Row order, and splitting the data into two files read together, never change a KPI value.

Example counts are set per property below as CI runs them (250, 250 and 150; about 50 s in
all); a local run tries a quarter (tests/hypothesis_budget.py). For a longer run (ten times
the examples): ``HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import kpicli.cli  # noqa: F401 - registers every command
from kpicli import limits
from kpicli.engine.report import build_report
from kpicli.errors import KpiError
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Source, Table
from kpicli.writers.csvout import render_csv
from kpicli.writers.jsonout import render_json
from kpicli.writers.markdown import render_markdown
from tests.corpus_cases import KPIS, data_csv, data_xlsx
from tests.helpers import invoke, write_csv, write_kpis
from tests.hypothesis_budget import examples

COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
TODAY = dt.date(2026, 12, 31)
MEASURES = ["m0", "m1", "m2"]
TEAMS = ["North", "South", "East"]


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(limits.ENV, raising=False)
    limits.reset()


# --------------------------------------------------------------------------- strategies

GRAINS = ["week", "month", "quarter", "year"]
UNITS = [None, "percent", "count", "currency:EUR", "hours", "days", "points", "ratio", "widgets"]
AGGS = [
    None,
    "sum",
    "mean",
    "median",
    "min",
    "max",
    "count",
    "nunique",
    "first",
    "last",
    "p10",
    "p50",
    "p90",
    "p99",
]
FILTERS = [
    "team == 'North'",
    "team in ['North', 'South']",
    "team != 'East' and m0 > 0",
    "m1 >= 10 or isnull(m2)",
    "notnull(m0) and not (m0 > 1000)",
    "contains(team, 'th')",
    "abs(m0 - m1) < 50",
    "team == 'Nobody'",
]
PERIODS = [
    "2025-06",
    "2025-12",
    "2026-01",
    "2026-03",
    "2026-Q2",
    "2026-W20",
    "2026",
    "FY2026",
    "2026-09",
    "2026-12",
    "2027-06",
]
numbers = st.one_of(
    st.integers(-1000, 100_000),
    st.floats(-1e6, 1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from(["85%", "1.2M", "15k", "0", "-20"]),
)


@st.composite
def targets(draw: st.DrawFn) -> dict[str, Any] | Any:
    form = draw(
        st.sampled_from(
            ["scalar", "value", "due", "change", "min", "max", "band", "ytd", "schedule"]
        )
    )
    if form == "scalar":
        return draw(numbers)
    if form == "value":
        return {"value": draw(numbers)}
    if form == "due":
        return {"value": draw(numbers), "due": draw(st.sampled_from(PERIODS))}
    if form == "change":
        change = draw(st.sampled_from(["+10", "-20%", 5, "+150%", -3.5]))
        out: dict[str, Any] = {"change": change}
        if draw(st.booleans()):
            out["due"] = draw(st.sampled_from(PERIODS))
        return out
    if form == "min":
        return {"min": draw(numbers)}
    if form == "max":
        return {"max": draw(numbers)}
    if form == "band":
        a, b = sorted([draw(st.integers(-100, 1000)), draw(st.integers(-100, 1000))])
        return {"min": a, "max": b}
    if form == "ytd":
        return {"value": draw(numbers), "per": "year"}
    keys = draw(st.lists(st.sampled_from(PERIODS), min_size=1, max_size=4, unique=True))
    return {"schedule": {k: draw(numbers) for k in keys}}


@st.composite
def kpi_files(draw: st.DrawFn, *, order_free: bool = False) -> dict[str, Any]:
    """The raw YAML data of a valid-looking KPI file over columns m0..m2 and team."""
    n = draw(st.integers(1, 4))
    kpis: list[dict[str, Any]] = []
    for i in range(n):
        k: dict[str, Any] = {"id": f"k{i}", "name": f"KPI number {i}"}
        if draw(st.booleans()):
            k["unit"] = draw(st.sampled_from(UNITS))
        k["direction"] = draw(st.sampled_from(["higher", "lower"]))
        measure: dict[str, Any] = {"column": draw(st.sampled_from(MEASURES))}
        aggs = [a for a in AGGS if a not in ("first", "last")] if order_free else AGGS
        agg = draw(st.sampled_from(aggs))
        if agg:
            measure["aggregate"] = agg
        if draw(st.integers(0, 3)) == 0:
            measure["where"] = draw(st.sampled_from(FILTERS))
        if draw(st.integers(0, 5)) == 0:
            measure["min_count"] = draw(st.integers(1, 5))
        k["measure"] = measure
        if draw(st.integers(0, 4)) > 0:
            k["target"] = draw(targets())
            if isinstance(k["target"], dict) and k["target"].get("per"):
                k["accumulate"] = draw(st.sampled_from(["ytd", "qtd"]))
        if draw(st.booleans()):
            base: dict[str, Any] = {"value": draw(numbers)}
            if draw(st.booleans()):
                base["period"] = draw(st.sampled_from(PERIODS))
            k["baseline"] = base
        if draw(st.integers(0, 4)) == 0:
            k["targets_by"] = {"team": {t: draw(numbers) for t in TEAMS[:2]}}
        if draw(st.integers(0, 4)) == 0:
            k["thresholds"] = {"at_risk": draw(st.floats(0, 1))}
        k["weight"] = draw(st.sampled_from([1, 0, 2.5]))
        kpis.append(k)
    if n >= 2 and draw(st.booleans()):
        a, b = draw(st.permutations([k["id"] for k in kpis]))[:2]
        op = draw(st.sampled_from(["/", "*", "+", "-"]))
        kpis.append(
            {
                "id": "f0",
                "name": "A formula KPI",
                "formula": f"{a} {op} {b}",
                "direction": draw(st.sampled_from(["higher", "lower"])),
                "target": draw(targets()),
            }
        )
    raw: dict[str, Any] = {
        "version": 1,
        "title": "Property scorecard",
        "period": draw(st.sampled_from(GRAINS)),
        "fiscal_year_start": draw(st.sampled_from([1, 4, 7, 10])),
        "kpis": kpis,
    }
    if draw(st.booleans()):
        raw["defaults"] = {"thresholds": {"at_risk": draw(st.floats(0, 1))}}
    return raw


def model_of(raw: dict[str, Any]) -> KPIFile:
    try:
        return KPIFile.model_validate(raw)
    except ValidationError:
        assume(False)
        raise AssertionError("unreachable") from None


value_cells = st.one_of(
    st.none(),
    st.floats(-1e6, 1e9, allow_nan=False, allow_infinity=False),
    st.integers(-50, 500).map(float),
    st.just(0.0),
)


@st.composite
def records(draw: st.DrawFn, *, min_rows: int = 0) -> list[tuple[dt.date, str, list[float | None]]]:
    n = draw(st.integers(min_rows, 60))
    start = dt.date(2024, 1, 1)
    days = draw(st.lists(st.integers(0, 3 * 365), min_size=n, max_size=n))
    out = []
    for d in days:
        team = draw(st.sampled_from(TEAMS))
        out.append((start + dt.timedelta(days=d), team, [draw(value_cells) for _ in MEASURES]))
    return out


def table_of(rows: list[tuple[dt.date, str, list[float | None]]]) -> Table:
    frame = pd.DataFrame(
        {
            "_date": pd.to_datetime(pd.Series([r[0] for r in rows], dtype="object")).astype(
                "datetime64[ns]"
            ),
            "team": pd.Series([r[1] for r in rows], dtype="str"),
            **{
                m: pd.Series(
                    [np.nan if r[2][j] is None else r[2][j] for r in rows], dtype="float64"
                )
                for j, m in enumerate(MEASURES)
            },
            "_src": pd.Series(np.zeros(len(rows), dtype=np.int64)),
            "_row": pd.Series(np.arange(2, len(rows) + 2, dtype=np.int64)),
        }
    )
    columns = {"date": "1", "team": "2", **{m: str(j + 3) for j, m in enumerate(MEASURES)}}
    return Table(
        frame=frame,
        layout="records",
        sources=[Source(path="data.csv", columns=columns)],
        date_label="date",
        native_grain="day",
    )


# ---------------------------------------------------------------- 1. the engine never crashes


@settings(max_examples=examples(250), **COMMON)
@given(
    raw=kpi_files(),
    rows=records(),
    by=st.sampled_from([None, None, "team"]),
    period=st.sampled_from([None, None, None, "2025-03", "2026-06"]),
)
def test_engine_never_crashes(
    raw: dict[str, Any], rows: list[Any], by: str | None, period: str | None
) -> None:
    model = model_of(raw)
    try:
        report = build_report(model, table_of(rows), period=period, by=by, today=TODAY)
    except KpiError as exc:  # documented user errors: no data, period outside the data
        assert str(exc) and "\n" not in str(exc)
        event(f"KpiError: {str(exc)[:30]}")
        return
    event("report" + (" by team" if by else ""))
    doc = json.loads(render_json(report))  # strict JSON: no NaN, no Infinity
    assert doc["schema"] == "kpicli.report/1"
    for k in doc["kpis"]:
        assert k["status"] in {"met", "on_track", "at_risk", "off_track", "no_data"}
        assert k["why"]
    render_csv(report)
    render_markdown(report, explain=True)


# --------------------------------------------------------- 2. random bytes never a traceback


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    for pos, byte in edits:
        if buf:
            buf[pos % len(buf)] = byte
    return bytes(buf)


edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8)
yaml_bytes = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=400).map(str.encode),
    st.builds(_mutate, st.just(KPIS.encode()), edits),
    st.builds(lambda cut: KPIS.encode()[:cut], st.integers(0, len(KPIS))),
)
csv_bytes = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=400).map(str.encode),
    st.builds(_mutate, st.just(data_csv()), edits),
    st.builds(lambda cut: data_csv()[:cut], st.integers(0, len(data_csv()))),
)
XLSX = data_xlsx()
xlsx_bytes = st.one_of(
    st.binary(max_size=4000),
    st.builds(_mutate, st.just(XLSX), edits),
    st.builds(lambda cut: XLSX[:cut], st.integers(0, len(XLSX))),
    st.builds(lambda b: b"PK\x03\x04" + b, st.binary(max_size=500)),
)


def _run(folder: Path, args: list[str]) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = invoke(*args)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    err = result.stderr
    event(f"exit {result.exit_code}: {err[:28]}")
    assert "Traceback" not in err + result.stdout
    # The last-resort guard ("unexpected X: ... (run with --debug for details)") caught an
    # error nobody had anticipated: a bug, even without a traceback.
    assert "(run with --debug for details)" not in err, err
    if result.exit_code == 2:
        assert err.startswith("kpi: error: ") and err.count("kpi: error:") == 1, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@settings(max_examples=examples(250), **COMMON)
@given(
    which=st.sampled_from(["kpis.yaml", "data.csv", "data.xlsx"]),
    data=st.data(),
    command=st.sampled_from(["report", "validate", "show"]),
)
def test_random_bytes_never_give_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, which: str, data: st.DataObject, command: str
) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    strategy = {"kpis.yaml": yaml_bytes, "data.csv": csv_bytes, "data.xlsx": xlsx_bytes}[which]
    payload = data.draw(strategy)
    (folder / "kpis.yaml").write_bytes(payload if which == "kpis.yaml" else KPIS.encode())
    data_name = "data.xlsx" if which == "data.xlsx" else "data.csv"
    (folder / data_name).write_bytes(payload if which != "kpis.yaml" else data_csv())
    kpis, dat = str(folder / "kpis.yaml"), str(folder / data_name)
    if command == "report":
        args = ["report", kpis, "--data", dat, "--no-color", "-f", "json"]
    elif command == "validate":
        args = ["validate", kpis, "--data", dat, "--format", "json", "--today", "2026-12-31"]
    else:
        args = ["show", "revenue", kpis, "--data", dat, "--no-color"]
    _run(folder, args)


# --------------------------------------------- 3. row order and file splitting change nothing


def _write_csv(path: Path, rows: list[tuple[dt.date, str, list[float | None]]]) -> None:
    table = [["date", "team", *MEASURES]]
    for d, team, values in rows:
        table.append([d.isoformat(), team, *("" if v is None else repr(float(v)) for v in values)])
    write_csv(path.parent, table, path.name)


def _values(report: Any) -> list[dict[str, Any]]:
    doc = json.loads(render_json(report))
    for k in doc["kpis"]:
        k.pop("why", None)  # the same numbers, but printed from floats that may differ in ulp
        if k.get("previous") is not None and abs(k["previous"]) < 1e-9:
            # A change relative to a previous value that is zero up to rounding (29 - 29 +
            # 1e-182, summed in another row order) is not a stable number: left out.
            k.pop("delta_pct", None)
    return doc["kpis"]


def _close(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=examples(150), **COMMON)
@given(
    raw=kpi_files(order_free=True),
    rows=records(min_rows=2),
    seed=st.integers(0, 2**32 - 1),
    by=st.sampled_from([None, "team"]),
    variant=st.sampled_from(["shuffled", "split", "shuffled and split"]),
)
# A failing example once found: one file's values all <= 1 were scaled as percent fractions,
# the other's were not (see also tests/test_percent_scaling.py).
@example(
    raw={
        "version": 1,
        "period": "month",
        "kpis": [
            {"id": "k0", "name": "KPI number 0", "unit": "percent",
             "measure": {"column": "m0", "aggregate": "mean"}},
        ],
    },
    rows=[
        (dt.date(2024, 1, 10), "North", [0.5, None, None]),
        (dt.date(2024, 1, 20), "North", [60.0, None, None]),
    ],
    seed=0,
    by=None,
    variant="split",
)
def test_row_order_and_splitting_do_not_change_results(
    tmp_path_factory: pytest.TempPathFactory,
    raw: dict[str, Any],
    rows: list[Any],
    seed: int,
    by: str | None,
    variant: str,
) -> None:
    import yaml

    from kpicli.api import build_report as api_build

    model_of(raw)
    folder = tmp_path_factory.mktemp("order")
    kpis = write_kpis(folder, yaml.safe_dump(raw, sort_keys=False))
    other = rows[:]
    if "shuffled" in variant:
        random.Random(seed).shuffle(other)
    cut = random.Random(seed + 1).randint(1, len(rows) - 1)
    _write_csv(folder / "all.csv", rows)
    if "split" in variant:
        _write_csv(folder / "a.csv", other[:cut])
        _write_csv(folder / "b.csv", other[cut:])
        files = ["a.csv", "b.csv"]
    else:
        _write_csv(folder / "other.csv", other)
        files = ["other.csv"]

    def run(*files: str) -> Any:
        try:
            report = api_build(kpis, [str(folder / f) for f in files], by=by, today=TODAY)
        except KpiError as exc:
            return ("error", str(exc).split(":")[0])
        return _values(report)

    first = run("all.csv")
    event("error" if isinstance(first, tuple) else "report")
    assert _close(run(*files), first)
