"""The cell grid a reader hands to the layouts (Sheet), what a layout hands back (Part), and the
shapes every layout shares: cell places in findings, the Source record, the base frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from kpicli.engine.rules.catalogue import Severity, finding
from kpicli.model.results import Finding
from kpicli.model.table import ROW, SRC, Source
from kpicli.readers.headers import (
    header_name,
)
from kpicli.readers.layout.vocabulary import MAX_PLACES
from kpicli.readers.numbers import (
    Factorized,
    Numbers,
    factorize,
)


@dataclass
class Sheet:
    """The cells below a detected header, with where each came from."""

    path: str  # as the user wrote it
    sheet: str | None
    kind: Literal["csv", "workbook"]
    header_row: int  # 1-based sheet row or CSV line of the header
    names: list[str]  # unique column names
    header: list[object]  # the raw header cells, aligned with names
    letters: list[str]  # spreadsheet letter (workbook) or 1-based field number (CSV)
    frame: pd.DataFrame  # data cells, columns = names; object (workbook) or str (CSV)
    rows: np.ndarray  # int64: 1-based sheet row or CSV line of each frame row
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices made while reading it
    uncalculated: list[tuple[str, int]] = field(default_factory=list)
    percent_cells: pd.DataFrame | None = None  # (letter, row) of percent-formatted number cells
    decimal_hint: str = "."
    dayfirst_hint: bool = False
    # A header over several rows: each column's parts, top to bottom (kpicli.readers.headers).
    parts: list[tuple[str, ...]] | None = None
    sectioned: bool = False  # one of several stacked tables was already picked
    # CSV: ``rows`` number records as if each took one line; this maps them to physical
    # lines when a location is made (kpicli.readers.delimited.LineMap). None: rows are lines.
    lines: Callable[[int], int] | None = None
    dayfirst: bool | None = None  # data.dayfirst
    date_format: str | None = None  # data.date_format
    # Factorisations of ``frame``'s columns, made once and shared by layout detection and
    # the layout (see :meth:`factorized`); a copy made with dataclasses.replace starts empty.
    made: dict[str, tuple[pd.DataFrame, Factorized]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # float64 values of the columns a workbook reader typed as numbers (every filled cell a
    # number cell), aligned with ``frame``'s rows and tied to that frame as ``made`` is: see
    # :meth:`typed_numbers`. A copy made with dataclasses.replace starts without them.
    numbers: tuple[pd.DataFrame, dict[str, np.ndarray]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # The same for the columns it typed as dates: datetime64[ns] values (see :meth:`typed_dates`).
    dates: tuple[pd.DataFrame, dict[str, np.ndarray]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def typed_numbers(self, name: str, col: pd.Series, rows: np.ndarray) -> Numbers | None:
        """The column ``name`` read as numbers from the reader's typed values, or None.

        Only for the whole column of this frame (``rows`` is the sheet's own ``rows``): the
        result equals :func:`~kpicli.readers.numbers.to_numbers` of its cells (number cells
        and empty ones), without looking at each cell.
        """
        values = self._typed(self.numbers, name, col, rows)
        if values is None:
            return None
        empty = np.isnan(values)
        zero = np.zeros(len(values), bool)
        return Numbers(values, zero, empty, zero.copy(), ~empty, ".")

    def typed_dates(self, name: str, col: pd.Series, rows: np.ndarray) -> pd.Series | None:
        """The column ``name`` as the reader typed it (datetime64[ns], NaT where empty), or
        None; as :meth:`typed_numbers`, only for the whole column of this frame.

        Every filled cell is a date or date-time cell, so
        :func:`~kpicli.readers.numbers.to_dates` gives the same Dates for it as for the cells,
        without a Python object per cell.
        """
        values = self._typed(self.dates, name, col, rows)
        if values is None:
            return None
        return pd.Series(
            values, index=col.index, dtype="datetime64[ns]", name=col.name, copy=False
        )

    def _typed(
        self,
        got: tuple[pd.DataFrame, dict[str, np.ndarray]] | None,
        name: str,
        col: pd.Series,
        rows: np.ndarray,
    ) -> np.ndarray | None:
        """The reader's typed values of column ``name`` (``got``: the frame they were made
        for and the arrays by column), when they are this frame's whole column.

        The reader's array itself, read-only: a fresh copy of a big column costs more than
        the parse it replaces on this path; whoever changes values copies them first.
        """
        if got is None or got[0] is not self.frame or rows is not self.rows:
            return None
        values = got[1].get(name)
        if values is None or len(values) != len(col):
            return None
        shared = values.view()
        shared.flags.writeable = False
        return shared

    def factorized(self, name: str) -> Factorized:
        """``pandas.factorize`` of the column ``name`` of ``frame``, made once per frame (or
        by the reader: a workbook's text columns)."""
        got = self.made.get(name)
        if got is None or got[0] is not self.frame:
            got = self.made[name] = (self.frame, factorize(self.frame[name]))
        return got[1]

    def made_codes(self, name: str, rows: np.ndarray) -> Factorized | None:
        """:meth:`factorized` when the whole column ``name`` (``rows`` is the sheet's own
        ``rows``) was factorised already, else None: for a caller that may do without."""
        got = self.made.get(name)
        if got is None or got[0] is not self.frame or rows is not self.rows:
            return None
        return got[1]

    def line(self, row: int) -> int:
        """The physical line (CSV) or sheet row of ``rows`` value ``row``."""
        return self.lines(int(row)) if self.lines is not None else int(row)

    def date_options(self) -> dict[str, object]:
        """The keyword arguments every date parse of this sheet takes."""
        return {
            "dayfirst_hint": self.dayfirst_hint,
            "dayfirst": self.dayfirst,
            "date_format": self.date_format,
        }

    @property
    def where(self) -> str:
        return f"{self.path} (sheet {self.sheet!r})" if self.sheet else self.path

    def cell(self, row: int, letter: str | None = None) -> str:
        """``file.xlsx!Sheet!C17`` or ``file.csv:17``."""
        row = self.line(row)
        if self.kind == "workbook":
            ref = f"{letter}{row}" if letter else f"row {row}"
            return f"{self.path}!{self.sheet}!{ref}" if self.sheet else f"{self.path}!{ref}"
        return f"{self.path}:{row}"

    def finding(
        self,
        rule: str,
        message: str,
        row: int | None = None,
        letter: str | None = None,
        *,
        severity: Severity | None = None,
        context: dict[str, object] | None = None,
    ) -> Finding:
        """A finding of catalogue rule ``rule`` at a cell (or line) of this sheet."""
        return finding(
            rule,
            message,
            severity=severity,
            context=context,
            location=self.cell(row, letter) if row is not None else self.path,
            file=self.path,
            line=self.line(row) if row is not None else None,
        )


@dataclass
class Part:
    """One file (or sheet) normalised: a frame in the Table shape and what it came from."""

    frame: pd.DataFrame
    layout: Literal["records", "long"]
    source: Source
    findings: list[Finding]
    grain: str | None
    value_label: str | None = None
    target_label: str | None = None
    date_label: str | None = None
    # Percent values that may be stored as fractions; decided over all files read together.
    fractions: list[Fractions] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices, named for the user
    # Columns of ``frame`` factorised while reading (kpicli.engine.codes takes them over).
    codes: dict[str, Factorized] = field(default_factory=dict)


@dataclass
class Fractions:
    """Rows of one frame column holding a percent KPI's values not written with a % sign.

    Whether they are fractions (0.6 for 60 %) is decided once per ``key`` over every file
    read together (:func:`decide_fractions`), never per file: a file whose values all happen
    to be <= 1 must not be scaled while the other files of the same KPI are not.
    """

    key: tuple[str, ...]  # what is decided together: a records column, or a KPI's labels
    column: str  # the frame column holding the values
    rows: np.ndarray  # bool mask over the frame's rows
    declared: bool | None  # the KPI's own numbers say 0-100 (True), 0-1 (False), or nothing


def _places(
    sheet: Sheet, rows: np.ndarray, letters: np.ndarray | str, shown: np.ndarray | None
) -> str:
    """Up to five cell locations (with the cell text) and how many more there are."""
    parts = []
    for i in range(min(MAX_PLACES, len(rows))):
        letter = letters if isinstance(letters, str) else letters[i]
        text = f" {_short(shown[i])}" if shown is not None else ""
        parts.append(f"{sheet.cell(int(rows[i]), letter)}{text}")
    more = len(rows) - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _cell_refs(sheet: Sheet, rows: np.ndarray, letters: np.ndarray | str) -> list[str]:
    """The first few cell locations, for a finding's context (the message names the same)."""
    return [
        sheet.cell(int(rows[i]), letters if isinstance(letters, str) else str(letters[i]))
        for i in range(min(MAX_PLACES, len(rows)))
    ]


def _cell_texts(shown: np.ndarray) -> list[str | None]:
    """The first few cells' text as written (None for an empty cell), for a finding's context."""
    out: list[str | None] = []
    for v in shown[:MAX_PLACES]:
        if v is None or (isinstance(v, float) and v != v):
            out.append(None)
        else:
            out.append(v.strip() if isinstance(v, str) else header_name(v))
    return out


def _short(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "(empty)"
    text = header_name(v) if not isinstance(v, str) else v.strip()
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _non_numeric_finding(
    sheet: Sheet,
    name: str,
    nums: Numbers,
    raw: np.ndarray | pd.Series,
    rows: np.ndarray,
    letters: np.ndarray | str,
    what: str,
    about: dict[str, object] | None = None,
) -> Finding | None:
    """D601 for the cells of ``nums`` that are not numbers; ``about`` names what they are in
    the finding's context (default: column ``name``)."""
    bad = np.flatnonzero(nums.bad)
    if not len(bad):
        return None
    lt = letters if isinstance(letters, str) else letters[bad]
    first_letter = lt if isinstance(lt, str) else lt[0]
    n = len(bad)
    shown = raw.iloc[bad].to_numpy(dtype=object) if isinstance(raw, pd.Series) else raw[bad]
    return sheet.finding(
        "D601",
        f"{what} has {n} value{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} not a "
        f"number ({_places(sheet, rows[bad], lt, shown)}); "
        f"{'they are' if n != 1 else 'it is'} treated as missing. Type a number (85, 85%, "
        "1,250.5 or 1.250,5) or leave the cell empty",
        int(rows[bad[0]]),
        first_letter,
        context={
            **(about if about is not None else {"column": name}),
            "cells": n,
            "examples": _cell_texts(shown),
            "locations": _cell_refs(sheet, rows[bad], lt),
        },
    )


def _source(sheet: Sheet, layout: str) -> Source:
    return Source(
        path=sheet.path,
        sheet=sheet.sheet,
        kind=sheet.kind,
        columns=dict(zip(sheet.names, sheet.letters, strict=True)),
        header_row=sheet.header_row,
        layout=layout,
        lines=sheet.lines,
    )


def _uncalculated_findings(sheet: Sheet) -> list[Finding]:
    """D608: formulas without a calculated value below the header, one finding per column."""
    cells = [(lt, r) for lt, r in sheet.uncalculated if r > sheet.header_row]
    if not cells:
        return []
    by_col: dict[str, list[int]] = {}
    for lt, r in cells:  # one entry per formula cell without a value, not per data row
        by_col.setdefault(lt, []).append(r)
    out = []
    for lt, rows in by_col.items():
        refs = [f"{sheet.sheet}!{lt}{r}" if sheet.sheet else f"{lt}{r}" for r in rows[:MAX_PLACES]]
        more = len(rows) - len(refs)
        listing = ", ".join(refs) + (f" and {more} more" if more > 0 else "")
        one = len(rows) == 1
        out.append(
            sheet.finding(
                "D608",
                f"formula{'' if one else 's'} in {listing} {'has' if one else 'have'} no "
                "calculated value (the file was saved by a program that does not calculate "
                "formulas); treated as missing. Open the file in Excel or LibreOffice and save "
                "it, or type the value",
                rows[0],
                lt,
                context={"cells": len(rows), "locations": refs},
            )
        )
    return out


def _base(values: dict[str, object], sheet_rows: np.ndarray, n: int) -> pd.DataFrame:
    # The arrays are fresh: no second copy. The bookkeeping columns go in with the data in one
    # construction (inserting them afterwards fragments a wide frame block by block).
    columns = {**values, SRC: np.zeros(n, dtype=np.int64)}
    columns[ROW] = sheet_rows.astype(np.int64, copy=False)
    return pd.DataFrame(columns, copy=False)
