"""The Trends sheet: a period-by-KPI table and one line chart per KPI, placed in a grid."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.results import KPIResult, Report
from kpicli.model.units import (
    number_format,
)
from kpicli.writers.sanitize import strip_illegal_xml
from kpicli.writers.xlsx.content import _report_title, _trend_results
from kpicli.writers.xlsx.style import (
    _CENTER,
    _HEADER_BORDER,
    _HEADER_FILL,
    _HEADER_FONT,
    _NOTE_FONT,
    _ROW_BORDER,
    _SUBTITLE_FONT,
    _TITLE_FONT,
    _fit_widths,
    _font,
    _header,
    _print_setup,
    _put,
    axis_format,
)

CHART_WIDTH_CM = 15.0

CHART_HEIGHT_CM = 7.5

CHART_ROWS = 16  # rows a chart covers, with a little space under it

CHARTS_PER_ROW = 2

MAX_CHARTS_PER_ROW = 4


def _period_order(report: Report, results: Sequence[KPIResult], history: int) -> list[str]:
    seen: list[str] = []
    for k in results:
        for p in k.history:
            if p.period not in seen:
                seen.append(p.period)
    rank = {p: i for i, p in enumerate(report.periods)}
    if all(p in rank for p in seen):
        seen.sort(key=rank.__getitem__)
    else:  # labels of one grain ("2026-03", "2026-Q1", "2026-W07") sort as text
        seen.sort()
    return seen[-history:] if history > 0 else seen


def _col_px(ws: Worksheet, col: int) -> float:
    width = ws.column_dimensions[get_column_letter(col)].width or 8.43
    return width * 7 + 5


def _write_trends(ws: Worksheet, report: Report, history: int) -> None:
    results, group = _trend_results(report)
    title = _report_title(report)
    _put(ws, 1, 1, "Trends").font = _TITLE_FONT
    periods = _period_order(report, results, history)
    note = f"Actual and target for the last {len(periods)} periods"
    if group is not None:
        note += f" — {report.group_by or 'group'} {group}"
    _put(ws, 2, 1, note).font = _SUBTITLE_FONT
    name_row, header_row = 4, 5
    first_data = header_row + 1
    _header(ws, header_row, ["Period"])
    ws.cell(row=name_row, column=1).fill = _HEADER_FILL
    for i, p in enumerate(periods):
        _put(ws, first_data + i, 1, p).border = _ROW_BORDER
    last_data = first_data + len(periods) - 1
    charts: list[LineChart] = []
    for j, k in enumerate(results):
        c_act, c_tgt = 2 + 2 * j, 3 + 2 * j
        fmt = number_format(k.unit)
        ws.merge_cells(start_row=name_row, start_column=c_act, end_row=name_row, end_column=c_tgt)
        name = _put(ws, name_row, c_act, k.name or k.id)
        name.fill = _HEADER_FILL
        name.font = _HEADER_FONT
        name.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for c, text in ((c_act, "Actual"), (c_tgt, "Target")):
            cell = _put(ws, header_row, c, text)
            cell.fill = _HEADER_FILL
            cell.font = _HEADER_FONT
            cell.alignment = _CENTER
            cell.border = _HEADER_BORDER
        points = {p.period: p for p in k.history}
        has_actual = has_target = False
        filled: list[int] = []
        for i, p in enumerate(periods):
            point = points.get(p)
            r = first_data + i
            a = _put(ws, r, c_act, point.actual if point else None, fmt)
            t = _put(ws, r, c_tgt, point.target if point else None, fmt)
            t.font = _font(color="7F7F7F")
            a.border = t.border = _ROW_BORDER
            has_actual |= a.value is not None
            has_target |= t.value is not None
            if a.value is not None or t.value is not None:
                filled.append(r)
        if has_actual:  # a chart over the KPI's own periods; none without data
            charts.append(_line_chart(ws, k, c_act, c_tgt, filled[0], filled[-1], has_target))
    ws.row_dimensions[name_row].height = 32
    if results and periods:
        ws.freeze_panes = ws.cell(row=first_data, column=2)
    _fit_widths(ws, header_row, minimum=9, default_cap=14)
    for j in range(len(results)):
        for c in (2 + 2 * j, 3 + 2 * j):
            ws.column_dimensions[get_column_letter(c)].width = 12
    if not results or not periods:
        _put(ws, first_data, 1, "No history to show").font = _NOTE_FONT
    _place_charts(
        ws, charts, top_row=max(last_data, first_data) + 3, table_cols=1 + 2 * len(results)
    )
    _print_setup(ws, title)


def _line_chart(
    ws: Worksheet, k: KPIResult, c_act: int, c_tgt: int, first: int, last: int, has_target: bool
) -> LineChart:
    chart = LineChart()
    chart.title = strip_illegal_xml(k.name or k.id)[:120]
    chart.style = 2
    chart.height = CHART_HEIGHT_CM
    chart.width = CHART_WIDTH_CM
    chart.legend.position = "b"
    chart.display_blanks = "gap"
    chart.y_axis.number_format = axis_format(k.unit)
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"
    columns = [(c_act, "Actual", "1F4E78", None)]
    if has_target:
        columns.append((c_tgt, "Target", "C00000", "dash"))
    for c, label, color, dash in columns:
        data = Reference(ws, min_col=c, min_row=first, max_row=last)
        chart.add_data(data, titles_from_data=False)
        series = chart.series[-1]
        series.tx = SeriesLabel(v=label)
        series.smooth = False
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 28575 if dash is None else 19050
        if dash:
            series.graphicalProperties.line.dashStyle = dash
            series.marker.symbol = "none"
        else:
            series.marker.symbol = "circle"
            series.marker.size = 5
            series.marker.graphicalProperties.solidFill = color
            series.marker.graphicalProperties.line.solidFill = color
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    return chart


def _place_charts(
    ws: Worksheet, charts: Sequence[LineChart], top_row: int, table_cols: int
) -> None:
    """Lay charts out in a grid under the table: as many per row as the table is wide (2-4)."""
    chart_px = CHART_WIDTH_CM / 2.54 * 96 + 24
    table_px = sum(_col_px(ws, c) for c in range(1, table_cols + 1))
    per_row = max(CHARTS_PER_ROW, min(MAX_CHARTS_PER_ROW, int(table_px // chart_px)))
    starts = [1]
    acc, col = 0.0, 1
    while len(starts) < per_row:
        acc += _col_px(ws, col)
        col += 1
        if acc >= chart_px:
            starts.append(col)
            acc = 0.0
    for i, chart in enumerate(charts):
        r = top_row + (i // per_row) * CHART_ROWS
        c = starts[i % per_row]
        ws.add_chart(chart, f"{get_column_letter(c)}{r}")
