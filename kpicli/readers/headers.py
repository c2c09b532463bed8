"""Headers written over several rows, and what a header cell says about its column.

Contract:

* :func:`header_block` takes the detected header row and widens it to the rows that belong to
  it: *parent* rows above (a period or a group name merged over sub-columns, such as
  ``Jan 2026`` over ``Target | Actual | %`` or a year over ``I квартал .. IV квартал``) and
  *sub-header* rows below (``Number | Percent`` under ``Below poverty``). A row above joins
  only when the header repeats names that the row tells apart; a row below joins when it
  tells repeated (or blank) names apart, and is otherwise a *units* row (``2015=100``,
  ``in (%)``) that is skipped. Every such choice is returned as a note.
* A parent cell spans the columns up to the next filled cell of its row, never beyond the
  span of the row above it (or its merged range, when the workbook has one).
* :func:`strip_marks` removes footnote marks and notes from a header label (``2020 (2)``,
  ``2001 1)``, ``1869\\n(31.12.)``) so the period underneath can be read.
* :func:`split_parts` reads a multi-row header's parts as (period, role): the role is
  ``target``, ``actual`` or ``other`` (a ``%``/variance column that is neither).

Pure functions on lists of cell values: no I/O, no pandas.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "ROLE_ACTUAL",
    "ROLE_OTHER",
    "ROLE_TARGET",
    "HeaderBlock",
    "header_block",
    "role_of",
    "strip_marks",
]

MAX_BLOCK = 6  # header rows one table may use
JOIN = " / "  # between the parts of a multi-row column name: "All people / Total"

ROLE_TARGET = "target"
ROLE_ACTUAL = "actual"
ROLE_OTHER = "other"

_ROLE_WORDS = {
    ROLE_TARGET: {
        "target",
        "targets",
        "goal",
        "plan",
        "planned",
        "budget",
        "objective",
        "objectif",
        "objectifs",
        "cible",
        "prévu",
        "prevu",
        "soll",
        "ziel",
        "zielwert",
        "sollwert",
        "objetivo",
        "meta",
        "obiettivo",
        "doel",
        "план",
        "цель",
        "目标",
        "目標",
    },
    ROLE_ACTUAL: {
        "actual",
        "actuals",
        "value",
        "result",
        "achieved",
        "réalisé",
        "realise",
        "réalisés",
        "réel",
        "reel",
        "ist",
        "istwert",
        "real",
        "realizado",
        "effettivo",
        "werkelijk",
        "факт",
        "实际",
        "實際",
    },
    ROLE_OTHER: {
        "%",
        "% of target",
        "% target",
        "attainment",
        "achievement",
        "variance",
        "var",
        "var.",
        "diff",
        "difference",
        "delta",
        "gap",
        "écart",
        "ecart",
        "taux",
        "abweichung",
        "status",
        "trend",
        "comment",
        "comments",
        "note",
        "notes",
        "rag",
    },
}

# Footnote marks after a label: "2020 (2)", "2001 1)", "2019*", "2018 r", "1869 (31.12.)".
_TRAILING_MARK = re.compile(
    r"(?:\s*\(\s*[\w.,/ -]{1,12}\)|\s+\d{1,2}\)|\s*[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+|\s+[rpe])\s*$"
)


def strip_marks(text: str) -> str:
    """``text`` without trailing footnote marks and notes; unchanged when there are none."""
    out = " ".join(text.split())
    for _ in range(4):  # "2001 1) (15.5.)": a note after a mark
        shorter = _TRAILING_MARK.sub("", out)
        if shorter == out or not shorter.strip():
            break
        out = shorter
    return out.strip()


def role_of(text: str) -> str | None:
    """The role a sub-column header names (target, actual, other), or None."""
    key = " ".join(str(text).split()).casefold().strip(" :")
    for role, words in _ROLE_WORDS.items():
        if key in words:
            return role
    if "%" in key and len(key) <= 12:
        return ROLE_OTHER
    return None


@dataclass
class HeaderBlock:
    """The header rows of one table, combined into one name per column."""

    first: int  # index (in the rows given) of the first header row
    last: int  # ... and of the last; data starts below it
    header: list[object]  # one value per column: the cell itself (one row) or joined text
    parts: list[tuple[str, ...]] | None  # each column's parts, top to bottom (several rows)
    units: list[int] = field(default_factory=list)  # indexes of units rows below (skipped)
    notes: list[str] = field(default_factory=list)


def _filled(v: object) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and v != v:
        return False
    return not (isinstance(v, str) and not v.strip())


def _is_number(v: object) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    if isinstance(v, str):
        t = v.strip().replace(",", "").replace(" ", "")
        return bool(re.fullmatch(r"[+-]?\d+(\.\d+)?%?", t))
    return False


def header_name(v: object) -> str:
    """A header cell as text: empty for a blank cell, dates as ISO, 2026.0 as 2026, inner
    whitespace (line breaks of wrapped headers) as single spaces."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split())


def _year_like(v: object) -> bool:
    t = header_name(v)
    return bool(re.fullmatch(r"(19|20)\d{2}", strip_marks(t)))


def _wordy(row: Sequence[object]) -> bool:
    """A header-ish row: at least two filled cells, none of them a plain (non-year) number."""
    cells = [v for v in row if _filled(v)]
    if len(cells) < 2:
        return False
    return all(not _is_number(v) or _year_like(v) for v in cells)


def _spans(row: Sequence[object], bounds: list[object], merged: dict[int, int]) -> list[int]:
    """Start column of the span each column belongs to, within the parent's bounds.

    ``bounds[j]`` is the start of column j's span in the row above; a filled cell opens a
    span that runs right until the next filled cell or the parent's span ends (or, for a
    merged cell, exactly its merged width).
    """
    out: list[int] = []
    current = -1
    end = -1
    for j, v in enumerate(row):
        if _filled(v):
            current, end = j, merged.get(j, -1)
        elif current >= 0 and (bounds[j] != bounds[current] or (end >= 0 and j > end)):
            current = -1
        out.append(current if current >= 0 else -1)
    return out


def _fill(rows: list[list[object]], merges: list[dict[int, int]]) -> list[list[str]]:
    """Each row's text spread over its span (parents over children), top to bottom."""
    width = max(len(r) for r in rows)
    bounds: list[object] = [0] * width
    filled: list[list[str]] = []
    for i, row in enumerate(rows):
        row = list(row) + [None] * (width - len(row))
        last = i == len(rows) - 1
        if last:
            filled.append([header_name(v) if _filled(v) else "" for v in row])
            break
        spans = _spans(row, bounds, merges[i])
        filled.append([header_name(row[s]) if s >= 0 else "" for s in spans])
        # The next row's spans may not cross this row's (nor its parents'): a span is
        # identified by its parents' span and its own start column.
        bounds = [(bounds[j], s) for j, s in enumerate(spans)]
    return filled


def _repeats(names: Sequence[str]) -> bool:
    seen = [n for n in names if n]
    return len(set(seen)) < len(seen)


def _combine(filled: list[list[str]]) -> list[tuple[str, ...]]:
    width = len(filled[0])
    out = []
    for j in range(width):
        parts: list[str] = []
        for row in filled:
            t = row[j]
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        out.append(tuple(parts))
    return out


def header_block(
    rows: Sequence[Sequence[object]],
    h: int,
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
    row_label: str = "row",
    row_offset: int = 1,
) -> HeaderBlock:
    """The header rows around row ``h`` of ``rows`` (0-based), combined into column names.

    ``merged`` are merged ranges in the same 0-based coordinates as ``rows``; ``row_label``
    and ``row_offset`` turn indexes into the numbers notes show (sheet rows or CSV lines).
    """
    width = max((len(r) for r in rows), default=0)

    def row(i: int) -> list[object]:
        r = list(rows[i])
        return r + [None] * (width - len(r))

    merge_at: dict[int, dict[int, int]] = {}
    for (r0, c0), (r1, c1) in merged:
        if c1 > c0:
            for r in range(r0, r1 + 1):
                merge_at.setdefault(r, {})[c0] = c1
    first = last = h
    single = HeaderBlock(first=h, last=h, header=row(h), parts=None)

    def names_of(lo: int, hi: int) -> list[str]:
        filled = _fill(
            [row(i) for i in range(lo, hi + 1)], [merge_at.get(i, {}) for i in range(lo, hi + 1)]
        )
        return [JOIN.join(p) for p in _combine(filled)]

    # Rows above: parents, while the names still repeat and the row is wordy.
    while first > 0 and last - first + 1 < MAX_BLOCK and _repeats(names_of(first, last)):
        if not _wordy(row(first - 1)):
            break
        first -= 1
    # Rows below: sub-headers that tell repeated names apart or name columns the row above
    # leaves blank (a label spread over them); else units rows ("2015=100", "in (%)").
    units: list[int] = []
    notes: list[str] = []
    i = last + 1
    while i < len(rows) and i - first < MAX_BLOCK:
        below = row(i)
        if not _wordy(below) or _filled(below[0]):
            break
        above = row(i - 1)
        spread = any(_filled(below[j]) and not _filled(above[j]) for j in range(width))
        if not units and (spread or _repeats(names_of(first, last))):
            last = i
        else:
            units.append(i)
        i += 1
    if first == last == h and not units:
        return single
    if units:
        shown = ", ".join(str(u + row_offset) for u in units)
        notes.append(f"{row_label} {shown} under the header read as units, not data")
    if first == last:
        return HeaderBlock(first=h, last=h, header=row(h), parts=None, units=units, notes=notes)
    filled = _fill(
        [row(i) for i in range(first, last + 1)],
        [merge_at.get(i, {}) for i in range(first, last + 1)],
    )
    parts = _combine(filled)
    header: list[object] = [JOIN.join(p) if p else None for p in parts]
    notes.insert(
        0,
        f"header over {row_label}s {first + row_offset}-{last + row_offset}: column names "
        "joined top to bottom with ' / '",
    )
    return HeaderBlock(first=first, last=last, header=header, parts=parts, units=units, notes=notes)


# ----------------------------------------------------------------------------- periods in headers

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER_WORD = re.compile(
    r"^(?:(?P<n>[1-4]|i{1,3}|iv)\s*\.?\s*(?:-?(?:st|nd|rd|th|й|ый|ой))?\s*"
    r"(?:квартал|кв\.?|quartal|quarter|qtr|trimestre|trim\.?|kwartaal|kvartal)"
    r"|(?:q|qtr|t|k|кв\.?)\s*(?P<m>[1-4]))$",
    re.IGNORECASE,
)


def _quarter_word(text: str) -> int | None:
    m = _QUARTER_WORD.match(text.strip())
    if m is None:
        return None
    n = (m.group("n") or m.group("m")).lower()
    return _ROMAN.get(n) or int(n)


def header_period(v: object, fiscal_year_start: int = 1) -> tuple[str, dt.date] | None:
    """One header cell as ``(grain, first day)``; footnote marks are ignored."""
    from kpicli.readers.numbers import MISSING, parse_date_value

    if v is None or isinstance(v, dt.time | dt.timedelta | bool):
        return None
    if isinstance(v, str) and v.strip().lower() in MISSING:
        return None
    got = parse_date_value(
        v, serials=False, years=True, dayfirst=False, fiscal_year_start=fiscal_year_start
    )
    if got is None and isinstance(v, str):
        bare = strip_marks(v)
        if bare != " ".join(v.split()) and bare:
            got = parse_date_value(
                bare,
                serials=False,
                years=True,
                dayfirst=False,
                fiscal_year_start=fiscal_year_start,
            )
    return got


def parts_period(
    parts: Sequence[str], fiscal_year_start: int = 1
) -> tuple[str, dt.date, str | None] | None:
    """A multi-row header column as ``(grain, first day, role)``, or None without a period.

    ``2026 / I квартал`` is the quarter 2026-Q1, ``2026 / Jan`` the month 2026-01,
    ``Jan 2026 / Objectif`` the month with the role ``target``; a year over any other words
    (``2026 / value for the year``) is the year itself.
    """
    found: tuple[str, dt.date] | None = None
    year: int | None = None
    role: str | None = None
    rest: list[str] = []
    for part in parts:
        got = header_period(part, fiscal_year_start)
        if got is not None and found is None:
            found = got
            if got[0] == "year":
                year = got[1].year
            continue
        r = role_of(part)
        if r is not None:
            role = role or r
            continue
        rest.append(part)
    if found is None:
        return None
    if year is not None and found[0] == "year":
        # A year over quarter or month words: the finer period.
        for word in rest:
            q = _quarter_word(word)
            if q is not None:
                return "quarter", dt.date(year, 3 * q - 2, 1), role
            month = header_period(f"{strip_marks(word)} {year}", fiscal_year_start)
            if month is not None and month[0] == "month":
                return "month", month[1], role
    return found[0], found[1], role
