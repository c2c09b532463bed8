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

from kpicli.model.values import MONTHS

_TIME = r"(?:(?:[T ]|, ?)[0-9].*)?"
# pyarrow runs these patterns (RE2): no backreferences, so each separator is spelled out.
_YMD = "|".join(
    rf"(?:[0-9]{{4}}{sep}[0-9]{{1,2}}{sep}[0-9]{{1,2}}{_TIME})" for sep in ("-", "/", r"\.")
)
_YMD_PARTS = r"^([0-9]{4})([-/.])([0-9]{1,2})[-/.]([0-9]{1,2})"
_NUMERIC = "|".join(
    rf"(?:[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}(?:[0-9]{{4}}|[0-9]{{2}})\.?{_TIME})"
    for sep in ("-", "/", r"\.")
)
_NUMERIC_PARTS = r"^([0-9]{1,2})([-/.])([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})"
_WORD = r"([A-Za-zÀ-ÿ]{3,10})\.?"
_ORD = r"(?:st|nd|rd|th|er)?"
_WEEKDAY = r"(?:[A-Za-zÀ-ÿ]{2,10}\.?,? +)?"
_MDY = rf"^{_WEEKDAY}{_WORD} +([0-9]{{1,2}}){_ORD},? +([0-9]{{4}}){_TIME}$"
_DMY = rf"^{_WEEKDAY}([0-9]{{1,2}}){_ORD}\.? *[- ]?{_WORD}[-, ]+([0-9]{{4}}|[0-9]{{2}}){_TIME}$"


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


def _ints(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").fillna(0).to_numpy(dtype="int64")


def _pivot(y: np.ndarray, written: pd.Series) -> np.ndarray:
    """Two-digit years as Excel reads them (see :func:`kpicli.model.values.two_digit_year`)."""
    short = written.str.len().to_numpy(dtype="int64", na_value=4) <= 2
    return np.where(short, np.where(y < 30, 2000 + y, 1900 + y), y)


def decide_order(
    first: np.ndarray, second: np.ndarray, seps: pd.Series, texts: pd.Series, hint: bool
) -> Order:
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
        parsed = pd.to_datetime(s, format=date_format, errors="coerce")
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

    ymd = s.str.fullmatch(_YMD).to_numpy(dtype=bool, na_value=False) & todo
    if ymd.any():
        parts = s[ymd].str.extract(_YMD_PARTS)
        got = _build(_ints(parts[0]), _ints(parts[2]), _ints(parts[3]))
        out[ymd] = got
        todo &= ~ymd

    num = s.str.fullmatch(_NUMERIC).to_numpy(dtype=bool, na_value=False) & todo
    if num.any():
        parts = s[num].str.extract(_NUMERIC_PARTS)
        a, b = _ints(parts[0]), _ints(parts[2])
        y = _pivot(_ints(parts[3]), parts[3])
        if dayfirst is not None:
            order = Order(dayfirst, "data.dayfirst", str(s[num].iloc[0]))
        else:
            order = decide_order(a, b, parts[1], s[num], hint)
        day, month = (a, b) if order.dayfirst else (b, a)
        out[num] = _build(y, month, day)
        todo &= ~num
        claimed = num.copy()

    for pattern, (mi, di, yi) in ((_MDY, (0, 1, 2)), (_DMY, (1, 0, 2))):
        hit = s.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False) & todo
        if not hit.any():
            continue
        parts = s[hit].str.extract(pattern)
        words = parts[mi].str.lower()
        months = words.map(MONTHS).to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(months)
        if not known.any():
            continue
        y = _pivot(_ints(parts[yi]), parts[yi])
        got = _build(y, np.nan_to_num(months, nan=0).astype("int64"), _ints(parts[di]))
        idx = np.flatnonzero(hit)
        out[idx[known]] = got[known]
        todo[idx[known]] = False
    return out, order, claimed | ~np.isnat(out)
