"""Columns: numbers or text, the date column among several, dates and dropped rows (totals,
blank dates), a numbers column with its findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec
from kpicli.model.results import Finding
from kpicli.model.table import DATE
from kpicli.readers.grid import unnamed_year_month
from kpicli.readers.layout.percent import _format_percent
from kpicli.readers.layout.sheet import (
    Fractions,
    Sheet,
    _cell_refs,
    _cell_texts,
    _non_numeric_finding,
    _places,
)
from kpicli.readers.layout.vocabulary import (
    _DATE_NAME,
    _MONTH_NAMES,
    _TOTAL,
    _YEAR_NAMES,
    DATE_SHARE,
    MAX_PLACES,
    NAMED_DATE_SHARE,
    NUMERIC_SHARE,
    _by_name,
    _lookup,
    norm,
)
from kpicli.readers.numbers import (
    Dates,
    Factorized,
    Numbers,
    numbers_if,
    text_column,
    text_values,
    to_dates,
    to_numbers,
)


def _numeric_or_text(
    sheet: Sheet,
    spec: DataSpec | None,
    name: str,
    col: pd.Series,
    rows: np.ndarray,
    letter: str,
    findings: list[Finding],
    percent: dict[str, bool | None],
    fiscal_year_start: int,
    pending: list[Fractions] | None = None,
    codes: dict[str, Factorized] | None = None,
) -> pd.Series:
    """A data column as float64 (numbers, finding D601 for stray text) or as text or dates.

    A percent KPI's column (in ``percent``) without percent-formatted cells is added to
    ``pending``: whether it holds fractions is decided over all files (decide_fractions).
    A text or date column's factorisation, made while its distinct values were parsed, goes
    into ``codes`` under ``name`` (for kpicli.engine.codes: one factorisation per column).
    """
    # Decided on the column's distinct values: a text column is factorised once (or by the
    # reader), and those codes serve the dates or text below (and the engine, via ``codes``).
    nums, made = sheet.typed_numbers(name, col, rows), None
    typed_dates = sheet.typed_dates(name, col, rows)
    # A column of date cells is never numbers: none of its filled cells is one.
    if nums is None and typed_dates is None:
        nums, made = numbers_if(
            col,
            NUMERIC_SHARE,
            spec.decimal if spec else None,
            sheet.decimal_hint,
            made=sheet.made_codes(name, rows),
        )
    if nums is not None:  # an all-empty column counts as numeric (share 1.0)
        values, fmt = _checked_numbers(sheet, name, nums, col, rows, letter, findings)
        if not fmt.any() and name in percent and pending is not None:
            pending.append(Fractions(("column", name), name, ~nums.text_percent, percent[name]))
        # The values as they are (pandas copies an array it is given unless told not to):
        # perhaps the reader's own, read-only; whoever changes a column copies it first.
        return pd.Series(values, index=col.index, dtype="float64", copy=False)
    dates = _maybe_dates(col if typed_dates is None else typed_dates, sheet, fiscal_year_start)
    if dates is not None:
        if codes is not None and dates.factorized is not None:
            codes[name] = dates.factorized
        return pd.Series(dates.values, index=col.index, dtype="datetime64[ns]", copy=False)
    text, made = text_column(col, made)
    if codes is not None:
        codes[name] = made
    return text


def _date_codes(dates: Dates, keep: np.ndarray, every: bool) -> dict[str, Factorized]:
    """The date column's factorisation for the rows kept (none when it was not made)."""
    if dates.factorized is None:
        return {}
    return {DATE: dates.factorized if every else dates.factorized.take(keep)}


def _maybe_dates(
    col: pd.Series,
    sheet: Sheet,
    fiscal_year_start: int,
    serials: bool = False,
    years: bool = False,
    share: float = DATE_SHARE,
) -> Dates | None:
    """The column as dates when (nearly) all of it is; a sample decides before the full parse.

    ``col`` may be the reader's typed form of the column (:meth:`Sheet.typed_dates`): the
    Dates are the same as for its cells.
    """
    # The first 200 filled cells decide; look at the whole column only if the top is sparse.
    filled = col.iloc[:2000].dropna()
    if len(filled) < 200 and len(col) > 2000:
        filled = col.dropna()
    if not len(filled):
        return None
    if not serials and filled.dtype == object:
        # Real date cells next to plain numbers: those numbers are dates that lost their format.
        serials = bool(filled.iloc[:200].map(lambda v: isinstance(v, dt.date)).any())
    probe = to_dates(
        filled.iloc[:200],
        serials=serials,
        years=years,
        **sheet.date_options(),  # type: ignore[arg-type]
        fiscal_year_start=fiscal_year_start,
    )
    if probe.share < share:
        return None
    dates = to_dates(
        col,
        serials=serials,
        years=years,
        **sheet.date_options(),  # type: ignore[arg-type]
        fiscal_year_start=fiscal_year_start,
    )
    return dates if dates.share >= share else None


def find_date_column(
    sheet: Sheet, spec: DataSpec | None, fiscal_year_start: int, skip: Sequence[str | None] = ()
) -> tuple[str, Dates]:
    """The date or period column: named in the spec, named like a date, or the first of dates."""
    if spec is not None and spec.date_column:
        name = _lookup(sheet.names, spec.date_column, sheet.where, "data.date_column")
        dates = to_dates(
            _dated(sheet, name),
            serials=True,
            years=True,
            **sheet.date_options(),  # type: ignore[arg-type]
            fiscal_year_start=fiscal_year_start,
        )
        if not (~dates.bad & ~dates.empty).any():
            raise DataError(
                f"column {name!r} of {sheet.where} holds no dates or periods that can be read; "
                "write dates like 2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3"
            )
        return name, dates
    named = [n for n in sheet.names if n not in skip and _DATE_NAME.search(norm(n))]
    # Year-only columns come after a Year + Month pair, which is finer.
    ordered = [n for n in named if norm(n) not in _YEAR_NAMES] + [None]
    ordered += [n for n in named if norm(n) in _YEAR_NAMES]
    for name in ordered:
        if name is None:
            combined = _year_and_month(sheet, skip)
            if combined is not None:
                return combined
            continue
        # A column named like a date may carry total rows and typos: half is enough.
        dates = _maybe_dates(
            _dated(sheet, name),
            sheet,
            fiscal_year_start,
            serials=True,
            years=True,
            share=NAMED_DATE_SHARE,
        )
        if dates is not None:
            _note_other_dates(sheet, name, skip, fiscal_year_start)
            return name, dates
    for name in sheet.names:
        if name in skip or name in named:
            continue
        dates = _maybe_dates(_dated(sheet, name), sheet, fiscal_year_start)
        if dates is not None:
            _note_other_dates(sheet, name, skip, fiscal_year_start)
            return name, dates
    pair = unnamed_year_month(sheet, {n for n in skip if n})
    if pair is not None:
        combined = _year_and_month(sheet, skip, pair)
        if combined is not None:
            sheet.notes.append(
                f"{sheet.where}: the unnamed columns {pair[0]!r} (years) and {pair[1]!r} "
                "(months) are read together as the period"
            )
            return combined
    raise DataError(no_date_message(sheet))


def _dated(sheet: Sheet, name: str) -> pd.Series:
    """The frame's column ``name``, as the reader typed it when it holds date cells only
    (:meth:`Sheet.typed_dates`): to_dates then reads it without a Python object per cell."""
    col = sheet.frame[name]
    typed = sheet.typed_dates(name, col, sheet.rows)
    return col if typed is None else typed


def no_date_message(sheet: Sheet) -> str:
    """The "no date column" error: what was tried (sheet, header row) and which key fixes it."""
    row = "row" if sheet.kind == "workbook" else "line"
    columns = ", ".join(repr(n) for n in sheet.names[:12])
    if len(sheet.names) > 12:
        columns += f" and {len(sheet.names) - 12} more"
    sheet_hint = ", data.sheet to read another sheet" if sheet.kind == "workbook" else ""
    return (
        f"no date or period column found in {sheet.where}, reading the header from "
        f"{row} {sheet.header_row} (columns: {columns}). If the header is on another {row}, "
        f"set data.header_row (1-based){sheet_hint}; name the date column with "
        "data.date_column; or add a column of dates (2026-10-31) or periods (2026-10, "
        "Oct 2026, 2026-Q3)"
    )


def _note_other_dates(
    sheet: Sheet, chosen: str, skip: Sequence[str | None], fiscal_year_start: int
) -> None:
    """When more columns than the one chosen hold dates, name the choice in a note.

    Only the first 200 filled cells of each other column are looked at (as detection does).
    """
    others = []
    for name in sheet.names:
        if name == chosen or name in skip:
            continue
        head = sheet.frame[name].iloc[:2000].dropna().iloc[:200]
        if not len(head) or to_numbers(head).share >= NUMERIC_SHARE:
            continue  # numbers are dates only in a column named like one
        probe = to_dates(
            head,
            fiscal_year_start=fiscal_year_start,
            **sheet.date_options(),  # type: ignore[arg-type]
        )
        if probe.share >= DATE_SHARE:
            others.append(name)
    if others:
        listing = ", ".join(repr(n) for n in others[:MAX_PLACES])
        sheet.notes.append(
            f"{sheet.where}: dates are taken from column {chosen!r}; "
            f"{listing} also hold{'s' if len(others) == 1 else ''} dates. "
            "Name the one you mean with data.date_column"
        )


def date_order_finding(sheet: Sheet, name: str, dates: Dates) -> Finding | None:
    """D620 (info): how numeric dates such as 03/04/2026 were read, unless the file said."""
    order = dates.order
    if order is None or order.reason.startswith("data."):
        return None
    letter = dict(zip(sheet.names, sheet.letters, strict=True)).get(name)
    other = "false" if order.dayfirst else "true"
    # The cell that decided (or, for a separator, the first one written that way).
    col = sheet.frame[name]
    texts = col if pd.api.types.is_string_dtype(col) else col.astype("str")
    hit = np.flatnonzero(texts.str.strip().eq(order.example).to_numpy(bool, na_value=False))
    first = int(sheet.rows[hit[0]]) if len(hit) else int(sheet.rows[0]) if len(sheet.rows) else None
    return sheet.finding(
        "D620",
        f"dates in column {name!r} are read as {order.text} ({order.example!r}), decided by "
        f"{order.reason}; if that is wrong, set data.dayfirst: {other} (or data.date_format) "
        "in the KPI file",
        first,
        letter,
        context={
            "column": name,
            "dayfirst": order.dayfirst,
            "example": order.example,
            "reason": order.reason,
        },
    )


def _year_and_month(
    sheet: Sheet, skip: Sequence[str | None], pair: tuple[str, str] | None = None
) -> tuple[str, Dates] | None:
    """Separate Year and Month (number or name) columns make a month period."""
    year, month = pair or (
        _by_name(sheet.names, _YEAR_NAMES, skip),
        _by_name(sheet.names, _MONTH_NAMES, skip),
    )
    if year is None or month is None:
        return None
    y = to_numbers(sheet.frame[year]).values
    m_num = to_numbers(sheet.frame[month])
    m = m_num.values.copy()
    named = np.isnan(m) & ~m_num.empty
    if named.any():  # month names: "Jan", "October"
        labels = text_values(sheet.frame[month][named]).fillna("") + " 2000"
        parsed = pd.DatetimeIndex(to_dates(labels).values)
        m[named] = parsed.month.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(y) & ~np.isnan(m) & (m >= 1) & (m <= 12) & (y >= 1900) & (y <= 2200)
    if ok.mean() < DATE_SHARE:
        return None
    values = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[ns]")
    values[ok] = pd.to_datetime(
        pd.DataFrame({"year": y[ok].astype(int), "month": m[ok].astype(int), "day": 1})
    ).to_numpy(dtype="datetime64[ns]")
    empty = sheet.frame[year].isna().to_numpy() & sheet.frame[month].isna().to_numpy()
    return f"{year}+{month}", Dates(values, ~ok & ~empty, empty, "month")


def _dates_and_drops(
    sheet: Sheet, name: str, dates: Dates, findings: list[Finding], label: str | None = None
) -> np.ndarray:
    """Rows to keep; D607 for rows whose date cannot be read, D610 for total rows.

    Also D620 (info), how the column's day/month order was decided.
    """
    order = date_order_finding(sheet, name, dates) if name in sheet.names else None
    if order is not None:
        findings.append(order)
    keep = ~dates.bad & ~dates.empty
    if keep.all():
        return keep
    raw = sheet.frame[name].to_numpy(dtype=object) if name in sheet.frame else None
    drop = np.flatnonzero(~keep)
    letter = dict(zip(sheet.names, sheet.letters, strict=True)).get(name)
    total = np.zeros(len(drop), bool)
    if raw is not None:
        texts = pd.Series(raw[drop], dtype=object).astype("str")
        total = texts.str.match(_TOTAL).to_numpy(dtype=bool, na_value=False)
    if total.any():
        rows = sheet.rows[drop[total]]
        findings.append(
            sheet.finding(
                "D610",
                f"{len(rows)} total row{'s' if len(rows) != 1 else ''} skipped "
                f"({_places(sheet, rows, letter or '', None)}); kpicli computes totals itself",
                int(rows[0]),
                letter,
                severity="info",  # nothing is lost: the catalogue declares this strength
                context={
                    "rows": len(rows),
                    "skipped": "total",
                    "column": name,
                    "locations": _cell_refs(sheet, rows, letter or ""),
                },
            )
        )
    other = drop[~total]
    if len(other):
        n = len(other)
        shown = raw[other] if raw is not None else None
        findings.append(
            sheet.finding(
                "D607",
                f"{n} row{'s' if n != 1 else ''} in {sheet.where} "
                f"{'have' if n != 1 else 'has'} no readable date in column {label or name!r} and "
                f"{'were' if n != 1 else 'was'} skipped "
                f"({_places(sheet, sheet.rows[other], letter or '', shown)}); write dates like "
                "2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3",
                int(sheet.rows[other[0]]),
                letter,
                context={
                    "rows": n,
                    "column": label or name,
                    "examples": _cell_texts(shown) if shown is not None else [],
                    "locations": _cell_refs(sheet, sheet.rows[other], letter or ""),
                },
            )
        )
    return keep


def _numbers_column(
    sheet: Sheet,
    spec: DataSpec | None,
    name: str,
    col: pd.Series,
    rows: np.ndarray,
    letter: str,
    findings: list[Finding],
) -> tuple[np.ndarray, Numbers, np.ndarray]:
    """A column that must hold numbers (value, target, baseline): float64 and D601.

    Returns the values (percent-formatted cells already times 100), the parse and the mask
    of those percent-formatted cells.
    """
    nums = sheet.typed_numbers(name, col, rows)
    if nums is None:
        nums = to_numbers(col, spec.decimal if spec else None, sheet.decimal_hint)
    values, fmt = _checked_numbers(sheet, name, nums, col, rows, letter, findings)
    return values, nums, fmt


def _checked_numbers(
    sheet: Sheet,
    name: str,
    nums: Numbers,
    col: pd.Series,
    rows: np.ndarray,
    letter: str,
    findings: list[Finding],
) -> tuple[np.ndarray, np.ndarray]:
    """A parsed number column's values with percent-formatted cells times 100 (0.25 shown as
    25% is 25), the mask of those cells, and D601 for its cells that are not numbers."""
    fmt = _format_percent(sheet, rows, letter, nums)
    values = nums.values
    if fmt.any():
        values = values.copy()  # the parse's own array (perhaps the reader's) is left as it is
        values[fmt] *= 100.0
    f = _non_numeric_finding(sheet, name, nums, col, rows, letter, f"column {name!r}")
    if f:
        findings.append(f)
    return values, fmt
