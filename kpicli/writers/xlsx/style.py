"""Styles and cell helpers of the review workbook: fonts and fills per status and severity,
number formats for axes and changes, values put into cells safely, widths, print setup."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.units import (
    format_in_unit,
    parse_unit,
    xlsx_format,
    xlsx_parts,
)
from kpicli.writers.sanitize import neutralize_formula, strip_illegal_xml

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
