"""Parsing of human-written numbers ("85%", "1.2M", "15k", "-20%") and period labels; pure Python."""

from __future__ import annotations

import datetime as dt
import re

_SUFFIX = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_NUM_RE = re.compile(
    r"^(?P<sign>[+-])?\s*(?P<num>(?:\d{1,3}(?:[,_]\d{3})+|\d+)(?:\.\d*)?|\.\d+)\s*"
    r"(?P<suffix>k|m|mn|b|bn|%)?$",
    re.IGNORECASE,
)


def parse_number(value: object) -> float:
    """Return a float from a number or a string such as ``85%``, ``1.2M``, ``15k``, ``1,250``.

    A trailing ``%`` is dropped (percent KPIs are measured on the 0-100 scale).
    Raises ValueError with a message that says what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | float):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return f
    if isinstance(value, str):
        amount, _ = parse_change(value)
        return amount
    raise ValueError(f"expected a number such as 42, 85%, 1.2M or 15k, got {type(value).__name__}")


def parse_change(value: object) -> tuple[float, bool]:
    """Return ``(amount, relative)`` from ``+10``, ``-20%`` or a number; relative means percent."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_number(value), False
    if not isinstance(value, str):
        raise ValueError("expected a number or a percentage such as +10 or -20%")
    m = _NUM_RE.match(value.strip().replace(" ", ""))
    if not m:
        raise ValueError(
            f"cannot read {value!r} as a number; write it like 42, 85%, 1.2M, 15k or -20%"
        )
    num = float(m.group("num").replace(",", "").replace("_", ""))
    suffix = (m.group("suffix") or "").lower()
    relative = suffix == "%"
    if suffix and not relative:
        num *= _SUFFIX[suffix]
    if m.group("sign") == "-":
        num = -num
    return num, relative


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "jän", "januar", "janv", "janvier", "ene", "enero", "gen"),
            ("feb", "february", "februar", "févr", "fevr", "février", "fevrier", "febrero"),
            ("mar", "march", "mär", "märz", "mrz", "mars", "marzo"),
            ("apr", "april", "avr", "avril", "abr", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juni", "juin", "junio"),
            ("jul", "july", "juli", "juil", "juillet", "julio"),
            ("aug", "august", "août", "aout", "ago", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "set"),
            ("oct", "october", "okt", "oktober", "octobre", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dez", "dezember", "déc", "décembre", "decembre", "dic", "diciembre"),
        ]
    )
    for m in names
}
MONTHS = _MONTHS  # month words (English, German, French, Spanish) -> month number

# Quarter words: "I квартал", "1. Quartal", "T1" (trimestre), "1er trimestre", "Qtr 1".
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER_WORD = (
    r"(?:q|qtr|quarter|quartal|trimestre|trim|квартал|кв)"
)
_QUARTER_PATTERNS = [
    # I квартал, 1. Quartal, 1st quarter, 1er trimestre, 1 кв.
    re.compile(
        rf"^(?P<q>[1-4]|i{{1,3}}|iv)\s*(?:\.|st|nd|rd|th|er|e|ème|eme|-?й|-?го)?\s*{_QUARTER_WORD}\.?$",
        re.I,
    ),
    # Quarter 1, Quartal 1, Qtr 1, T1 (trimestre), Q1
    re.compile(rf"^(?:{_QUARTER_WORD}|t)\s*\.?\s*(?P<q>[1-4]|i{{1,3}}|iv)$", re.I),
    # 1T / 1Q (Spanish, Japanese style)
    re.compile(r"^(?P<q>[1-4])\s*[tq]$", re.I),
]
# Footnote marks and notes after a period: "2020 (2)", "2001 1)", "1869\n(31.12.)", "2023*".
_FOOTNOTE = re.compile(
    r"(?:\s*\n.*|\s*\([^()]*\)|\s+\d{1,2}\)|\s*[*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+|\s+[pre]\.?)$",
    re.S,
)


def parse_quarter_word(text: str) -> int | None:
    """The quarter number of a quarter written as words with no year (``I квартал``, ``T1``)."""
    t = " ".join(str(text).split()).strip()
    for pattern in _QUARTER_PATTERNS:
        m = pattern.match(t)
        if m:
            q = m.group("q").lower()
            return _ROMAN.get(q) or int(q)
    return None


def strip_footnote(text: str) -> str:
    """``2020 (2)`` -> ``2020``: footnote marks and notes that statistical tables append."""
    prev = None
    while prev != text:
        prev = text
        text = _FOOTNOTE.sub("", text).strip()
    return text


# Each pattern yields (grain, start date). Order matters: the most specific first.
_MONTH_WORD = r"([^\W\d_]{3,10})\.?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T].*)?$"), "day"),
    (re.compile(r"^(\d{4})[-/ ]?W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^(\d{4})[-/ ]?Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^Q([1-4])[-/ ]?(\d{4}|\d{2})$", re.I), "quarter_rev"),
    (re.compile(r"^FY[-/ ]?(\d{4}|\d{2})[-/ ]?Q([1-4])$", re.I), "fiscal_quarter"),
    (re.compile(r"^Q([1-4])[-/ ]?FY[-/ ]?(\d{4}|\d{2})$", re.I), "fiscal_quarter_rev"),
    (re.compile(r"^(\d{4})[-/ ]?M(\d{1,2})$", re.I), "month"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{1,2})[-/.](\d{4})$"), "month_rev"),
    (re.compile(rf"^{_MONTH_WORD}[-/ ']*(\d{{4}}|\d{{2}})$"), "month_name"),
    (re.compile(rf"^(\d{{4}})[-/ ]*{_MONTH_WORD}$"), "year_month_name"),
    (re.compile(r"^FY[-/ ]?(\d{4}|\d{2})$", re.I), "fiscal_year"),
    (re.compile(r"^(\d{4})$"), "year"),
]
_YEAR_AND_REST = [
    re.compile(r"^(?P<rest>.+?)[\s,/-]+(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})[\s,/-]+(?P<rest>.+)$"),
]


def two_digit_year(y: int) -> int:
    """Excel's pivot for two-digit years: 00-29 are 2000-2029, 30-99 are 1930-1999."""
    if y >= 100:
        return y
    return 2000 + y if y < 30 else 1900 + y


def _year(text: str) -> int:
    return two_digit_year(int(text))


def parse_period_label(value: object) -> tuple[str, dt.date]:
    """Return ``(grain, first day)`` of a period written as text, a date or a year number.

    Grains: ``day``, ``week``, ``month``, ``quarter``, ``year``, ``fiscal_year``,
    ``fiscal_quarter``. ``fiscal_year`` returns the calendar year number as the date's year
    (``FY2026``); ``fiscal_quarter`` returns ``date(fiscal year, quarter, 1)`` (the month
    field holds the quarter number); the engine applies ``fiscal_year_start`` to place them.
    Footnote marks after a label (``2020 (2)``, ``2001 1)``) are ignored, and quarters may be
    written in words (``I квартал 2026``, ``1. Quartal 2026``, ``T1 2026``).
    """
    if isinstance(value, dt.datetime):
        return "day", value.date()
    if isinstance(value, dt.date):
        return "day", value
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return "year", dt.date(value, 1, 1)
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a period")
    text = value.strip()
    got = _match(text)
    if got is None:
        bare = strip_footnote(text)
        if bare != text and bare:
            got = _match(bare)
    if got is not None:
        return got
    raise ValueError(
        f"cannot read {value!r} as a period; write it like 2026-10, Oct 2026, 2026-Q3, "
        "2026-W07, FY2026 or 2026"
    )


def _match(text: str) -> tuple[str, dt.date] | None:
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == "day":
                return "day", dt.date(int(g[0]), int(g[2]), int(g[3]))
            if kind == "week":
                return "week", dt.date.fromisocalendar(int(g[0]), int(g[1]), 1)
            if kind == "quarter":
                return "quarter", dt.date(int(g[0]), 3 * int(g[1]) - 2, 1)
            if kind == "quarter_rev":
                return "quarter", dt.date(_year(g[1]), 3 * int(g[0]) - 2, 1)
            if kind == "fiscal_quarter":
                return "fiscal_quarter", dt.date(_year(g[0]), int(g[1]), 1)
            if kind == "fiscal_quarter_rev":
                return "fiscal_quarter", dt.date(_year(g[1]), int(g[0]), 1)
            if kind == "month":
                return "month", dt.date(int(g[0]), int(g[1]), 1)
            if kind == "month_rev":
                return "month", dt.date(int(g[1]), int(g[0]), 1)
            if kind == "month_name":
                month = _MONTHS.get(g[0].lower())
                if month is None:
                    continue
                return "month", dt.date(_year(g[1]), month, 1)
            if kind == "year_month_name":
                month = _MONTHS.get(g[1].lower())
                if month is None:
                    continue
                return "month", dt.date(int(g[0]), month, 1)
            if kind == "fiscal_year":
                return "fiscal_year", dt.date(_year(g[0]), 1, 1)
            if kind == "year":
                return "year", dt.date(int(g[0]), 1, 1)
        except ValueError:
            return None
    # A quarter in words beside a four-digit year: "I квартал 2026", "2026 1. Quartal".
    for pattern in _YEAR_AND_REST:
        m = pattern.match(text)
        if m:
            q = parse_quarter_word(m.group("rest"))
            if q is not None:
                return "quarter", dt.date(int(m.group("y")), 3 * q - 2, 1)
    return None
