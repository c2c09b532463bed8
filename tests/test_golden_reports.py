"""End-to-end outputs stay byte-identical: the shipped examples and generated benchmark data.

Each case reads definitions and data through the public API (readers, aggregation,
evaluation, quality checks) and renders the report as JSON, CSV, Markdown and terminal
text; every rendering must equal its golden file in ``tests/golden/reports`` byte for byte.
The golden files were written by the code before the vectorised evaluation and the shared
column codes (kpicli 0.x, issue 12): performance work must not change a single byte.

Regenerate on purpose only, after a reviewed change of behaviour:
``KPICLI_REGEN_GOLDEN=1 pytest tests/test_golden_reports.py``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import sys
from pathlib import Path

import pytest
from rich.console import Console

from kpicli.api import build_report
from kpicli.model.results import Report
from kpicli.writers.csvout import render_csv
from kpicli.writers.jsonout import render_json
from kpicli.writers.markdown import render_markdown
from kpicli.writers.terminal import render_terminal
from tests.helpers import write_csv

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "reports"
REGEN = os.environ.get("KPICLI_REGEN_GOLDEN") == "1"
TODAY = dt.date(2026, 11, 30)  # findings that look at "today" (future dates) stay fixed
BENCH_ROWS = 20_000

# A richer KPI file over the benchmark's long data: year-to-date running totals with a
# per-team plan, bands, a schedule with a gap, a change target, min_count, a due date already
# passed, a per-KPI at_risk threshold and a lower-is-better time-bound target.
RICH_KPIS = """\
version: 1
title: Benchmark (rich)
period: month
data:
  layout: long
  kpi_column: kpi
  value_column: value
  date_column: date
defaults:
  thresholds: {at_risk: 0.85}
objectives:
  - {id: obj-a, title: Objective A, perspective: customer, owner: Owner 1}
  - {id: obj-b, title: Objective B, perspective: financial, owner: Owner 2}
kpis:
  - id: total_ytd
    name: KPI 01 year to date
    objective: obj-a
    owner: Owner 1
    unit: count
    direction: higher
    measure: {column: kpi_01, aggregate: sum}
    accumulate: ytd
    target: {value: 150000, per: year}
    targets_by:
      team: {Team 01: 6500, Team 02: 5000, Team 03: 7000, Team 07: 1}
  - id: total_qtd
    name: KPI 05 quarter to date
    objective: obj-a
    owner: Owner 1
    unit: count
    direction: higher
    measure: {column: kpi_05, aggregate: sum}
    accumulate: qtd
    target: {value: 9000, due: 2025-12}
  - id: band_mean
    name: KPI 02 in a band
    objective: obj-b
    owner: Owner 2
    unit: hours
    direction: lower
    measure: {column: kpi_02, aggregate: mean}
    target: {min: 60, max: 75}
  - id: floor_count
    name: KPI 03 count floor
    objective: obj-b
    owner: Owner 2
    unit: count
    direction: higher
    measure: {column: kpi_03, aggregate: count, min_count: 2}
    target: {min: 60}
    thresholds: {at_risk: 0.95}
  - id: scheduled
    name: KPI 04 on a schedule
    objective: obj-a
    owner: Owner 1
    unit: minutes
    direction: lower
    measure: {column: kpi_04, aggregate: max}
    target: {schedule: {2025-10: 150, 2025-12: 140}}
  - id: change_median
    name: KPI 06 median, 10% better
    objective: obj-b
    owner: Owner 2
    unit: hours
    direction: lower
    measure: {column: kpi_06, aggregate: median}
    baseline: {period: 2024-06}
    target: {change: -10%, due: 2026-06}
  - id: overdue
    name: KPI 07 p90 overdue
    objective: obj-a
    owner: Owner 1
    unit: count
    direction: higher
    measure: {column: kpi_07, aggregate: p90}
    baseline: {value: 100, period: 2024-01}
    target: {value: 500, due: 2025-06}
  - id: rising
    name: KPI 08 rising
    objective: obj-b
    owner: Owner 2
    unit: count
    direction: higher
    measure: {column: kpi_08, aggregate: sum}
    baseline: {value: 1000, period: 2025-01}
    target: {value: 2600, due: 2026-03}
  - id: ratio
    name: KPI 09 per KPI 10
    objective: obj-a
    owner: Owner 1
    unit: ratio
    direction: higher
    formula: kpi_09 / kpi_10
    target: 1.0
  - id: missing
    name: Not in the data
    objective: obj-b
    owner: Owner 2
    unit: count
    direction: higher
    measure: {column: kpi_99, aggregate: sum}
    target: 10
"""


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's long CSV at a small size, its KPI file and the rich KPI file."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate  # benchmarks/generate.py: deterministic from its seed
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = tmp_path_factory.mktemp("bench")
    data = generate.long_csv(out, BENCH_ROWS)
    data.rename(out / "long.csv")
    generate.long_kpis(out)
    (out / "kpis_rich.yaml").write_text(RICH_KPIS, encoding="utf-8")
    # The same rows up to 2025-12-17: December is in progress (pro-rated targets, forecasts
    # without the partial period). The file is sorted by date, as exports are.
    lines = (out / "long.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0]] + [x for x in lines[1:] if x[:10] <= "2025-12-17"]
    write_csv(out, "".join(kept), "long_partial.csv")
    return out


# (case name, directory: "examples/<name>" or "bench", KPI file, data, by, period)
CASES: list[tuple[str, str, str, str | None, str | None, str | None]] = [
    ("ecommerce-cx", "examples/ecommerce-cx", "kpis.yaml", None, None, None),
    ("ecommerce-cx-xlsx", "examples/ecommerce-cx", "kpis.yaml", "cx-weekly.xlsx", None, None),
    ("support", "examples/support", "kpis.yaml", None, None, None),
    ("support-by-team", "examples/support", "kpis.yaml", None, "team", None),
    ("support-by-channel-2026-03", "examples/support", "kpis.yaml", None, "channel", "2026-03"),
    ("sales", "examples/sales", "kpis.yaml", None, None, None),
    ("sales-by-rep", "examples/sales", "kpis.yaml", None, "rep", None),
    ("sales-by-region-2026-01", "examples/sales", "kpis.yaml", None, "region", "2026-01"),
    ("warehouse", "examples/warehouse", "kpis.yaml", None, None, None),
    ("bench-long", "bench", "kpis_long.yaml", "long.csv", None, None),
    ("bench-long-by-team", "bench", "kpis_long.yaml", "long.csv", "team", None),
    ("bench-rich", "bench", "kpis_rich.yaml", "long.csv", None, None),
    ("bench-rich-by-team", "bench", "kpis_rich.yaml", "long.csv", "team", None),
    ("bench-rich-by-team-2025-02", "bench", "kpis_rich.yaml", "long.csv", "team", "2025-02"),
    ("bench-rich-partial", "bench", "kpis_rich.yaml", "long_partial.csv", None, "2025-12"),
    ("bench-rich-partial-by-team", "bench", "kpis_rich.yaml", "long_partial.csv", "team", "2025-12"),
    ("bench-rich-partial-latest", "bench", "kpis_rich.yaml", "long_partial.csv", None, None),
]


def _terminal(report: Report) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, no_color=True, markup=False)
    render_terminal(report, console, explain=True)
    return buf.getvalue()


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"golden file {name} missing; run with KPICLI_REGEN_GOLDEN=1"
    want = path.read_bytes().decode("utf-8")
    if text != want:
        diff = "".join(
            list(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"golden/{name}",
                    "now",
                    n=2,
                )
            )[:60]
        )
        pytest.fail(f"{name} differs from its golden file:\n{diff}")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_report_outputs_are_byte_identical(
    case: tuple[str, str, str, str | None, str | None, str | None],
    bench_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, where, kpis, data, by, period = case
    # Run from the case's folder: sources and locations are then the same relative paths
    # wherever the repository (or the temporary benchmark folder) is.
    monkeypatch.chdir(bench_dir if where == "bench" else ROOT / where)
    if name == "warehouse":
        pytest.importorskip("duckdb", reason="the warehouse example reads Parquet through DuckDB")
    # Six periods of history for the generated data keep its golden files small.
    history = 6 if where == "bench" else 12
    rep = build_report(
        kpis, [data] if data else None, by=by, period=period, history=history, today=TODAY
    )
    _compare(f"{name}.json", render_json(rep))
    _compare(f"{name}.csv", render_csv(rep))
    _compare(f"{name}.md", render_markdown(rep, explain=True))
    _compare(f"{name}.txt", _terminal(rep))
