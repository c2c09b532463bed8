"""Writer of the data-entry workbook (``kpi template``): renders an EntryPlan with openpyxl.

Contract: sheet ``Data entry`` first (header in row 1: KPI, the member column with --by, KPI
title, Unit, Owner, Target (kpis.yaml), then one column per period; one row per plan row),
an ``Instructions`` sheet, and the hidden marker sheet that makes the reader take the workbook
as a template (kpicli/model/entry_layout.py). Period cells carry the unit's number format and a
data validation (numbers only, within the row's bounds). Every text cell is sanitised (never
a formula, no XML-illegal characters). Written atomically; an input is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kpicli import __version__
from kpicli.model.entry_layout import (
    DATA_SHEET,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    KPI_HEADER,
    MARKER_SHEET,
    MARKER_TEXT,
    NAME_HEADER,
    OWNER_HEADER,
    TARGET_HEADER,
    UNIT_HEADER,
)
from kpicli.model.template import EntryPlan, EntryRow
from kpicli.model.units import format_value, is_percent, number_format
from kpicli.writers.atomic import write_atomic
from kpicli.writers.xlsx.style import _font, _header, _put

__all__ = ["build_template", "target_text", "write_template"]

_ENTRY_FILL = PatternFill("solid", fgColor="FFF9E5")  # the cells to type in
_HUGE = 9.99e307  # "any number": Excel's decimal validation needs bounds


def target_text(row: EntryRow) -> str:
    """``≥ 85.0%``, ``≤ €8,000``, ``40 pts by 2026-12``, ``change -20% from the baseline 32.1``."""
    due = f" by {row.due}" if row.due else ""
    if row.target_min is not None or row.target_max is not None:
        lo, hi = row.target_min, row.target_max
        if lo is not None and hi is not None:
            text = f"{format_value(lo, row.unit)}–{format_value(hi, row.unit)}"
        elif lo is not None:
            text = f"≥ {format_value(lo, row.unit)}"
        else:
            text = f"≤ {format_value(hi, row.unit)}"
        return text + due
    if row.target is not None:
        text = format_value(row.target, row.unit) + due
        return f"{text} ({row.target_note})" if row.target_note else text
    return (row.target_note + due) if row.target_note else ""


def _number(x: float) -> str:
    return f"{x:.15g}"


def _validation(lo: float | None, hi: float | None, unit: str | None) -> DataValidation:
    if lo is not None and hi is not None:
        dv = DataValidation(type="decimal", operator="between", formula1=_number(lo),
                            formula2=_number(hi))
        rule = f"a number from {_number(lo)} to {_number(hi)}"
    elif lo is not None:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=_number(lo))
        rule = f"a number of at least {_number(lo)}"
    elif hi is not None:
        dv = DataValidation(type="decimal", operator="lessThanOrEqual", formula1=_number(hi))
        rule = f"a number of at most {_number(hi)}"
    else:
        dv = DataValidation(type="decimal", operator="between", formula1=_number(-_HUGE),
                            formula2=_number(_HUGE))
        rule = "a number"
    scale = " (percent on the 0-100 scale: 87.5 for 87.5%)" if unit == "percent" else ""
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "Numbers only"
    dv.error = f"Type {rule}{scale}, or leave the cell empty."
    dv.showInputMessage = True
    dv.promptTitle = "Value"
    dv.prompt = f"{rule[0].upper()}{rule[1:]}{scale}; empty when unknown."
    return dv


def build_template(plan: EntryPlan, *, today: dt.date | None = None) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    fixed = [KPI_HEADER] + ([plan.by] if plan.by else []) + [
        NAME_HEADER, UNIT_HEADER, OWNER_HEADER, TARGET_HEADER,
    ]
    _header(ws, HEADER_ROW, fixed + plan.periods)
    first = len(fixed) + 1
    last = len(fixed) + len(plan.periods)
    a, z = get_column_letter(first), get_column_letter(last)
    validations: dict[tuple[float | None, float | None, str | None], DataValidation] = {}
    for i, row in enumerate(plan.rows):
        r = HEADER_ROW + 1 + i
        values: list[object] = [row.label] + ([row.member or ""] if plan.by else []) + [
            row.name, row.unit or "", row.owner or "", target_text(row),
        ]
        for c, v in enumerate(values, start=1):
            _put(ws, r, c, v)
        fmt = number_format(row.unit)
        for c in range(first, last + 1):
            cell = ws.cell(row=r, column=c)
            cell.number_format = fmt
            cell.fill = _ENTRY_FILL
        key = (row.valid_min, row.valid_max, "percent" if is_percent(row.unit) else None)
        if key not in validations:
            validations[key] = _validation(row.valid_min, row.valid_max, key[2])
        validations[key].add(f"{a}{r}:{z}{r}")
    for dv in validations.values():
        ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=first)
    widths = [18] + ([16] if plan.by else []) + [34, 13, 22, 22]
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    for c in range(first, last + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    if plan.rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(fixed))}{HEADER_ROW + len(plan.rows)}"

    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET), plan, today or dt.date.today())
    marker = wb.create_sheet(MARKER_SHEET)
    marker["A1"] = MARKER_TEXT
    marker["A2"] = f"written by kpicli {__version__}"
    marker.sheet_state = "hidden"
    return wb


def _instructions(ws: Worksheet, plan: EntryPlan, today: dt.date) -> None:
    kpis = plan.kpi_file or "kpis.yaml"
    lines: list[tuple[str, bool]] = [
        (f"{plan.title or 'KPI scorecard'}: data entry", True),
        ("", False),
        ("How to fill it in", True),
        (f"1. In the sheet '{DATA_SHEET}', type one number per yellow cell: the value of the "
         "row's KPI for the column's period. Leave a cell empty when the value is not known "
         "(never 0 for unknown).", False),
        ("2. Percentages on the 0-100 scale: 87.5 for 87.5%. Money and counts as plain numbers "
         "(no currency sign needed). The cells refuse text and numbers outside the KPI's range.",
         False),
        (f"3. Keep the sheet name, the {KPI_HEADER} column and the period headers as they are. "
         "More periods: add a column with a header such as "
         f"{plan.periods[-1] if plan.periods else '2027-01'} after the last one.", False),
        ("4. Read it back, no options needed: "
         f"kpi report {kpis} --data <this file>"
         + (f" --by {plan.by}" if plan.by else ""), False),
        ("", False),
        ("What is in it", True),
        (f"Periods ({plan.grain}): {plan.periods[0]} to {plan.periods[-1]}, "
         f"{plan.periods_source}.", False),
        (f"Rows: one per measured KPI series from {kpis}"
         + (f", times each member of {plan.by}" if plan.by else "") + ".", False),
    ]
    if plan.by:
        lines.append((f"Members of {plan.by}: {plan.members_source or 'given'} "
                      f"({len(plan.members)}).", False))
    lines.append((f"The columns {NAME_HEADER}, {UNIT_HEADER}, {OWNER_HEADER} and "
                  f"{TARGET_HEADER} are copied from {kpis} for reference; targets are read from "
                  f"{kpis}, not from this workbook.", False))
    if plan.skipped:
        lines += [("", False), ("Not in this workbook (kpicli computes or counts them)", True)]
        lines += [(f"{s.kpi}: {s.reason}", False) for s in plan.skipped]
    lines += [("", False), (f"Written by kpicli {__version__} on {today.isoformat()}.", False)]
    for r, (text, bold) in enumerate(lines, start=1):
        cell = _put(ws, r, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = _font(bold=True, size=13 if r == 1 else 11)
    ws.column_dimensions["A"].width = 110


def write_template(
    plan: EntryPlan, path: Path, *, inputs: Sequence[Path] = (), today: dt.date | None = None
) -> None:
    """Write the workbook to ``path`` atomically; refuses to overwrite an input."""

    def write(tmp: Path) -> None:
        buf = io.BytesIO()
        build_template(plan, today=today).save(buf)
        tmp.write_bytes(buf.getvalue())

    write_atomic(Path(path), write, inputs)
