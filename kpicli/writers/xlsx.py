"""Excel report writer: renders a Report as a formatted openpyxl workbook (SPEC §6)."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.results import STATUS_LABEL, Finding, KPIResult, Report, ScoreLine
from kpicli.model.units import (
    format_in_unit,
    number_format,
    parse_unit,
    xlsx_format,
    xlsx_parts,
)
from kpicli.writers.atomic import write_atomic
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    change_phrase,
    moved,
    objective_sections,
    period_heading,
)
from kpicli.writers.sanitize import neutralize_formula, strip_illegal_xml

__all__ = ["build_workbook", "number_format", "safe_sheet_title", "write_xlsx"]

# --- styles -----------------------------------------------------------------------------------

FONT_NAME = "Calibri"


def _font(**kwargs: Any) -> Font:
    """A font with an explicit face, so LibreOffice does not fall back to a serif default."""
    return Font(name=FONT_NAME, **kwargs)


# (fill, font colour) per status: Excel's "good / neutral / bad" cell styles.
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "met": ("C6EFCE", "006100"),
    "on_track": ("C6EFCE", "006100"),
    "at_risk": ("FFEB9C", "9C5700"),
    "off_track": ("FFC7CE", "9C0006"),
    "no_data": ("EDEDED", "595959"),
}
SEVERITY_COLORS: dict[str, tuple[str, str]] = {
    "error": ("FFC7CE", "9C0006"),
    "warning": ("FFEB9C", "9C5700"),
    "info": ("DDEBF7", "1F4E78"),
}
GOOD_FONT = "00823B"
BAD_FONT = "C00000"
NEUTRAL_FONT = "7F7F7F"

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = _font(bold=True, color="FFFFFF")
_BAND_FILL = PatternFill("solid", fgColor="D9E1F2")
_BAND_FONT = _font(bold=True, color="1F3864")
_TITLE_FONT = _font(bold=True, size=16, color="1F3864")
_SUBTITLE_FONT = _font(size=10, color="595959")
_NOTE_FONT = _font(italic=True, size=10, color="7F7F7F")
_GRID = Side(style="thin", color="D9D9D9")
_ROW_BORDER = Border(bottom=_GRID)
_HEADER_BORDER = Border(bottom=Side(style="medium", color="1F3864"))
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center")

PCT_FMT = "0%"
MAX_COMMENT_CHARS = 2000
MAX_CELL_CHARS = 32_000
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEETS = {"history"}

# --- number formats -----------------------------------------------------------------------------

# The formats per unit live in model/units.py (number_format, xlsx_parts); these derive the
# chart-axis and change formats from them.

def axis_format(unit: str | None) -> str:
    """Number format for a chart axis: like the values, but money without cents."""
    prefix, core, suffix = xlsx_parts(unit)
    return xlsx_format(prefix, "#,##0" if core == "#,##0.00" else core, suffix)


def unit_label(unit: str | None) -> str:
    """The unit as shown in a table: ``currency:EUR`` reads ``EUR``."""
    return parse_unit(unit).label


def delta_format(unit: str | None) -> str:
    """Number format for a change: ``▲ 1.5 h`` / ``▼ 1.5 h`` (sign shown by the arrow)."""
    prefix, core, suffix = xlsx_parts(unit)
    if suffix == "%":
        suffix = " pp"  # a change of a percentage is in percentage points
    up, down = xlsx_format("▲ " + prefix, core, suffix), xlsx_format("▼ " + prefix, core, suffix)
    return f"{up};{down};{xlsx_format(prefix, core, suffix)}"


# --- cell helpers ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    """Text safe for a cell: no XML-illegal characters, never read as a formula."""
    text = strip_illegal_xml(str(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return neutralize_formula(text)


def _number(value: float | int | None) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> Cell:
    """Write a value: strings are sanitised, non-finite numbers become empty cells."""
    cell: Cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _text(value) if value else None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = _number(value)
    elif value is not None:
        cell.value = _text(value)
    if fmt and isinstance(cell.value, int | float):
        cell.number_format = fmt
    return cell


def _comment(text: str, *, width: int = 320) -> Comment | None:
    text = strip_illegal_xml(text).strip()
    if not text:
        return None
    if len(text) > MAX_COMMENT_CHARS:
        text = text[: MAX_COMMENT_CHARS - 1] + "…"
    per_line = max(20, width // 7)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    return Comment(text, "kpicli", width=width, height=min(400, 24 + 15 * lines))


def _style_status(cell: Cell, status: str) -> None:
    fill, font = STATUS_COLORS.get(status, STATUS_COLORS["no_data"])
    cell.fill = PatternFill("solid", fgColor=fill)
    cell.font = _font(color=font, bold=status in ("met", "off_track"))


def _header(ws: Worksheet, row: int, titles: Sequence[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = _put(ws, row, col, title)
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _HEADER_BORDER
    ws.row_dimensions[row].height = 30


def _display_len(value: object, fmt: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "%" in fmt and '"%"' not in fmt:
            return len(f"{value * 100:.0f}") + 2
        extra = len(re.sub(r"[#,0.;]", "", fmt.split(";")[0]).replace('"', ""))
        return len(f"{value:,.2f}") + extra + 1
    return max(len(line) for line in str(value).split("\n"))


def _fit_widths(
    ws: Worksheet,
    first_row: int,
    *,
    caps: dict[int, int] | None = None,
    minimum: int = 8,
    default_cap: int = 40,
) -> None:
    """Set column widths from the longest value at or below ``first_row`` (capped)."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            n = _display_len(cell.value, cell.number_format or "General")
            if cell.font is not None and cell.font.b:
                n += 1
            widths[cell.column] = max(widths.get(cell.column, 0), n)
    for col, width in widths.items():
        cap = (caps or {}).get(col, default_cap)
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(cap, width + 2))


def _fit_heights(ws: Worksheet, first_row: int, *, line_pt: float = 15.0) -> None:
    """Give rows with wrapped text the height their lines need (openpyxl cannot measure)."""
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or 8.43
            per_line = max(1, int(width * 1.1) - 1)
            n = sum(max(1, math.ceil(len(part) / per_line)) for part in cell.value.split("\n"))
            lines = max(lines, n)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(409, line_pt * lines + 2)


def _hf_text(text: str) -> str:
    """Header/footer text: ``&`` starts a code there, so double it; keep it short."""
    return strip_illegal_xml(text).replace("&", "&&")[:120]


def _print_setup(ws: Worksheet, title: str, *, header_row: int | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = _hf_text(f"{title} — {ws.title}")
    ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.center.size = 9
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def safe_sheet_title(name: str, used: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name: at most 31 chars, none of []:*?/\\ ."""
    base = _SHEET_BAD.sub(" ", strip_illegal_xml(name))
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or "Sheet"
    if base.lower() in _RESERVED_SHEETS:
        base += " 1"
    base = base[:31].strip()
    taken = {u.lower() for u in used}
    candidate, n = base, 2
    while candidate.lower() in taken:
        tail = f" ({n})"
        candidate = base[: 31 - len(tail)].rstrip() + tail
        n += 1
    return candidate


def _num_text(value: float | None, unit: str | None) -> str:
    """A number as text, for summaries of definitions (not for numeric cells)."""
    return format_in_unit(value, unit)


# --- what to show -----------------------------------------------------------------------------


def _main_results(report: Report) -> tuple[list[KPIResult], bool]:
    """Results for Summary: the overall rows, or every row (with a Group column) if all grouped."""
    overall = [k for k in report.kpis if k.group is None]
    if overall or not report.kpis:
        return overall, False
    return list(report.kpis), True


def _trend_results(report: Report) -> tuple[list[KPIResult], str | None]:
    overall = [k for k in report.kpis if k.group is None]
    if overall or not report.kpis:
        return overall, None
    first = report.kpis[0].group
    return [k for k in report.kpis if k.group == first], first


def _report_title(report: Report) -> str:
    return (report.title or "").strip() or "KPI scorecard"


def _generated_at() -> tuple[dt.datetime, dt.datetime]:
    """(local time shown on the Summary, naive UTC for the file properties).

    ``SOURCE_DATE_EPOCH`` (reproducible builds) fixes both, in UTC.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        fixed = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
        return fixed, fixed
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return now.astimezone().replace(tzinfo=None), now.replace(tzinfo=None)


def _target_cell(k: KPIResult) -> tuple[float | str | None, str]:
    """Value and number format for the target column; bands show as ``≥ 85`` / ``1.5 – 3``."""
    base = number_format(k.unit)
    if _number(k.target) is not None:
        return k.target, base
    lo, hi = _number(k.target_min), _number(k.target_max)
    if lo is not None and hi is not None:
        return f"{_num_text(lo, k.unit)} – {_num_text(hi, k.unit)}", base
    prefix, core, suffix = xlsx_parts(k.unit)
    if lo is not None:
        return lo, xlsx_format("≥ " + prefix, core, suffix)
    if hi is not None:
        return hi, xlsx_format("≤ " + prefix, core, suffix)
    return None, base


def _result_target_text(k: KPIResult) -> str:
    if _number(k.target) is not None:
        return _num_text(k.target, k.unit)
    lo, hi = _number(k.target_min), _number(k.target_max)
    if lo is not None and hi is not None:
        return f"{_num_text(lo, k.unit)} – {_num_text(hi, k.unit)}"
    if lo is not None:
        return f"≥ {_num_text(lo, k.unit)}"
    if hi is not None:
        return f"≤ {_num_text(hi, k.unit)}"
    return ""


def _delta_color(k: KPIResult) -> str:
    d = _number(k.delta)
    if not d:
        return NEUTRAL_FONT
    good = d > 0 if k.direction == "higher" else d < 0
    return GOOD_FONT if good else BAD_FONT


def _status_note(k: KPIResult) -> str:
    return k.why.strip() or f"status: {STATUS_LABEL.get(k.status, k.status)}"


# --- Summary ----------------------------------------------------------------------------------

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


# --- Trends -----------------------------------------------------------------------------------

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


# --- By <group> -------------------------------------------------------------------------------


def _ranked_groups(report: Report) -> list[tuple[ScoreLine | None, str]]:
    lines = sorted(
        report.groups,
        key=lambda g: (g.rank is None, g.rank if g.rank is not None else 0),
    )
    out: list[tuple[ScoreLine | None, str]] = [(g, g.id) for g in lines]
    known = {g.id for g in report.groups}
    for k in report.kpis:
        if k.group is not None and k.group not in known:
            known.add(k.group)
            out.append((None, k.group))
    return out


def _write_groups(ws: Worksheet, report: Report) -> None:
    by = report.group_by or "group"
    title = _report_title(report)
    _put(ws, 1, 1, f"By {by}").font = _TITLE_FONT
    _put(
        ws,
        2,
        1,
        f"Ranked by score · period {report.period or '—'} · cell colour = status, comment = why",
    ).font = _SUBTITLE_FONT
    kpi_ids: list[str] = []
    kpi_info: dict[str, KPIResult] = {}
    for k in report.kpis:
        if k.id not in kpi_info:
            kpi_ids.append(k.id)
            kpi_info[k.id] = k
    header_row = 4
    columns = ["Rank", by.capitalize(), "Score", *[kpi_info[i].name or i for i in kpi_ids]]
    _header(ws, header_row, columns)
    cells = {(k.group, k.id): k for k in report.kpis}
    rows: list[tuple[ScoreLine | None, str | None]] = []
    if any(k.group is None for k in report.kpis):
        rows.append((None, None))
    rows.extend(_ranked_groups(report))
    r = header_row + 1
    for line, member in rows:
        if member is None:
            _put(ws, r, 2, "(all)").font = _font(bold=True)
            _put(ws, r, 3, report.score, PCT_FMT).font = _font(bold=True)
        else:
            rank = _put(ws, r, 1, line.rank if line is not None else None)
            rank.alignment = Alignment(horizontal="center")
            _put(ws, r, 2, member)
            _put(ws, r, 3, line.score if line is not None else None, PCT_FMT)
        for j, kid in enumerate(kpi_ids):
            k = cells.get((member, kid))
            cell = ws.cell(row=r, column=4 + j)
            if k is not None:
                _put(ws, r, 4 + j, k.actual, number_format(k.unit))
                _style_status(cell, k.status)
                head = STATUS_LABEL.get(k.status, k.status)
                target = _result_target_text(k)
                if target:
                    head += f" (target {target})"
                if k.status_change in CHANGE_FONT:
                    head += f"\n{k.status_change} since {report.previous_period}: "
                    head += change_phrase(k)
                cell.comment = _comment(f"{head}\n{k.why.strip()}".strip())
            cell.border = _ROW_BORDER
        for c in (1, 2, 3):
            ws.cell(row=r, column=c).border = _ROW_BORDER
        r += 1
    last_row = max(r - 1, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=4)
    _fit_widths(ws, header_row, caps={2: 30}, default_cap=22)
    ws.column_dimensions["A"].width = 7
    _print_setup(ws, title, header_row=header_row)


# --- Definitions ------------------------------------------------------------------------------

DEFINITION_COLUMNS = (
    "ID",
    "Name",
    "Objective",
    "Description",
    "Measure",
    "Unit",
    "Direction",
    "Baseline",
    "Target",
    "Due",
    "Owner",
    "Kind",
    "Weight",
    "SMART findings",
)


def _measure_text(k: KPI) -> str:
    if k.formula:
        return f"formula: {k.formula}"
    m = k.measure
    parts = [f"column {m.column if m and m.column else k.id}"]
    if m and m.aggregate:
        parts.append(f"aggregate {m.aggregate}")
    if m and m.where:
        parts.append(f"where {m.where}")
    if m and m.min_count:
        parts.append(f"min_count {m.min_count}")
    if k.accumulate:
        parts.append(f"accumulate {k.accumulate}")
    return "; ".join(parts)


def _baseline_text(k: KPI) -> str:
    b = k.baseline
    if b is None:
        return ""
    value = _num_text(b.value, k.unit)
    if b.period:
        return f"{value} ({b.period})" if value else f"from data ({b.period})"
    return value


def _target_text(k: KPI) -> str:
    t = k.target
    if t is None:
        return ""
    parts: list[str] = []
    if t.value is not None:
        parts.append(_num_text(t.value, k.unit))
    if t.change is not None:
        amount, relative = t.change_amount or (0.0, False)
        parts.append(f"change {amount:+g}%" if relative else f"change {amount:+g}")
    if t.min is not None and t.max is not None:
        parts.append(f"{_num_text(t.min, k.unit)} – {_num_text(t.max, k.unit)}")
    elif t.min is not None:
        parts.append(f"≥ {_num_text(t.min, k.unit)}")
    elif t.max is not None:
        parts.append(f"≤ {_num_text(t.max, k.unit)}")
    if t.per:
        parts.append(f"per {t.per}")
    if t.schedule:
        items = list(t.schedule.items())
        first, last = items[0], items[-1]
        span = f"{first[0]}: {_num_text(first[1], k.unit)}"
        if len(items) > 1:
            span += f" … {last[0]}: {_num_text(last[1], k.unit)}"
        parts.append(f"schedule of {len(items)} ({span})")
    if k.targets_by:
        parts.append("per member: " + ", ".join(k.targets_by))
    return "; ".join(parts)


def _worst(findings: Sequence[Finding]) -> str:
    severities = {f.severity for f in findings}
    return next((s for s in ("error", "warning") if s in severities), "info")


def _findings_text(findings: Sequence[Finding]) -> str:
    return "\n".join(f"[{f.rule} {f.severity}] {f.message}" for f in findings)


def _write_definitions(
    ws: Worksheet,
    report: Report,
    model: KPIFile | None,
    definition_findings: Sequence[Finding],
) -> None:
    title = _report_title(report)
    _put(ws, 1, 1, "Definitions").font = _TITLE_FONT
    source = "from the KPI file" if model is not None else "as reported (no KPI file given)"
    _put(ws, 2, 1, f"KPI definitions {source}, with SMART findings").font = _SUBTITLE_FONT
    header_row = 4
    _header(ws, header_row, DEFINITION_COLUMNS)
    by_kpi: dict[str | None, list[Finding]] = {}
    for f in definition_findings:
        by_kpi.setdefault(f.kpi, []).append(f)
    rows: list[list[Any]] = []
    if model is not None:
        for k in model.kpis:
            due = k.target.due if k.target and k.target.due else ""
            rows.append(
                [
                    k.id,
                    k.name,
                    k.objective or "",
                    k.description or "",
                    _measure_text(k),
                    k.unit or "",
                    k.direction,
                    _baseline_text(k),
                    _target_text(k),
                    due,
                    k.owner or "",
                    k.kind or "",
                    k.weight,
                    _findings_text(by_kpi.get(k.id, [])),
                ]
            )
        known = {k.id for k in model.kpis}
    else:
        seen: set[str] = set()
        for r in report.kpis:
            if r.id in seen:
                continue
            seen.add(r.id)
            baseline = _num_text(r.baseline, r.unit)
            if r.baseline_period:
                baseline = f"{baseline} ({r.baseline_period})".strip()
            target_text = _result_target_text(r)
            rows.append(
                [
                    r.id,
                    r.name,
                    r.objective or "",
                    "",
                    "",
                    r.unit or "",
                    r.direction,
                    baseline,
                    target_text,
                    r.due or "",
                    r.owner or "",
                    "",
                    r.weight,
                    _findings_text(by_kpi.get(r.id, [])),
                ]
            )
        known = seen
    orphans = [f for key, fs in by_kpi.items() if key not in known for f in fs]
    if orphans:
        rows.append(["(file)", "Findings not tied to one KPI", *[""] * 11, _findings_text(orphans)])
    r = header_row + 1
    for values in rows:
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value)
            cell.alignment = _WRAP_TOP
            cell.border = _ROW_BORDER
        if values[-1]:
            cell = ws.cell(row=r, column=len(values))
            found = by_kpi.get(values[0], orphans if values[0] == "(file)" else [])
            fill, font = SEVERITY_COLORS[_worst(found)]
            cell.fill = PatternFill("solid", fgColor=fill)
            cell.font = _font(color=font)
        r += 1
    if not rows:
        _put(ws, r, 1, "No KPIs defined").font = _NOTE_FONT
    last_row = max(r - 1, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(DEFINITION_COLUMNS))}{last_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    _fit_widths(ws, header_row, caps={2: 30, 4: 40, 5: 36, 9: 30, 14: 50}, default_cap=20)
    _fit_heights(ws, header_row + 1)
    _print_setup(ws, title, header_row=header_row)


# --- Data quality -----------------------------------------------------------------------------

QUALITY_COLUMNS = ("Rule", "Severity", "Message", "Location", "KPI")


def _write_quality(ws: Worksheet, report: Report) -> None:
    title = _report_title(report)
    _put(ws, 1, 1, "Data quality").font = _TITLE_FONT
    _put(ws, 2, 1, "Findings about the data behind this report").font = _SUBTITLE_FONT
    header_row = 4
    _header(ws, header_row, QUALITY_COLUMNS)
    r = header_row + 1
    for f in report.findings:
        _put(ws, r, 1, f.rule)
        sev = _put(ws, r, 2, f.severity)
        fill, font = SEVERITY_COLORS.get(f.severity, SEVERITY_COLORS["info"])
        sev.fill = PatternFill("solid", fgColor=fill)
        sev.font = _font(color=font, bold=f.severity == "error")
        sev.alignment = _CENTER
        _put(ws, r, 3, f.message).alignment = _WRAP_TOP
        _put(ws, r, 4, f.location or "")
        _put(ws, r, 5, f.kpi or "")
        for c in range(1, 6):
            ws.cell(row=r, column=c).border = _ROW_BORDER
            if c != 3:
                ws.cell(row=r, column=c).alignment = Alignment(
                    vertical="top", horizontal=ws.cell(row=r, column=c).alignment.horizontal
                )
        r += 1
    if not report.findings:
        _put(ws, r, 1, "No findings").font = _NOTE_FONT
        r += 1
    ws.auto_filter.ref = f"A{header_row}:E{r - 1}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _fit_widths(ws, header_row, caps={3: 80, 4: 40}, default_cap=24)
    _fit_heights(ws, header_row + 1)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 10)
    _print_setup(ws, title, header_row=header_row)


# --- entry point ------------------------------------------------------------------------------


def build_workbook(
    report: Report,
    *,
    model: KPIFile | None = None,
    definition_findings: Sequence[Finding] = (),
    history: int = 12,
) -> Workbook:
    """Build the workbook in memory (no I/O); ``write_xlsx`` saves it atomically."""
    generated, created = _generated_at()
    wb = Workbook()
    wb.properties.creator = "kpicli"
    wb.properties.lastModifiedBy = "kpicli"
    wb.properties.title = strip_illegal_xml(_report_title(report))[:255]
    wb.properties.created = created
    wb.properties.modified = created
    used: list[str] = []

    def sheet(name: str) -> Worksheet:
        title = safe_sheet_title(name, used)
        used.append(title)
        if len(used) == 1:
            ws = wb.active
            ws.title = title
            return ws
        return wb.create_sheet(title)

    _write_summary(sheet("Summary"), report, generated)
    _write_trends(sheet("Trends"), report, history)
    if report.group_by or any(k.group is not None for k in report.kpis):
        _write_groups(sheet(f"By {report.group_by or 'group'}"), report)
    _write_definitions(sheet("Definitions"), report, model, definition_findings)
    _write_quality(sheet("Data quality"), report)
    for ws in wb.worksheets:
        ws.sheet_view.zoomScale = 100
    wb.active = 0
    return wb


def write_xlsx(
    report: Report,
    path: Path,
    *,
    model: KPIFile | None = None,
    definition_findings: Sequence[Finding] = (),
    inputs: Sequence[Path] = (),
    history: int = 12,
) -> None:
    """Write the Excel report to ``path`` atomically; an existing file survives any failure."""

    def write(tmp: Path) -> None:
        import io

        wb = build_workbook(
            report, model=model, definition_findings=definition_findings, history=history
        )
        # Zip in memory, then one plain write: a full disk fails that write cleanly, where a
        # ZipFile left half-written on disk would print a traceback when it is collected.
        buf = io.BytesIO()
        wb.save(buf)
        tmp.write_bytes(buf.getvalue())

    write_atomic(Path(path), write, inputs)
