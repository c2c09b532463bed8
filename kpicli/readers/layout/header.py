"""Header detection: which of the first rows is the header, and the column names made from it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.table import COL, RESERVED
from kpicli.readers.headers import (
    header_name,
)
from kpicli.readers.layout.sheet import Sheet
from kpicli.readers.layout.vocabulary import _NUMBER_TEXT, HEADER_SCAN, MAX_PLACES
from kpicli.readers.sections import filled_cells


def _header_like(v: object) -> bool | None:
    """True for a cell that could be a column name, False for data, None for empty."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str):
        text = v.strip()
        if not text:
            return None
        if _NUMBER_TEXT.match(text):
            return bool(re.fullmatch(r"(19|20)\d{2}", text))  # a year heads a yearly tracker
        return True
    if isinstance(v, dt.date):
        return True  # trackers head their period columns with real dates
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v).is_integer() and 1900 <= v <= 2200
    return False


def find_header(top: Sequence[Sequence[object]]) -> int:
    """Index of the header among the first rows: title and note rows above it are skipped.

    The header is the first row that is filled across most of the table's width, is mostly
    text (or period labels), and covers the columns the next row uses.
    """
    kinds = [[_header_like(v) for v in row] for row in top[:HEADER_SCAN]]
    filled = [sum(k is not None for k in row) for row in kinds]
    width = max(filled, default=0)
    if width == 0:
        return 0
    need = 1 if width == 1 else max(2, math.ceil(0.5 * width))
    first = next(i for i, n in enumerate(filled) if n)
    for i, row in enumerate(kinds):
        n = filled[i]
        if n < need or sum(k is True for k in row) < 0.5 * n:
            continue
        nxt = next((j for j in range(i + 1, len(kinds)) if filled[j]), None)
        # A header over several rows (sub-columns named in the rows below): the rows
        # together name the columns the data uses.
        cover = {c for c, k in enumerate(row) if k is not None}
        while (
            nxt is not None
            and nxt - i < 6
            and filled[nxt] >= 2
            and (not kinds[nxt] or kinds[nxt][0] is None)  # sub-headers leave the label column
            and all(k is True for k in kinds[nxt] if k is not None)
        ):
            cover |= {c for c, k in enumerate(kinds[nxt]) if k is not None}
            nxt = next((j for j in range(nxt + 1, len(kinds)) if filled[j]), None)
        if nxt is None:
            return i
        used = [c for c, k in enumerate(kinds[nxt]) if k is not None]
        # Label columns left of the first named column often have no header of their own.
        lead = min(cover, default=0)
        covered = sum(1 for c in used if c in cover or c < lead)
        if covered >= 0.75 * len(used) or n >= 0.8 * width:
            return i
    return first


def make_names(
    header: Sequence[object], letters: Sequence[str], blank: str
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Unique column names: blanks become ``Column C``, repeats ``Value.1``.

    Returns the names and the repeats as (name written, name given, letter).
    """
    names: list[str] = []
    taken = set(RESERVED) | {COL}
    repeats: list[tuple[str, str, str]] = []
    for v, letter in zip(header, letters, strict=True):
        base = header_name(v) or f"{blank} {letter}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        if k:
            repeats.append((base, name, letter))
        taken.add(name)
        names.append(name)
    return names, repeats


def _keep_typed(
    out: Sheet,
    typed: dict[str, object],
    names: Sequence[str],
    cols: np.ndarray,
    rows: np.ndarray | None,
) -> None:
    """Hand the reader's typed columns (``numbers``, ``dates``: arrays; ``texts``:
    factorisations; each by position among the header cells) to ``out`` for the columns
    kept and the rows kept (``rows``, a mask; None: all of them)."""

    def kept(kind: str) -> dict[str, Any]:
        got: dict[int, Any] = typed.get(kind) or {}  # type: ignore[assignment]
        return {names[j]: v for j, v in got.items() if j < len(names) and cols[j]}

    numbers, dates = kept("numbers"), kept("dates")
    if numbers:
        out.numbers = (out.frame, {n: v if rows is None else v[rows] for n, v in numbers.items()})
    if dates:
        out.dates = (out.frame, {n: v if rows is None else v[rows] for n, v in dates.items()})
    for name, made in kept("texts").items():
        # Sheet.factorized then hands these out instead of factorising the cells.
        out.made[name] = (out.frame, made if rows is None else made.take(rows))


def build_sheet(
    *,
    path: str,
    sheet: str | None,
    kind: Literal["csv", "workbook"],
    header_row: int,
    header: Sequence[object],
    letters: Sequence[str],
    data: pd.DataFrame,
    rows: np.ndarray,
    filled: np.ndarray | None = None,
    **extra: object,
) -> Sheet:
    """Name the columns, drop empty rows and unnamed empty columns; D609 for repeated names.

    ``data`` has one positional column per header cell. ``filled`` is its filled-cell mask
    (kpicli.readers.sections.filled_cells: what cut_table hands back), made here if None.
    """
    names, repeats = make_names(header, letters, "Column")
    data = data.set_axis(names, axis=1)
    typed = {kind: extra.pop(kind, None) for kind in ("numbers", "dates", "texts")}
    if filled is None:
        filled = filled_cells(data)  # one pass over the cells serves both axes
    filled_col = filled.any(axis=0)
    named = np.array([header_name(v) != "" for v in header], bool)
    cols = filled_col | named
    filled_row = filled.any(axis=1)
    every_row = bool(filled_row.all())
    rows = np.asarray(rows, dtype=np.int64)
    if not (every_row and cols[: data.shape[1]].all()):  # else: nothing to drop
        data = data.loc[filled_row, cols[: data.shape[1]]].reset_index(drop=True)
    parts = extra.pop("parts", None)
    if parts is not None:
        extra["parts"] = [p for p, c in zip(parts, cols, strict=True) if c]  # type: ignore[arg-type]
    out = Sheet(
        path=path,
        sheet=sheet,
        kind=kind,
        header_row=header_row,
        names=[n for n, c in zip(names, cols, strict=True) if c],
        header=[h for h, c in zip(header, cols, strict=True) if c],
        letters=[lt for lt, c in zip(letters, cols, strict=True) if c],
        frame=data,
        rows=rows if every_row else rows[filled_row],
        **extra,  # type: ignore[arg-type]
    )
    _keep_typed(out, typed, names, cols, None if every_row else filled_row)
    if repeats:
        what = ", ".join(
            f"{b!r} in column {lt} is read as {n!r}" for b, n, lt in repeats[:MAX_PLACES]
        )
        out.findings.append(
            out.finding(
                "D609",
                f"the header repeats column names: {what}; give each column its own name so "
                "KPIs read the column you mean",
                header_row,
                repeats[0][2],
                context={
                    "headers": [str(b) for b, _, _ in repeats[:MAX_PLACES]],
                    "read_as": [n for _, n, _ in repeats[:MAX_PLACES]],
                    "letters": [lt for _, _, lt in repeats[:MAX_PLACES]],
                },
            )
        )
    if not len(out.frame):
        raise DataError(f"{out.where} has a header but no data rows")
    return out
