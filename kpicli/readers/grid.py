"""Year-by-period grids and unnamed year / month columns, read as one series of periods.

Contract:

* :func:`year_period_grid` recognises a table with one row per year and one column per
  month (``Year, Jan .. Dec``, as statistics offices publish series) or per quarter
  (``Year, Q1 .. Q4``) and turns it into a records sheet with two columns, ``Period``
  (``2025-04``) and ``Value``, one row per filled cell. Each row keeps its sheet row and
  its cell's column letter, so a finding names the cell it is about. Other columns
  (``Annual``, ``HALF1``) are left out, with a note. A KPI reads the grid with
  ``measure: {column: Value}``.
* :func:`unnamed_year_month` finds a column of years followed by a column of month names
  whose headers are blank (``1991;January;...``), for the records reader to combine.

Vectorised: the grid's cells are converted in one step, never per row in Python.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpicli.readers.headers import header_period
from kpicli.readers.numbers import to_numbers

if TYPE_CHECKING:
    from kpicli.readers.layout import Sheet

__all__ = ["GRID_VALUE", "could_be_grid", "unnamed_year_month", "year_period_grid"]

GRID_VALUE = "Value"
GRID_PERIOD = "Period"
_YEAR_HEADERS = {"year", "years", "jahr", "année", "annee", "año", "anno", "год", "jaar", "fy"}
_QUARTER = re.compile(r"^(?:q|qtr|quarter\s*)([1-4])$", re.IGNORECASE)


def _month_number(name: str) -> int | None:
    text = name.strip().rstrip(".")
    if not text or not text[0].isalpha() or len(text) > 12:
        return None
    got = header_period(f"{text} 2000")
    if got is None or got[0] != "month":
        return None
    return got[1].month


def _years(col: pd.Series) -> np.ndarray:
    """The column as integer years (NaN where it is not a year from 1800 to 2200)."""
    nums = to_numbers(col)
    y = nums.values.copy()
    bad = np.isnan(y) | (y < 1800) | (y > 2200) | (y != np.floor(y))
    if (bad.any() and col.dtype == object) or str(col.dtype) == "str":
        # "2020 (2)": a year with a footnote mark.
        text = col.astype("str").str.extract(r"^\s*((?:18|19|20|21)\d{2})\b", expand=False)
        y = np.where(bad, pd.to_numeric(text, errors="coerce").to_numpy(dtype=float), y)
        bad = np.isnan(y)
    y[bad] = np.nan
    return y


def _period_headers(names: Sequence[str]) -> tuple[dict[str, int], str]:
    """The month (or else quarter) columns of a header, by name, and their grain."""
    months: dict[str, int] = {}
    quarters: dict[str, int] = {}
    for n in names:
        m = _month_number(n)
        if m is not None and m not in months.values():
            months[n] = m
            continue
        q = _QUARTER.match(n.strip())
        if q and int(q.group(1)) not in quarters.values():
            quarters[n] = int(q.group(1))
    return (months, "month") if len(months) >= 3 else (quarters, "quarter")


def could_be_grid(names: Sequence[str]) -> bool:
    """Whether :func:`year_period_grid` may read a sheet with these column names (it then
    reads the year column's cells as text, so a reader must hand them over as text)."""
    return len(names) >= 4 and len(_period_headers(names)[0]) >= 3


def year_period_grid(sheet: Sheet) -> Sheet | None:
    """The sheet as a ``Period``/``Value`` records sheet when it is a year x month grid."""
    names = sheet.names
    if not could_be_grid(names):
        return None
    cols, grain = _period_headers(names)
    year_col = next((n for n in names if n.strip().casefold() in _YEAR_HEADERS), None)
    if year_col is None:
        first = names[0]
        if first in cols:
            return None
        year_col = first
    years = _years(sheet.frame[year_col])
    has_year = ~np.isnan(years)
    if not has_year.any() or has_year.mean() < 0.8:
        return None
    order = list(cols)
    letters = dict(zip(names, sheet.letters, strict=True))
    p = len(order)
    block = pd.Series(sheet.frame[order].to_numpy(dtype=object).ravel(), dtype=object)
    nums = to_numbers(block, None, sheet.decimal_hint)
    keep = ~nums.empty & np.repeat(has_year, p)
    year_rep = np.repeat(years, p)[keep].astype(np.int64)
    sub = np.tile(np.array([cols[c] for c in order], dtype=np.int64), len(years))[keep]
    sub_text = pd.Series(sub).astype("str")
    year_text = pd.Series(year_rep).astype("str").str.zfill(4)
    labels = year_text + ("-" + sub_text.str.zfill(2) if grain == "month" else "-Q" + sub_text)
    cell_letters = np.tile(np.array([letters[c] for c in order], dtype=object), len(years))[keep]
    values = nums.values[keep]
    bad = nums.bad[keep]
    rows = np.repeat(sheet.rows, p)[keep]
    findings = list(sheet.findings)
    if bad.any():
        at = np.flatnonzero(bad)
        raw = block[keep].to_numpy(dtype=object)[at]
        cells = ", ".join(
            f"{sheet.cell(int(rows[i]), str(cell_letters[i]))} {str(raw[k])!r}"
            for k, i in enumerate(at[:5])
        )
        more = f" and {len(at) - 5} more" if len(at) > 5 else ""
        findings.append(
            sheet.finding(
                "D601",
                f"the grid has {len(at)} cell{'s' if len(at) != 1 else ''} that "
                f"{'are' if len(at) != 1 else 'is'} not a number ({cells}{more}); treated as "
                "missing. Type a number or leave the cell empty",
                int(rows[at[0]]),
                str(cell_letters[at[0]]),
                context={
                    "cells": len(at),
                    "examples": [str(raw[k]) for k in range(min(5, len(at)))],
                    "locations": [
                        sheet.cell(int(rows[i]), str(cell_letters[i])) for i in at[:5]
                    ],
                },
            )
        )
    frame = pd.DataFrame({GRID_PERIOD: labels.to_numpy(dtype=object), GRID_VALUE: values})
    frame[GRID_PERIOD] = frame[GRID_PERIOD].astype(object)
    rows = np.repeat(sheet.rows, p)[keep]
    left_out = [n for n in names if n not in cols and n != year_col]
    notes = [
        f"{sheet.where} is a grid of years down and {grain}s across (header row "
        f"{sheet.header_row}): read as one {grain}ly series, the column {GRID_VALUE!r} "
        f"(measure: {{column: {GRID_VALUE}}})"
    ]
    if left_out:
        notes.append(
            f"{sheet.where}: columns left out of the {grain}ly series: "
            + ", ".join(repr(n) for n in left_out)
        )
    grid = dataclasses.replace(
        sheet,
        names=[GRID_PERIOD, GRID_VALUE],
        header=[GRID_PERIOD, GRID_VALUE],
        # The value's column letter differs per row: findings name the row, or (D601
        # above) the exact cell.
        letters=[letters[year_col], ""],
        frame=frame,
        rows=rows,
        findings=findings,
        notes=[*sheet.notes, *notes],
        percent_cells=None,
    )
    return grid


def unnamed_year_month(sheet: Sheet, skip: set[str]) -> tuple[str, str] | None:
    """(year column, month column): blank-headed, side by side, years then month names."""
    blank = [
        i
        for i, (n, h) in enumerate(zip(sheet.names, sheet.header, strict=True))
        if n not in skip and (h is None or (isinstance(h, str) and not h.strip()))
    ]
    for i in blank:
        if i + 1 not in blank:
            continue
        year, month = sheet.names[i], sheet.names[i + 1]
        y = _years(sheet.frame[year].iloc[:200])
        if np.isnan(y).mean() > 0.2:
            continue
        sample = sheet.frame[month].dropna().astype("str").iloc[:50]
        if not len(sample):
            continue
        ok = sum(_month_number(v) is not None for v in sample.unique()[:24])
        if ok >= min(3, sample.nunique()):
            return year, month
    return None
