"""Writers render a Report without recomputing it: golden files, injection safety, plain output."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from kpicli.model.results import KPIResult, Report
from kpicli.writers.csvout import COLUMNS, render_csv
from kpicli.writers.jsonout import render_json
from kpicli.writers.markdown import render_markdown
from kpicli.writers.terminal import render_terminal
from tests.xlsx_fixtures import breakdown_report, summary_report

GOLDEN = Path(__file__).parent / "golden"
# Regenerate on purpose only: KPICLI_REGEN_GOLDEN=1 pytest tests/test_writers.py
REGEN = os.environ.get("KPICLI_REGEN_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {name} missing; run with KPICLI_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def plain(report: Report, explain: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, no_color=True, markup=False)
    render_terminal(report, console, explain=explain)
    return buf.getvalue()


@pytest.mark.parametrize("build", [summary_report, breakdown_report])
def test_golden_outputs(build) -> None:
    rep = build()
    name = build.__name__
    golden(f"{name}.json", render_json(rep))
    golden(f"{name}.csv", render_csv(rep))
    golden(f"{name}.md", render_markdown(rep, explain=True))
    golden(f"{name}.txt", plain(rep, explain=True))


def test_json_is_the_report_and_follows_the_contract() -> None:
    rep = summary_report()
    doc = json.loads(render_json(rep))
    assert doc["schema"] == "kpicli.report/1"
    for key in ("title", "period", "grain", "score", "kpis", "findings"):
        assert key in doc
    for k in doc["kpis"]:
        for key in (
            "id",
            "name",
            "unit",
            "direction",
            "group",
            "actual",
            "target",
            "baseline",
            "attainment",
            "progress",
            "expected_progress",
            "status",
            "delta",
            "delta_pct",
            "delta_yoy",
            "forecast",
            "needed",
            "score",
            "why",
            "history",
        ):
            assert key in k
    assert [k["actual"] for k in doc["kpis"]] == [r.actual for r in rep.kpis]


def test_csv_neutralises_formulas_and_keeps_values() -> None:
    rep = Report(
        period="2026-10",
        kpis=[
            KPIResult(
                id="x",
                name='=HYPERLINK("http://evil")',
                owner="@SUM(A1)",
                actual=1.5,
                status="met",
                why="-1+2",
            ),
        ],
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(rep))))
    assert list(rows[0]) == COLUMNS
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["owner"].startswith("'@")
    assert rows[0]["why"].startswith("'-")
    assert rows[0]["actual"] == "1.5"


def test_markdown_escapes_pipes_and_html() -> None:
    rep = Report(period="2026-10", kpis=[KPIResult(id="x", name="a|b <script>", status="no_data")])
    md = render_markdown(rep)
    assert "a\\|b &lt;script&gt;" in md


def test_terminal_shows_rich_markup_literally() -> None:
    rep = Report(period="2026-10", kpis=[KPIResult(id="x", name="[bold red]boom[/]", status="met")])
    out = plain(rep)
    assert "[bold red]boom[/]" in out
    assert "\x1b[" not in out
