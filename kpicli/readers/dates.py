"""Vectorised reading of dates written as text: the families a real spreadsheet holds.

Contract: :func:`parse_texts` takes the DISTINCT non-empty strings of one column and returns,
for each, the first day of its date (NaT when the families here do not read it) and the
column's day/month order decision. Each family is one pass of pattern matching and arithmetic
over the whole array (no per-value Python), so a 1M-row export of distinct timestamps costs a
few vectorised passes. What no family reads (period labels such as ``Q3 2026``, footnoted
years) is left NaT for the caller's per-distinct-value parser; those are few by nature.

Families:
* year first: ``2012-01-31``, ``2012/01/31``, ``2012.01.31``, with any time or zone after it
  (the date as written is kept: ``2012-01-31T23:00-05:00`` is the 31st);
* numbers with the year last: ``31.01.2012``, ``01/31/2012``, ``31-01-12``; the day/month
  order is decided for the whole column (:class:`Order`);
* written-out months: ``Jan 31 2012``, ``January 31, 2012``, ``31 Jan 2012``, ``31-Jan-12``,
  ``31. Januar 2012``, ``31 janv. 2012``;
* ``data.date_format`` (a strftime format) when the KPI file names one.

Two-digit years pivot like Excel: 00-29 are 2000-2029, 30-99 are 1930-1999.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpicli.errors import DataError
from kpicli.model.values import MONTHS

_TIME = r"(?:(?:[T ]|, ?)[0-9].*)?"
# pyarrow runs these patterns (RE2, one vectorised pass each): named groups, no backreferences.
_YMD = rf"^(?P<y>[0-9]{{4}})(?P<s1>[-/.])(?P<m>[0-9]{{1,2}})(?P<s2>[-/.])(?P<d>[0-9]{{1,2}}){_TIME}$"
_NUMERIC = (
    r"^(?P<a>[0-9]{1,2})(?P<s1>[-/.])(?P<b>[0-9]{1,2})(?P<s2>[-/.])"
    rf"(?P<y>[0-9]{{4}}|[0-9]{{2}})\.?{_TIME}$"
)
_WORD = r"(?P<w>[A-Za-zÀ-ÿ]{3,10})\.?"
_ORD = r"(?:st|nd|rd|th|er)?"
_WEEKDAY = r"(?:[A-Za-zÀ-ÿ]{2,10}\.?,? +)?"
_MDY = rf"^{_WEEKDAY}{_WORD} +(?P<d>[0-9]{{1,2}}){_ORD},? +(?P<y>[0-9]{{4}}){_TIME}$"
_DMY = (
    rf"^{_WEEKDAY}(?P<d>[0-9]{{1,2}}){_ORD}\.? *[- ]?{_WORD}[-, ]+"
    rf"(?P<y>[0-9]{{4}}|[0-9]{{2}}){_TIME}$"
)


def _extract(arr: pa.Array, pattern: str) -> tuple[np.ndarray, pa.StructArray]:
    """Which strings match ``pattern`` (a bool mask) and its named groups (null elsewhere)."""
    st = pc.extract_regex(arr, pattern)
    return np.asarray(st.is_valid().to_numpy(zero_copy_only=False), bool), st


def _int_field(st: pa.StructArray, name: str, mask: np.ndarray) -> np.ndarray:
    col = pc.cast(st.field(name).filter(pa.array(mask)), pa.int64())
    return np.asarray(col.fill_null(0).to_numpy(zero_copy_only=False), "int64")


def _str_field(st: pa.StructArray, name: str, mask: np.ndarray) -> np.ndarray:
    return np.asarray(
        st.field(name).filter(pa.array(mask)).to_numpy(zero_copy_only=False), dtype=object
    )


def _same_sep(st: pa.StructArray, ok: np.ndarray) -> np.ndarray:
    """2012-01/31 is not a date: both separators must be the same."""
    eq = pc.equal(st.field("s1"), st.field("s2")).fill_null(False)
    return ok & np.asarray(eq.to_numpy(zero_copy_only=False), bool)


@dataclass
class Order:
    """How numeric dates such as 03/04/2026 were read, for the info finding."""

    dayfirst: bool
    reason: str  # why, in words
    example: str  # one value of the column as written

    @property
    def text(self) -> str:
        return "day/month/year" if self.dayfirst else "month/day/year"


def _build(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """datetime64[ns] from integer arrays; impossible dates (31 Feb, month 13) are NaT."""
    out = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = (months >= 1) & (months <= 12) & (days >= 1) & (days <= 31) & (years >= 1)
    if not ok.any():
        return out
    frame = pd.DataFrame({"year": years[ok], "month": months[ok], "day": days[ok]})
    out[ok] = pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[ns]")
    return out


def _year_field(st: pa.StructArray, mask: np.ndarray) -> np.ndarray:
    """Years, two-digit ones as Excel reads them (see :func:`kpicli.model.values.two_digit_year`)."""
    y = _int_field(st, "y", mask)
    written = pc.utf8_length(st.field("y").filter(pa.array(mask))).fill_null(4)
    short = np.asarray(written.to_numpy(zero_copy_only=False)) <= 2
    return np.where(short, np.where(y < 30, 2000 + y, 1900 + y), y)


def decide_order(
    first: np.ndarray, second: np.ndarray, seps: pd.Series, texts: pd.Series, hint: bool
) -> Order:  # texts: the values as written, aligned with first/second
    """Day/month order of a column: its values decide, else its separator, else the hint.

    A first field over 12 means day-first; a second field over 12 means month-first. When
    every value is ambiguous, ``.`` is day-first (31.01.2012) and ``/`` or ``-`` month-first
    (01/31/2012), unless the file's own conventions (a semicolon-separated CSV) say European.
    """
    a_big = first > 12
    b_big = second > 12
    if a_big.any() and not b_big.any():
        i = int(np.flatnonzero(a_big)[0])
        return Order(True, "a first field over 12", str(texts.iloc[i]))
    if b_big.any() and not a_big.any():
        i = int(np.flatnonzero(b_big)[0])
        return Order(False, "a second field over 12", str(texts.iloc[i]))
    if a_big.any() and b_big.any():  # mixed up: the majority wins
        day = int(a_big.sum()) >= int(b_big.sum())
        i = int(np.flatnonzero(a_big if day else b_big)[0])
        return Order(day, "most values (the column mixes both orders)", str(texts.iloc[i]))
    sep = seps.mode().iloc[0] if len(seps) else "/"
    example = str(texts.iloc[0]) if len(texts) else ""
    if sep == ".":
        return Order(True, "the '.' separator (every value could be either order)", example)
    if hint:
        return Order(
            True,
            f"the file's European conventions (';'-separated) with the {sep!r} separator; "
            "every value could be either order",
            example,
        )
    return Order(False, f"the {sep!r} separator (every value could be either order)", example)


def parse_texts(
    texts: pd.Series,
    *,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    hint: bool = False,
) -> tuple[np.ndarray, Order | None, np.ndarray]:
    """First day of each distinct text (NaT where no family reads it), the order used, and
    which texts a family claimed (an impossible ``31/02/2026`` stays NaT: it is not handed
    to a per-value parser that might read it the other way round).

    ``texts``: distinct, stripped, non-empty strings. ``dayfirst`` (``data.dayfirst``) and
    ``date_format`` (``data.date_format``) override the detection.
    """
    n = len(texts)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    order: Order | None = None
    if n == 0:
        return out, None, np.zeros(0, bool)
    s = texts.reset_index(drop=True).astype("str")
    todo = np.ones(n, bool)
    claimed = np.zeros(n, bool)

    if date_format:
        try:
            parsed = pd.to_datetime(s, format=date_format, errors="coerce")
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"data.date_format {date_format!r} is not a date format ({exc}); write it "
                "with strftime codes such as '%d/%m/%Y' or '%Y%m%d'"
            ) from None
        got = pd.DatetimeIndex(parsed).normalize().to_numpy(dtype="datetime64[ns]")
        hit = ~np.isnat(got)
        out[hit] = got[hit]
        todo &= ~hit
        if hit.any():
            order = Order(
                "%d" in date_format and date_format.index("%d") < date_format.find("%m"),
                f"data.date_format {date_format!r}",
                str(s[hit].iloc[0]),
            )

    arr = pa.array(s.array)
    ok, st = _extract(arr, _YMD)
    ymd = _same_sep(st, ok) & todo
    if ymd.any():
        out[ymd] = _build(_int_field(st, "y", ymd), _int_field(st, "m", ymd), _int_field(st, "d", ymd))
        todo &= ~ymd

    num = np.zeros(n, bool)
    if todo.any():
        ok, st = _extract(arr, _NUMERIC)
        num = _same_sep(st, ok) & todo
    if num.any():
        a, b = _int_field(st, "a", num), _int_field(st, "b", num)
        y = _year_field(st, num)
        examples = s[num]
        if dayfirst is not None:
            order = Order(dayfirst, "data.dayfirst", str(examples.iloc[0]))
        else:
            seps = pd.Series(_str_field(st, "s1", num), dtype=object)
            order = decide_order(a, b, seps, examples, hint)
        day, month = (a, b) if order.dayfirst else (b, a)
        out[num] = _build(y, month, day)
        todo &= ~num
        claimed = num.copy()

    for pattern in (_MDY, _DMY):
        if not todo.any():
            break
        ok, st = _extract(arr, pattern)
        hit = ok & todo
        if not hit.any():
            continue
        words = pd.Series(_str_field(st, "w", hit), dtype=object).str.lower()
        months = words.map(MONTHS).to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(months)
        if not known.any():
            continue
        y = _year_field(st, hit)
        got = _build(y, np.nan_to_num(months, nan=0).astype("int64"), _int_field(st, "d", hit))
        idx = np.flatnonzero(hit)
        out[idx[known]] = got[known]
        todo[idx[known]] = False
    return out, order, claimed | ~np.isnat(out)
