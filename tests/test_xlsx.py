"""Tests of the Excel report writer: content, formats, safety, atomic output, LibreOffice."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from external import missing
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from xlsx_fixtures import (
    BELL_NAME,
    INJECTION_NAMES,
    REPS,
    breakdown_report,
    definition_findings,
    kpi_model,
    summary_report,
)

from kpicli.errors import KpiError
from kpicli.model.results import Finding, HistoryPoint, KPIResult, Report, ScoreLine
from kpicli.writers import xlsx
from kpicli.writers.xlsx import (
    STATUS_COLORS,
    STATUS_LABEL,
    SUMMARY_COLUMNS,
    build_workbook,
    delta_format,
    number_format,
    safe_sheet_title,
    write_xlsx,
)

# --- helpers ----------------------------------------------------------------------------------


def _write(tmp_path: Path, report: Report, name: str = "out.xlsx", **kwargs: object) -> Workbook:
    out = tmp_path / name
    write_xlsx(report, out, **kwargs)  # type: ignore[arg-type]
    return openpyxl.load_workbook(out)


def _header_row(ws: Worksheet, first: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"no header row starting with {first!r} in {ws.title}")


def _columns(ws: Worksheet, header_row: int) -> dict[str, int]:
    return {c.value: c.column for c in ws[header_row] if c.value is not None}


def _shown(text: str) -> str:
    """What the writer puts in a cell for a user string."""
    text = text.replace("\x07", "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _summary_rows(ws: Worksheet) -> tuple[int, dict[str, int], dict[str, int]]:
    """(header row, column index by title, row by KPI cell text) of the Summary table."""
    h = _header_row(ws, "KPI")
    cols = _columns(ws, h)
    rows: dict[str, int] = {}
    for r in range(h + 1, ws.max_row + 1):
        if ws.cell(r, cols["Status"]).value is not None:
            rows[ws.cell(r, 1).value] = r
    return h, cols, rows


def _approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value)


@pytest.fixture(scope="module")
def summary_wb(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    tmp = tmp_path_factory.mktemp("summary")
    return _write(
        tmp, summary_report(), model=kpi_model(), definition_findings=definition_findings()
    )


@pytest.fixture(scope="module")
def breakdown_wb(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    return _write(tmp_path_factory.mktemp("breakdown"), breakdown_report())


# --- sheets -----------------------------------------------------------------------------------


def test_sheet_names(summary_wb: Workbook, breakdown_wb: Workbook) -> None:
    assert summary_wb.sheetnames == ["Summary", "Trends", "Definitions", "Data quality"]
    assert breakdown_wb.sheetnames == ["Summary", "Trends", "By rep", "Definitions", "Data quality"]
    assert summary_wb.active.title == "Summary"


def test_workbook_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    wb = _write(tmp_path, summary_report())
    assert wb.properties.creator == "kpicli"
    assert wb.properties.title == "Customer Support Scorecard"
    assert wb.properties.created.year == 2026
    assert wb["Summary"]["A3"].value.startswith("Generated 2026-09-21")


def test_group_sheet_name_is_made_valid(tmp_path: Path) -> None:
    report = breakdown_report()
    report.group_by = "region/zone: [EU]* or?\\ a very long column name indeed"
    wb = _write(tmp_path, report)
    name = wb.sheetnames[2]
    assert len(name) <= 31
    assert not set(name) & set("[]:*?/\\")
    assert name.startswith("By region zone EU")


@pytest.mark.parametrize(
    ("name", "used", "expected"),
    [
        ("Summary", [], "Summary"),
        ("Summary", ["summary"], "Summary (2)"),
        ("Summary", ["Summary", "Summary (2)"], "Summary (3)"),
        ("a/b\\c[d]e:f*g?h", [], "a b c d e f g h"),
        ("x" * 40, [], "x" * 31),
        ("x" * 40, ["x" * 31], "x" * 27 + " (2)"),
        ("'quoted'", [], "quoted"),
        ("", [], "Sheet"),
        ("History", [], "History 1"),
        ("By \x07rep", [], "By rep"),
    ],
)
def test_safe_sheet_title(name: str, used: list[str], expected: str) -> None:
    assert safe_sheet_title(name, used) == expected


# --- Summary ----------------------------------------------------------------------------------


def test_summary_title_block(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    assert ws["A1"].value == "Customer Support Scorecard"
    assert ws["A2"].value == "Period 2026-10 (month)"
    assert ws["A3"].value.startswith("Generated ")
    assert "tickets.xlsx" in ws["A3"].value
    assert ws["A4"].value == "Overall score"
    assert ws["B4"].value == pytest.approx(0.912)
    assert ws["B4"].number_format == "0%"
    assert ws["A5"].value == "6 met · 1 on track · 2 at risk · 5 off track · 1 no data"


def test_summary_title_defaults(tmp_path: Path) -> None:
    wb = _write(tmp_path, Report(kpis=[KPIResult(id="a", name="A")]))
    ws = wb["Summary"]
    assert ws["A1"].value == "KPI scorecard"
    assert ws["A2"].value == "Period — (month)"
    assert ws["B4"].value == "—"


def test_summary_header(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    h = _header_row(ws, "KPI")
    assert [c.value for c in ws[h]] == list(SUMMARY_COLUMNS)


def test_summary_values_equal_results_cell_by_cell(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    report = summary_report()
    assert len(rows) == len(report.kpis)
    for k in report.kpis:
        r = rows[_shown(k.name)]

        def cell(title: str, r: int = r) -> object:
            return ws.cell(r, cols[title]).value

        assert cell("Actual") == _approx(k.actual), k.id
        if k.target is not None:
            assert cell("Target") == pytest.approx(k.target), k.id
        elif k.target_min is not None and k.target_max is not None:
            assert isinstance(cell("Target"), str)
        else:
            assert cell("Target") == _approx(k.target_min if k.target_min is not None else k.target_max)
        assert cell("Attainment") == _approx(k.attainment), k.id
        assert cell("Progress") == _approx(k.progress), k.id
        assert cell("Status") == STATUS_LABEL[k.status], k.id
        assert cell("Δ vs previous") == _approx(k.delta), k.id
        assert cell("Forecast") == _approx(k.forecast), k.id
        assert cell("Needed") == _approx(k.needed), k.id
        assert cell("Score") == _approx(k.score), k.id
        assert cell("Owner") == (_shown(k.owner) if k.owner else None), k.id


def test_summary_objective_bands(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    h, cols, rows = _summary_rows(ws)
    bands = {
        ws.cell(r, 1).value: r
        for r in range(h + 1, ws.max_row + 1)
        if ws.cell(r, 1).fill.fgColor.rgb == "00D9E1F2"
    }
    assert list(bands) == ["Delight our customers", "Run efficiently", "Grow revenue", "Other"]
    assert ws.cell(bands["Delight our customers"], cols["Score"]).value == pytest.approx(0.974)
    assert ws.cell(bands["Run efficiently"], cols["Score"]).value == pytest.approx(0.86)
    assert ws.cell(bands["Other"], cols["Score"]).value is None
    assert ws.cell(bands["Other"], cols["Status"]).value is None
    # Every KPI sits under its objective's band; those without one under Other.
    report = summary_report()
    titles = {o.id: o.title for o in report.objectives}
    order = sorted(bands.items(), key=lambda kv: kv[1])
    for k in report.kpis:
        r = rows[_shown(k.name)]
        band = [t for t, br in order if br < r][-1]
        assert band == titles.get(k.objective or "", "Other"), k.id


def test_summary_without_objectives_has_no_bands(tmp_path: Path) -> None:
    report = summary_report()
    report.objectives = []
    for k in report.kpis:
        k.objective = None
    ws = _write(tmp_path, report)["Summary"]
    h = _header_row(ws, "KPI")
    assert ws.cell(h + 1, 1).value == "Customer satisfaction (CSAT)"


def test_status_fills(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    seen = set()
    for k in summary_report().kpis:
        c = ws.cell(rows[_shown(k.name)], cols["Status"])
        fill, font = STATUS_COLORS[k.status]
        assert c.fill.fill_type == "solid"
        assert c.fill.fgColor.rgb == "00" + fill, k.id
        assert c.font.color.rgb == "00" + font, k.id
        seen.add(k.status)
    assert seen == set(STATUS_LABEL)
    assert STATUS_COLORS["met"] == ("C6EFCE", "006100")
    assert STATUS_COLORS["at_risk"] == ("FFEB9C", "9C5700")
    assert STATUS_COLORS["off_track"] == ("FFC7CE", "9C0006")
    assert STATUS_COLORS["no_data"][0] == "EDEDED"


def test_why_is_a_comment_on_the_status_cell(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for k in summary_report().kpis:
        comment = ws.cell(rows[_shown(k.name)], cols["Status"]).comment
        assert comment is not None, k.id
        assert comment.text == k.why.replace("\x07", ""), k.id


def test_long_why_comment_is_truncated(tmp_path: Path) -> None:
    report = Report(kpis=[KPIResult(id="a", name="A", status="met", why="x" * 50_000)])
    ws = _write(tmp_path, report)["Summary"]
    _, cols, rows = _summary_rows(ws)
    text = ws.cell(rows["A"], cols["Status"]).comment.text
    assert len(text) <= xlsx.MAX_COMMENT_CHARS
    assert text.endswith("…")


UNIT_FORMATS = [
    ("percent", '0.0"%"'),
    ("%", '0.0"%"'),
    ("currency:EUR", '"€"#,##0.00'),
    ("currency:USD", '"$"#,##0.00'),
    ("currency:GBP", '"£"#,##0.00'),
    ("currency:SEK", '#,##0.00" SEK"'),
    ("currency", "#,##0.00"),
    ('currency:E"R', "#,##0.00"),
    ("count", "#,##0"),
    ("hours", '0.0" h"'),
    ("days", '0.0" d"'),
    ("minutes", '0.0" min"'),
    ("ratio", "0.00"),
    ("points", "#,##0.0#"),
    (None, "#,##0.0#"),
    ("widgets", "#,##0.0#"),
]


@pytest.mark.parametrize(("unit", "fmt"), UNIT_FORMATS)
def test_number_format_by_unit(unit: str | None, fmt: str) -> None:
    assert number_format(unit) == fmt


def test_delta_format() -> None:
    assert delta_format("hours") == '"▲ "0.0" h";"▼ "0.0" h";0.0" h"'
    assert delta_format("percent") == '"▲ "0.0" pp";"▼ "0.0" pp";0.0" pp"'
    assert delta_format("currency:EUR") == '"▲ €"#,##0.00;"▼ €"#,##0.00;"€"#,##0.00'


def test_summary_number_formats(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for k in summary_report().kpis:
        r = rows[_shown(k.name)]
        fmt = number_format(k.unit)
        if k.actual is not None:
            assert ws.cell(r, cols["Actual"]).number_format == fmt, k.id
        if k.target is not None:
            assert ws.cell(r, cols["Target"]).number_format == fmt, k.id
        if k.forecast is not None:
            assert ws.cell(r, cols["Forecast"]).number_format == fmt, k.id
        if k.delta is not None:
            assert ws.cell(r, cols["Δ vs previous"]).number_format == delta_format(k.unit)
        for title in ("Attainment", "Progress", "Score"):
            if ws.cell(r, cols[title]).value is not None:
                assert ws.cell(r, cols[title]).number_format == "0%", (k.id, title)
    # One-sided bands keep the number and say which side in the format.
    assert ws.cell(rows["Customer satisfaction (CSAT)"], cols["Target"]).number_format == (
        '"≥ "0.0"%"'
    )
    assert ws.cell(rows["Average handle time"], cols["Target"]).number_format == '"≤ "0.0" min"'
    # A two-sided band is text; a negative bound uses U+2212 so it is not quoted as a formula.
    assert ws.cell(rows["Budget variance"], cols["Target"]).value == "−0.05 – 0.05"


def test_delta_arrow_colour_follows_direction(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)

    def colour(name: str) -> str:
        return ws.cell(rows[name], cols["Δ vs previous"]).font.color.rgb[2:]

    assert colour("Customer satisfaction (CSAT)") == xlsx.GOOD_FONT  # up, higher is better
    assert colour("Median resolution time") == xlsx.GOOD_FONT  # down, lower is better
    assert colour("Cost per resolved ticket") == xlsx.BAD_FONT  # up, lower is better
    assert colour("Tickets resolved") == xlsx.BAD_FONT  # down, higher is better
    assert colour("UK revenue") == xlsx.NEUTRAL_FONT  # no change


def test_forecast_colour(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    assert ws.cell(rows["Median resolution time"], cols["Forecast"]).font.color.rgb[2:] == (
        xlsx.GOOD_FONT
    )
    assert ws.cell(rows["Cost per resolved ticket"], cols["Forecast"]).font.color.rgb[2:] == (
        xlsx.BAD_FONT
    )


def test_summary_freeze_filter_widths(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    h, _, rows = _summary_rows(ws)
    assert ws.freeze_panes == f"B{h + 1}"
    last = max(rows.values())
    assert ws.auto_filter.ref == f"A{h}:L{last}"
    kpi_width = ws.column_dimensions["A"].width
    assert 20 < kpi_width <= 48
    for letter in "BCDEFGHIJKL":
        assert 8 <= ws.column_dimensions[letter].width <= 40, letter


def test_print_setup(summary_wb: Workbook, breakdown_wb: Workbook) -> None:
    for wb in (summary_wb, breakdown_wb):
        for ws in wb.worksheets:
            assert ws.page_setup.orientation == "landscape", ws.title
            assert ws.page_setup.fitToWidth == 1, ws.title
            assert ws.page_setup.fitToHeight == 0, ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
            assert ws.oddFooter.center.text == "Page &P of &N", ws.title
            assert ws.oddHeader.center.text.startswith(wb.properties.title), ws.title
    h = _header_row(summary_wb["Summary"], "KPI")
    assert summary_wb["Summary"].print_title_rows == f"${h}:${h}"


def test_header_escapes_ampersand(tmp_path: Path) -> None:
    wb = _write(tmp_path, Report(title="R&D scorecard"))
    assert wb["Summary"].oddHeader.center.text == "R&&D scorecard — Summary"


def test_non_finite_numbers_are_empty_cells(tmp_path: Path) -> None:
    k = KPIResult(
        id="a", name="A", unit="count", actual=math.nan, target=math.inf, attainment=-math.inf,
        score=math.nan, delta=math.nan, status="no_data",
        history=[HistoryPoint(period="2026-01", actual=math.nan, target=math.inf)],
    )
    wb = _write(tmp_path, Report(kpis=[k], score=math.nan))
    ws = wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for title in ("Actual", "Target", "Attainment", "Score", "Δ vs previous"):
        assert ws.cell(rows["A"], cols[title]).value is None, title
    assert wb["Trends"]._charts == []


def test_empty_report(tmp_path: Path) -> None:
    wb = _write(tmp_path, Report())
    assert wb.sheetnames == ["Summary", "Trends", "Definitions", "Data quality"]
    ws = wb["Summary"]
    h = _header_row(ws, "KPI")
    assert ws.cell(h + 1, 1).value == "No KPIs in this report"
    assert wb["Trends"]["A6"].value == "No history to show"
    assert wb["Definitions"]["A5"].value == "No KPIs defined"


# --- Trends -----------------------------------------------------------------------------------


def test_trends_table(summary_wb: Workbook) -> None:
    ws = summary_wb["Trends"]
    report = summary_report()
    h = _header_row(ws, "Period")
    periods = [ws.cell(r, 1).value for r in range(h + 1, h + 11)]
    assert periods == report.periods
    for j, k in enumerate(report.kpis):
        c_act, c_tgt = 2 + 2 * j, 3 + 2 * j
        assert ws.cell(h - 1, c_act).value == _shown(k.name)
        assert ws.cell(h, c_act).value == "Actual"
        assert ws.cell(h, c_tgt).value == "Target"
        points = {p.period: p for p in k.history}
        for i, period in enumerate(periods):
            p = points.get(period)
            assert ws.cell(h + 1 + i, c_act).value == _approx(p.actual if p else None)
            assert ws.cell(h + 1 + i, c_tgt).value == _approx(p.target if p else None)
            if p and p.actual is not None:
                assert ws.cell(h + 1 + i, c_act).number_format == number_format(k.unit)
    assert ws.freeze_panes == f"B{h + 1}"
    assert f"B{h - 1}:C{h - 1}" in {str(r) for r in ws.merged_cells.ranges}


def test_trends_charts(summary_wb: Workbook) -> None:
    ws = summary_wb["Trends"]
    with_history = [k for k in summary_report().kpis if any(p.actual for p in k.history)]
    assert len(ws._charts) == len(with_history) == len(summary_report().kpis) - 1
    anchors = [(c.anchor._from.col, c.anchor._from.row) for c in ws._charts]
    assert len(set(anchors)) == len(anchors)  # no two charts on top of each other
    cols_used = {col for col, _ in anchors}
    assert 2 <= len(cols_used) <= xlsx.MAX_CHARTS_PER_ROW
    h = _header_row(ws, "Period")
    assert min(row for _, row in anchors) > h + 10  # below the table


def test_trends_chart_series(summary_wb: Workbook) -> None:
    wb = build_workbook(summary_report())
    charts = wb["Trends"]._charts
    first = charts[0]
    assert [s.tx.v for s in first.series] == ["Actual", "Target"]
    assert first.series[1].graphicalProperties.line.dashStyle == "dash"
    assert first.series[0].graphicalProperties.line.dashStyle in (None, "solid")
    assert first.x_axis.delete is False and first.y_axis.delete is False
    # NPS has no target: one series only; each chart covers only its own periods.
    nps = next(c for c in charts if "Net promoter" in str(c.title.tx.rich.p[0].r[0].t))
    assert [s.tx.v for s in nps.series] == ["Actual"]
    h = _header_row(wb["Trends"], "Period")
    first_row, last_row = h + 1 + 6, h + 10  # 2026-07 .. 2026-10 of 2026-01 .. 2026-10
    assert nps.series[0].val.numRef.f.endswith(f"${first_row}:$R${last_row}")
    cat = nps.series[0].cat
    ref = cat.numRef or cat.strRef
    assert ref.f.endswith(f"$A${first_row}:$A${last_row}")


def test_trends_history_limit(tmp_path: Path) -> None:
    wb = _write(tmp_path, summary_report(), history=3)
    ws = wb["Trends"]
    h = _header_row(ws, "Period")
    assert [ws.cell(r, 1).value for r in range(h + 1, h + 5)] == [
        "2026-08", "2026-09", "2026-10", None,
    ]


def test_trends_history_zero_shows_every_period(tmp_path: Path) -> None:
    ws = _write(tmp_path, summary_report(), history=0)["Trends"]
    h = _header_row(ws, "Period")
    assert ws.cell(h + 10, 1).value == "2026-10"
    assert ws.cell(h + 1, 1).value == "2026-01"


def test_odd_group_and_title_names_round_trip(tmp_path: Path) -> None:
    report = breakdown_report()
    report.group_by = "rep's & team"
    report.title = "Q&A =title"
    wb = _write(tmp_path, report)
    assert wb.sheetnames[2] == "By rep's & team"
    ws = wb["By rep's & team"]
    assert ws.print_title_rows == "$4:$4"
    assert wb["Summary"]["A1"].value == "Q&A =title"
    assert wb["Summary"].oddHeader.center.text == "Q&&A =title — Summary"


def test_trends_period_order_without_report_periods(tmp_path: Path) -> None:
    k = KPIResult(
        id="a", name="A", actual=1,
        history=[HistoryPoint(period=p, actual=1.0) for p in ("2026-03", "2026-01", "2026-02")],
    )
    ws = _write(tmp_path, Report(kpis=[k]))["Trends"]
    h = _header_row(ws, "Period")
    assert [ws.cell(r, 1).value for r in range(h + 1, h + 4)] == ["2026-01", "2026-02", "2026-03"]


def test_trends_for_grouped_report_uses_first_group(breakdown_wb: Workbook) -> None:
    ws = breakdown_wb["Trends"]
    assert "rep Alice" in ws["A2"].value
    assert len(ws._charts) == 2  # deals and win rate have history; cycle has none


# --- By <group> -------------------------------------------------------------------------------


def test_by_group_ranks_and_matrix(breakdown_wb: Workbook) -> None:
    ws = breakdown_wb["By rep"]
    report = breakdown_report()
    h = _header_row(ws, "Rank")
    cols = _columns(ws, h)
    assert list(cols) == ["Rank", "Rep", "Score", "Deals won", "Win rate", "Sales cycle"]
    ranked = sorted(report.groups, key=lambda g: g.rank or 0)
    assert [ws.cell(h + 1 + i, 1).value for i in range(5)] == [1, 2, 3, 4, 5]
    assert [ws.cell(h + 1 + i, 2).value for i in range(5)] == [_shown(g.id) for g in ranked]
    assert [ws.cell(h + 1 + i, 3).value for i in range(5)] == [
        pytest.approx(g.score) for g in ranked
    ]
    by_cell = {(k.group, k.id): k for k in report.kpis}
    for i, g in enumerate(ranked):
        for kid, title in (("deals", "Deals won"), ("win-rate", "Win rate"), ("cycle", "Sales cycle")):
            k = by_cell[(g.id, kid)]
            c = ws.cell(h + 1 + i, cols[title])
            assert c.value == _approx(k.actual)
            assert c.fill.fgColor.rgb == "00" + STATUS_COLORS[k.status][0]
            assert c.comment is not None and k.why in c.comment.text
            assert c.comment.text.startswith(STATUS_LABEL[k.status])
            if k.actual is not None:
                assert c.number_format == number_format(k.unit)
    assert ws.freeze_panes == f"D{h + 1}"
    assert ws.auto_filter.ref == f"A{h}:F{h + 5}"
    assert ws.cell(h + 4, 2).value == "'=Evil()"
    assert ws.cell(h + 4, 2).data_type == "s"


def test_by_group_with_overall_row(tmp_path: Path) -> None:
    wb = _write(tmp_path, breakdown_report(with_overall=True))
    ws = wb["By rep"]
    h = _header_row(ws, "Rank")
    assert ws.cell(h + 1, 2).value == "(all)"
    assert ws.cell(h + 1, 4).value == 550
    assert ws.cell(h + 2, 1).value == 1
    # With an overall row, Summary shows only the overall results, without a group column.
    summary = wb["Summary"]
    sh = _header_row(summary, "KPI")
    assert "Rep" not in _columns(summary, sh)
    assert summary.cell(sh + 2, 1).value == "Deals won"


def test_summary_of_grouped_report_lists_every_row(breakdown_wb: Workbook) -> None:
    ws = breakdown_wb["Summary"]
    h = _header_row(ws, "KPI")
    cols = _columns(ws, h)
    assert list(cols)[:3] == ["KPI", "Rep", "Owner"]
    rows = [r for r in range(h + 1, ws.max_row + 1) if ws.cell(r, cols["Status"]).value]
    assert len(rows) == len(breakdown_report().kpis) == 15
    reps = {ws.cell(r, cols["Rep"]).value for r in rows}
    assert reps == {_shown(r) for r in REPS}
    assert ws.auto_filter.ref == f"A{h}:M{max(rows)}"


def test_groups_not_in_score_lines_are_listed(tmp_path: Path) -> None:
    report = breakdown_report()
    report.groups = [g for g in report.groups if g.id != "Chen"]
    ws = _write(tmp_path, report)["By rep"]
    h = _header_row(ws, "Rank")
    assert ws.cell(h + 5, 2).value == "Chen"
    assert ws.cell(h + 5, 1).value is None


# --- Definitions ------------------------------------------------------------------------------


def test_definitions_from_model(summary_wb: Workbook) -> None:
    ws = summary_wb["Definitions"]
    h = _header_row(ws, "ID")
    cols = _columns(ws, h)
    assert list(cols) == list(xlsx.DEFINITION_COLUMNS)
    rows = {ws.cell(r, 1).value: r for r in range(h + 1, ws.max_row + 1)}
    assert list(rows) == ["csat", "resolution-time", "cost-per-ticket", "tickets-resolved", "(file)"]

    def cell(kpi: str, title: str) -> object:
        return ws.cell(rows[kpi], cols[title]).value

    assert cell("csat", "Measure") == (
        "column csat; aggregate mean; where channel == 'email'"
    )
    assert cell("csat", "Baseline") == "78% (2026-01)"
    assert cell("csat", "Target") == "≥ 85%"
    assert cell("csat", "Due") == "2026-12"
    assert cell("csat", "Kind") == "lagging"
    assert cell("csat", "Weight") == 2
    assert cell("csat", "Objective") == "delight-customers"
    assert cell("resolution-time", "Target") == "change -20%"
    assert cell("resolution-time", "SMART findings") == "[S101 warning] KPI has no description."
    assert cell("cost-per-ticket", "Measure") == "formula: support_cost / tickets_resolved"
    assert cell("cost-per-ticket", "Target") == "€12.5"
    assert "T501 error" in cell("cost-per-ticket", "SMART findings")
    assert ws.cell(rows["cost-per-ticket"], cols["SMART findings"]).fill.fgColor.rgb == "00FFC7CE"
    assert cell("tickets-resolved", "Name") == "'=HYPERLINK(\"x\")"
    assert cell("tickets-resolved", "Target").startswith("schedule of 3 (2026-01: 100")
    assert "R401" in cell("(file)", "SMART findings")
    assert ws.freeze_panes == f"B{h + 1}"


def test_definitions_without_model(breakdown_wb: Workbook) -> None:
    ws = breakdown_wb["Definitions"]
    h = _header_row(ws, "ID")
    ids = [ws.cell(r, 1).value for r in range(h + 1, ws.max_row + 1)]
    assert ids == ["deals", "win-rate", "cycle"]
    cols = _columns(ws, h)
    assert ws.cell(h + 1, cols["Target"]).value == "120"
    assert ws.cell(h + 2, cols["Target"]).value == "25%"
    assert ws.cell(h + 3, cols["Direction"]).value == "lower"


# --- Data quality -----------------------------------------------------------------------------


def test_data_quality_rows(summary_wb: Workbook) -> None:
    ws = summary_wb["Data quality"]
    h = _header_row(ws, "Rule")
    assert [c.value for c in ws[h]] == ["Rule", "Severity", "Message", "Location", "KPI"]
    report = summary_report()
    for i, f in enumerate(report.findings):
        r = h + 1 + i
        assert ws.cell(r, 1).value == f.rule
        assert ws.cell(r, 2).value == f.severity
        assert ws.cell(r, 3).value == _shown(f.message)
        assert ws.cell(r, 4).value == f.location
        assert ws.cell(r, 5).value == f.kpi
        assert ws.cell(r, 2).fill.fgColor.rgb == "00" + xlsx.SEVERITY_COLORS[f.severity][0]
    assert ws.max_row == h + len(report.findings)
    assert ws.auto_filter.ref == f"A{h}:E{h + 3}"


def test_data_quality_no_findings(breakdown_wb: Workbook) -> None:
    ws = breakdown_wb["Data quality"]
    h = _header_row(ws, "Rule")
    assert ws.cell(h + 1, 1).value == "No findings"
    assert ws.max_row == h + 1


# --- safety -----------------------------------------------------------------------------------


def test_injection_cells_are_text_not_formulas(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, _, rows = _summary_rows(ws)
    for name in INJECTION_NAMES.values():
        cell = ws.cell(rows["'" + name], 1)
        assert cell.data_type == "s"
        assert cell.value == "'" + name
    formulas = [
        (ws.title, c.coordinate)
        for ws in summary_wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f" or (isinstance(c.value, str) and c.value[:1] in "=+-@")
    ]
    assert formulas == []


def test_injection_is_neutral_in_the_raw_xml(tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "raw.xlsx"
    write_xlsx(summary_report(), out)
    with zipfile.ZipFile(out) as z:
        names = [n for n in z.namelist() if n.startswith(("xl/worksheets/sheet", "xl/shared"))]
        xml = {name: z.read(name).decode() for name in names}
    for name, text in xml.items():
        assert "<f>" not in text and "<f " not in text, name
    strings = "".join(xml.values())
    assert "'=HYPERLINK(" in strings
    assert "'@SUM(A1)" in strings
    assert "'-1+2" in strings


def test_control_characters_are_removed(summary_wb: Workbook) -> None:
    ws = summary_wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    assert "Bell tickets" in rows
    assert ws.cell(rows["Bell tickets"], cols["Status"]).comment.text == "ring the bell"
    for sheet in summary_wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and "\x07" in c.value)
    assert BELL_NAME != "Bell tickets"


def test_no_merged_ranges_overlap(summary_wb: Workbook, breakdown_wb: Workbook) -> None:
    for wb in (summary_wb, breakdown_wb):
        for ws in wb.worksheets:
            cells: set[tuple[int, int]] = set()
            for rng in ws.merged_cells.ranges:
                block = {(r, c) for r, c in rng.cells}
                assert not cells & block, (ws.title, str(rng))
                cells |= block


def test_writer_imports_no_cli_libraries() -> None:
    code = (
        "import sys, kpicli.writers.xlsx; "
        "print(sorted(m for m in ('typer', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- atomic output ----------------------------------------------------------------------------


def test_output_equal_to_an_input_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data.xlsx"
    data.write_bytes(b"precious")
    with pytest.raises(KpiError, match="input"):
        write_xlsx(summary_report(), data, inputs=[data])
    assert data.read_bytes() == b"precious"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KpiError, match="does not exist"):
        write_xlsx(summary_report(), tmp_path / "nope" / "out.xlsx")


@pytest.mark.parametrize("where", ["_write_definitions", "save"])
def test_failure_midway_leaves_existing_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    out = tmp_path / "review.xlsx"
    write_xlsx(breakdown_report(), out)
    before = out.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    if where == "save":
        real_write = Path.write_bytes

        def half_write(self: Path, data: bytes) -> int:
            real_write(self, data[: len(data) // 2])
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(Path, "write_bytes", half_write)
    else:
        monkeypatch.setattr(xlsx, where, boom)
    with pytest.raises((RuntimeError, KpiError)):  # an OSError becomes "cannot write ..."
        write_xlsx(summary_report(), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.xlsx"]


def test_overwrites_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    out.write_bytes(b"old")
    write_xlsx(summary_report(), out)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.xlsx"]


# --- LibreOffice ------------------------------------------------------------------------------


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


LIBREOFFICE_KINDS = ["summary", "breakdown", "odd-names"]


@pytest.fixture(scope="module")
def libreoffice_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The three workbooks converted to PDF by one LibreOffice run (one start of soffice,
    seconds each, instead of three): the folder, and soffice's output for the messages."""
    soffice = _soffice()
    if soffice is None:
        missing("LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
    assert soffice is not None
    tmp_path = tmp_path_factory.mktemp("libreoffice")
    sources = []
    for kind in LIBREOFFICE_KINDS:
        report = summary_report() if kind == "summary" else breakdown_report(with_overall=True)
        if kind == "odd-names":
            report.group_by = "rep's & team [EU]"
            report.title = "Q&A 'quoted' =title"
        src = tmp_path / f"{kind}.xlsx"
        write_xlsx(report, src, model=kpi_model() if kind == "summary" else None)
        sources.append(str(src))
    profile = tmp_path / "lo-profile"
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    return tmp_path, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", LIBREOFFICE_KINDS)
def test_libreoffice_opens_and_converts(libreoffice_pdfs: tuple[Path, str], kind: str) -> None:
    folder, output = libreoffice_pdfs
    pdf = folder / f"{kind}.pdf"
    assert pdf.exists(), output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 5_000


# --- fixtures are realistic -------------------------------------------------------------------


def test_fixture_covers_every_status_and_unit() -> None:
    report = summary_report()
    assert {k.status for k in report.kpis} == set(STATUS_LABEL)
    units = {k.unit for k in report.kpis}
    assert {"percent", "hours", "days", "count", "ratio", "currency:EUR", "points"} <= units
    assert len(report.objectives) == 3
    assert len({g.id for g in breakdown_report().groups}) == 5
    assert isinstance(report.objectives[0], ScoreLine)
    assert isinstance(report.findings[0], Finding)
