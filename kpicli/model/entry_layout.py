"""The layout contract of the data-entry workbook (``kpi template``), shared by its writer
(kpicli/writers/template.py) and the workbook reader (kpicli/readers/files.py).

A workbook with the hidden sheet :data:`MARKER_SHEET` is a kpicli template: the reader takes
its sheet :data:`DATA_SHEET` as a ``kpi_rows`` tracker (header in row 1, KPI labels in column
:data:`KPI_HEADER`, one column per period), whatever the KPI file's ``data:`` says about the
layout of its usual data (sheet, date column, long-table columns), so ``kpi report --data
entry.xlsx`` needs no options. The informational columns are named so that the reader never
takes them for a target, baseline or KPI column.
"""

from __future__ import annotations

from kpicli.model.kpifile import DataSpec

DATA_SHEET = "Data entry"
INSTRUCTIONS_SHEET = "Instructions"
MARKER_SHEET = "kpicli template"
MARKER_TEXT = "kpicli data-entry template, layout 1"
HEADER_ROW = 1
KPI_HEADER = "KPI"
NAME_HEADER = "KPI title"  # "Name" would be read as a KPI-label column
UNIT_HEADER = "Unit"  # read by the tracker reader: percent rows are on the 0-100 scale
OWNER_HEADER = "Owner"
TARGET_HEADER = "Target (kpis.yaml)"  # not "Target": informational, never a data target


def template_spec(spec: DataSpec | None) -> DataSpec:
    """The DataSpec that reads a template; keeps only the user's number setting (decimal)."""
    return DataSpec(
        layout="kpi_rows",
        sheet=DATA_SHEET,
        kpi_column=KPI_HEADER,
        header_row=HEADER_ROW,
        decimal=spec.decimal if spec is not None else None,
    )


def overridden(spec: DataSpec | None) -> list[str]:
    """The ``data:`` keys of the KPI file that do not apply to a template (for a note)."""
    if spec is None:
        return []
    keys = ("sheet", "date_column", "layout", "kpi_column", "value_column", "target_column",
            "header_row", "delimiter", "encoding")
    return [k for k in keys if getattr(spec, k) is not None]
