"""Excel report writer: renders a Report as a formatted openpyxl workbook (SPEC §6).

One module per sheet (summary, trends, groups, definitions, quality) over shared styles and
cell helpers (style) and the choice of what to show (content); this module assembles the
workbook and writes it atomically."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.kpifile import KPIFile
from kpicli.model.results import STATUS_LABEL, Finding, Report
from kpicli.model.units import number_format
from kpicli.writers.atomic import write_atomic
from kpicli.writers.sanitize import strip_illegal_xml
from kpicli.writers.xlsx.content import _generated_at, _report_title
from kpicli.writers.xlsx.definitions import DEFINITION_COLUMNS, _write_definitions
from kpicli.writers.xlsx.groups import _write_groups
from kpicli.writers.xlsx.quality import _write_quality
from kpicli.writers.xlsx.style import (
    BAD_FONT,
    GOOD_FONT,
    MAX_COMMENT_CHARS,
    NEUTRAL_FONT,
    SEVERITY_COLORS,
    STATUS_COLORS,
    axis_format,
    delta_format,
    safe_sheet_title,
    unit_label,
)
from kpicli.writers.xlsx.summary import SUMMARY_COLUMNS, _write_summary
from kpicli.writers.xlsx.trends import MAX_CHARTS_PER_ROW, _write_trends

# The package's public face: the writer, and the names its tests and the template writer use.
__all__ = [
    "BAD_FONT",
    "DEFINITION_COLUMNS",
    "GOOD_FONT",
    "MAX_CHARTS_PER_ROW",
    "MAX_COMMENT_CHARS",
    "NEUTRAL_FONT",
    "SEVERITY_COLORS",
    "STATUS_COLORS",
    "STATUS_LABEL",
    "SUMMARY_COLUMNS",
    "axis_format",
    "build_workbook",
    "delta_format",
    "number_format",
    "safe_sheet_title",
    "unit_label",
    "write_xlsx",
]


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
        wb = build_workbook(
            report, model=model, definition_findings=definition_findings, history=history
        )
        # Zip in memory, then one plain write: a full disk fails that write cleanly, where a
        # ZipFile left half-written on disk would print a traceback when it is collected.
        buf = io.BytesIO()
        wb.save(buf)
        tmp.write_bytes(buf.getvalue())

    write_atomic(Path(path), write, inputs)
