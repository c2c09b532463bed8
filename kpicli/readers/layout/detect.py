"""Layout detection: long (KPI + value columns), records (one column per measure) or kpi_rows
(one row per KPI, one column per period)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.readers.headers import (
    ROLE_ACTUAL,
    header_period,
    parts_period,
)
from kpicli.readers.layout.sheet import Sheet
from kpicli.readers.layout.vocabulary import _KPI_NAMES, _VALUE_NAMES, _by_name, norm
from kpicli.readers.numbers import (
    text_values,
    to_numbers,
)


def _header_period(v: object, fiscal_year_start: int) -> tuple[str, dt.date] | None:
    """A header cell read as a period: a date cell, ``Jan 2026``, ``2026-02``, ``Q3 2026``...

    Numbers in a header are periods only as years (2026); Excel serials are not. Footnote
    marks (``2020 (2)``, ``1869\\n(31.12.)``) are ignored.
    """
    return header_period(v, fiscal_year_start)


def _column_periods(
    sheet: Sheet, fiscal_year_start: int
) -> dict[str, tuple[str, dt.date, str | None]]:
    """Every period column: name -> (grain, first day, role from a sub-header or None)."""
    out: dict[str, tuple[str, dt.date, str | None]] = {}
    if sheet.parts is not None:
        for name, parts in zip(sheet.names, sheet.parts, strict=True):
            got = parts_period(parts, fiscal_year_start) if parts else None
            if got is not None:
                out[name] = got
        return out
    for name, v in zip(sheet.names, sheet.header, strict=True):
        one = _header_period(v, fiscal_year_start)
        if one is not None:
            out[name] = (one[0], one[1], None)
    return out


def period_columns(sheet: Sheet, fiscal_year_start: int) -> dict[str, tuple[str, dt.date]]:
    """Period columns holding actual values (no role, or the role ``actual``)."""
    return {
        name: (grain, day)
        for name, (grain, day, role) in _column_periods(sheet, fiscal_year_start).items()
        if role in (None, ROLE_ACTUAL)
    }


def _mostly_text(col: pd.Series) -> bool:
    nums = to_numbers(col)
    return bool((~nums.empty).any()) and nums.share < 0.5


def detect_layout(
    sheet: Sheet, spec: DataSpec | None, fiscal_year_start: int, model: KPIFile | None = None
) -> Literal["long", "records", "kpi_rows"]:
    """The layout named in the spec, else: periods across the header -> kpi_rows; a KPI
    column and a numeric value column -> long; otherwise records.

    With a model, a would-be long table whose "KPI" column names none of its KPIs while
    some KPI's measure column is a column of the file (an agent "Name" beside a deal
    "Value") is read as records.
    """
    if spec is not None and spec.layout:
        return "records" if spec.layout == "wide" else spec.layout
    periods = period_columns(sheet, fiscal_year_start)
    if len(periods) >= 2:
        others = [n for n in sheet.names if n not in periods]
        if spec is not None and spec.kpi_column:
            return "kpi_rows"
        if _by_name(others, _KPI_NAMES) or any(_mostly_text(sheet.frame[n]) for n in others[:3]):
            return "kpi_rows"
    if spec is not None and spec.kpi_column and spec.value_column:
        return "long"
    kpi = (spec.kpi_column if spec else None) or _by_name(sheet.names, _KPI_NAMES)
    value = (spec.value_column if spec else None) or _by_name(sheet.names, _VALUE_NAMES, [kpi])
    if not (kpi and value and kpi in sheet.names and value in sheet.names):
        return "records"
    if to_numbers(sheet.frame[value].iloc[:500]).share < 0.5:
        return "records"
    if model is not None and model.kpis:
        col = sheet.frame[kpi]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            # Text cells (CSV) or a workbook's cells: the distinct values (the factorisation
            # the long layout reads the column with, or the workbook reader made) give the
            # labels every cell gives, without converting every cell.
            col = pd.Series(sheet.factorized(kpi).uniques, dtype=col.dtype)
        labels = {norm(v) for v in text_values(col).dropna().unique()[:1000]}
        wanted = set().union(*(k.labels for k in model.kpis))
        columns = {norm(n) for n in sheet.names}
        measured = {norm(k.measure.column) for k in model.kpis if k.measure and k.measure.column}
        if not labels & wanted and measured & columns:
            return "records"
    return "long"
