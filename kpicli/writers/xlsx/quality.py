"""The Data quality sheet: one row per data finding (rule, severity, message, location, KPI)."""

from __future__ import annotations

from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.results import Report
from kpicli.writers.xlsx.content import _report_title
from kpicli.writers.xlsx.style import (
    _CENTER,
    _NOTE_FONT,
    _ROW_BORDER,
    _SUBTITLE_FONT,
    _TITLE_FONT,
    _WRAP_TOP,
    SEVERITY_COLORS,
    _fit_heights,
    _fit_widths,
    _font,
    _header,
    _print_setup,
    _put,
)

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
