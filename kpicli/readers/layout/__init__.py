"""Header detection and the three data layouts (long, records, kpi_rows) normalised to a Table
frame: :func:`normalise` picks the layout of a Sheet and hands back a Part. The modules of this
package split the work by concern (vocabulary, sheet, header, columns, percent, detect) and one
module per layout (records, long, kpi_rows)."""

from __future__ import annotations

from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.readers.grid import year_period_grid
from kpicli.readers.layout.detect import detect_layout
from kpicli.readers.layout.header import HEADER_SCAN, build_sheet, find_header
from kpicli.readers.layout.kpi_rows import _kpi_rows
from kpicli.readers.layout.long import _long
from kpicli.readers.layout.percent import decide_fractions, scale_fractions
from kpicli.readers.layout.records import _records
from kpicli.readers.layout.sheet import Part, Sheet
from kpicli.readers.sections import check_section_used


def normalise(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None) -> Part:
    """Turn one sheet's cells into the Table frame for its layout."""
    fys = model.fiscal_year_start if model else 1
    if spec is not None:
        sheet.dayfirst, sheet.date_format = spec.dayfirst, spec.date_format
    grid = None
    if spec is None or (spec.layout is None and spec.date_column is None):
        grid = year_period_grid(sheet)
    if grid is not None:
        sheet = grid
        part = _records(sheet, spec, model, fys)
    else:
        layout = detect_layout(sheet, spec, fys, model)
        if layout == "kpi_rows":
            part = _kpi_rows(sheet, spec, model, fys)
        else:
            check_section_used(spec.section if spec else None, sheet.sectioned, sheet.where)
            if layout == "long":
                part = _long(sheet, spec, model, fys)
            else:
                part = _records(sheet, spec, model, fys)
    part.notes = [*sheet.notes, *part.notes]
    return part


__all__ = [
    "HEADER_SCAN",
    "Part",
    "Sheet",
    "build_sheet",
    "decide_fractions",
    "find_header",
    "normalise",
    "scale_fractions",
]
