"""The Summary sheet: title block, status counts, the Changes block, one row per KPI grouped by
objective."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.results import STATUS_LABEL, KPIResult, Report, ScoreLine
from kpicli.model.units import (
    number_format,
)
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    change_phrase,
    moved,
    objective_sections,
    period_heading,
)
from kpicli.writers.xlsx.content import (
    _delta_color,
    _main_results,
    _report_title,
    _status_note,
    _target_cell,
)
from kpicli.writers.xlsx.style import (
    _BAND_FILL,
    _BAND_FONT,
    _CENTER,
    _NOTE_FONT,
    _ROW_BORDER,
    _SUBTITLE_FONT,
    _TITLE_FONT,
    BAD_FONT,
    GOOD_FONT,
    PCT_FMT,
    _comment,
    _fit_widths,
    _font,
    _header,
    _print_setup,
    _put,
    _style_status,
    delta_format,
    unit_label,
)

SUMMARY_COLUMNS = (
    "KPI",
    "Owner",
    "Unit",
    "Actual",
    "Target",
    "Attainment",
    "Progress",
    "Status",
    "Δ vs previous",
    "Forecast",
    "Needed",
    "Score",
)


def _write_title_block(ws: Worksheet, report: Report, generated: dt.datetime) -> int:
    """Title, period, date, overall score and status counts; returns the next free row."""
    _put(ws, 1, 1, _report_title(report)).font = _TITLE_FONT
    ws.row_dimensions[1].height = 24
    line2 = f"Period {period_heading(report)}"
    if report.group_by:
        line2 += f" · by {report.group_by}"
    _put(ws, 2, 1, line2).font = _SUBTITLE_FONT
    line3 = f"Generated {generated:%Y-%m-%d %H:%M} by kpicli"
    if report.sources:
        shown = ", ".join(Path(s).name for s in report.sources[:3])
        more = f" and {len(report.sources) - 3} more" if len(report.sources) > 3 else ""
        line3 += f" from {shown}{more}"
    _put(ws, 3, 1, line3).font = _SUBTITLE_FONT
    label = _put(ws, 4, 1, "Overall score")
    label.font = _font(bold=True, size=12)
    score = _put(ws, 4, 2, report.score if report.score is not None else "—", PCT_FMT)
    score.font = _font(bold=True, size=12, color="1F3864")
    score.alignment = Alignment(horizontal="left")
    return 5


def _status_counts(results: Sequence[KPIResult]) -> str:
    counts: dict[str, int] = {}
    for k in results:
        counts[k.status] = counts.get(k.status, 0) + 1
    return " · ".join(f"{counts[s]} {STATUS_LABEL[s]}" for s in STATUS_LABEL if counts.get(s))


def _objective_sections(
    report: Report, results: Sequence[KPIResult]
) -> list[tuple[ScoreLine | None, str, list[KPIResult]]]:
    """(score line, band title, results) per objective in report order; the rest under Other."""
    if not report.objectives and not any(k.objective for k in results):
        return [(None, "", list(results))]
    found, rest = objective_sections(report, results)
    sections: list[tuple[ScoreLine | None, str, list[KPIResult]]] = list(found)
    if rest:
        sections.append((None, "Other", rest))
    return sections


CHANGE_FONT = {"worsened": BAD_FONT, "improved": GOOD_FONT, "new": "1F4E78"}


# Above this many rows the title and Changes blocks are not frozen with the table header:
# a frozen area taller than the window would leave nothing to scroll.
MAX_FROZEN_ROWS = 16


def _write_changes(ws: Worksheet, row: int, report: Report, results: list[KPIResult]) -> int:
    """The "Changes since <previous period>" block: one row per KPI whose status moved,
    worsened first (KPI, change, "was → now", actual); returns the next row."""
    if report.previous_period is None or not any(k.status_change for k in results):
        return row
    picked = moved(results)
    head = f"Changes since {report.previous_period}"
    _put(ws, row, 1, head + ("" if picked else ": none")).font = _font(bold=True, size=12)
    row += 1
    for k in picked:
        kind = k.status_change or "new"
        name = k.name or k.id
        if k.group is not None:
            name += f" — {k.group}"
        _put(ws, row, 1, name).alignment = Alignment(indent=1)
        _put(ws, row, 2, f"{CHANGE_ARROW[kind]} {kind}").font = _font(
            bold=True, color=CHANGE_FONT[kind]
        )
        _put(ws, row, 3, change_phrase(k))
        _put(ws, row, 4, k.actual, number_format(k.unit))
        row += 1
    members = [k for k in report.kpis if k.group is not None and k.status_change]
    if members and any(k.group is None for k in results):
        moved_members = moved(members)
        counts: dict[str, int] = {}
        for k in moved_members:
            counts[k.status_change or "new"] = counts.get(k.status_change or "new", 0) + 1
        text = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "none"
        _put(
            ws, row, 1, f"Members ({report.group_by}): {text} — see the By sheet's comments"
        ).font = _NOTE_FONT
        row += 1
    return row


def _write_summary(ws: Worksheet, report: Report, generated: dt.datetime) -> None:
    results, with_group = _main_results(report)
    title = _report_title(report)
    row = _write_title_block(ws, report, generated)
    counts = _status_counts(results)
    if counts:
        _put(ws, row, 1, counts).font = _NOTE_FONT
    # The Changes block sits between the title block and the table, one blank row apart.
    after = _write_changes(ws, row + 2, report, results)
    header_row = after + 1 if after > row + 2 else row + 2
    columns = list(SUMMARY_COLUMNS)
    if with_group:
        columns.insert(1, (report.group_by or "Group").capitalize())
    col = {name: i for i, name in enumerate(columns, start=1)}
    group_col = 2 if with_group else None
    _header(ws, header_row, columns)
    row = header_row + 1
    for line, band_title, members in _objective_sections(report, results):
        if band_title:
            for c in range(1, len(columns) + 1):
                ws.cell(row=row, column=c).fill = _BAND_FILL
            _put(ws, row, 1, band_title).font = _BAND_FONT
            if line is not None:
                cell = _put(ws, row, col["Score"], line.score, PCT_FMT)
                cell.font = _BAND_FONT
            ws.row_dimensions[row].height = 18
            row += 1
        for k in members:
            _summary_row(ws, row, k, col, group_col)
            row += 1
    last_row = max(row - 1, header_row)
    if not results:
        _put(ws, row, 1, "No KPIs in this report").font = _NOTE_FONT
        last_row = row
    last_col = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    frozen_row = header_row + 1 if header_row <= MAX_FROZEN_ROWS else 1
    ws.freeze_panes = ws.cell(row=frozen_row, column=2)
    _fit_widths(ws, header_row, caps={1: 48})
    for name in ("Attainment", "Progress", "Score", "Status"):
        letter = get_column_letter(col[name])
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 11)
    # The title block overflows to the right; column A is sized by the table only.
    _print_setup(ws, title, header_row=header_row)


def _summary_row(
    ws: Worksheet, row: int, k: KPIResult, col: dict[str, int], group_col: int | None
) -> None:
    fmt = number_format(k.unit)
    name = _put(ws, row, col["KPI"], k.name or k.id)
    name.alignment = Alignment(indent=1)
    if group_col is not None:
        _put(ws, row, group_col, k.group or "")
    _put(ws, row, col["Owner"], k.owner or "")
    _put(ws, row, col["Unit"], unit_label(k.unit))
    _put(ws, row, col["Actual"], k.actual, fmt)
    target, target_fmt = _target_cell(k)
    tcell = _put(ws, row, col["Target"], target, target_fmt)
    if isinstance(tcell.value, str):
        tcell.alignment = Alignment(horizontal="right")
    _put(ws, row, col["Attainment"], k.attainment, PCT_FMT)
    progress = _put(ws, row, col["Progress"], k.progress, PCT_FMT)
    if k.expected_progress is not None and k.progress is not None:
        progress.comment = _comment(f"Expected by now: {k.expected_progress:.0%}", width=180)
    status = _put(ws, row, col["Status"], STATUS_LABEL.get(k.status, k.status))
    _style_status(status, k.status)
    status.alignment = _CENTER
    status.comment = _comment(_status_note(k))
    delta = _put(ws, row, col["Δ vs previous"], k.delta, delta_format(k.unit))
    delta.font = _font(color=_delta_color(k))
    forecast = _put(ws, row, col["Forecast"], k.forecast, fmt)
    if k.forecast_meets is not None and forecast.value is not None:
        forecast.font = _font(color=GOOD_FONT if k.forecast_meets else BAD_FONT)
    _put(ws, row, col["Needed"], k.needed, fmt)
    _put(ws, row, col["Score"], k.score, PCT_FMT)
    for c in range(1, len(col) + 1):
        ws.cell(row=row, column=c).border = _ROW_BORDER
