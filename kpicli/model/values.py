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
            ("jan", "january", "jän", "januar"),
            ("feb", "february", "februar"),
            ("mar", "march", "mär", "märz", "mrz"),
            ("apr", "april"),
            ("may", "mai"),
            ("jun", "june", "juni"),
            ("jul", "july", "juli"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember"),
        ]
    )
    for m in names
}

# Each pattern yields (grain, start date). Order matters: the most specific first.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"), "day"),
    (re.compile(r"^(\d{4})[-/ ]?W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^(\d{4})[-/ ]?Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^Q([1-4])[-/ ]?(\d{4}|\d{2})$", re.I), "quarter_rev"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{1,2})[-/.](\d{4})$"), "month_rev"),
    (re.compile(r"^([A-Za-zäÄ]{3,9})\.?[-/ ']*(\d{4}|\d{2})$"), "month_name"),
    (re.compile(r"^(\d{4})[-/ ]*([A-Za-zäÄ]{3,9})$"), "year_month_name"),
    (re.compile(r"^FY[-/ ]?(\d{4}|\d{2})$", re.I), "fiscal_year"),
    (re.compile(r"^(\d{4})$"), "year"),
]


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def parse_period_label(value: object) -> tuple[str, dt.date]:
    """Return ``(grain, first day)`` of a period written as text, a date or a year number.

    Grains: ``day``, ``week``, ``month``, ``quarter``, ``year``, ``fiscal_year``.
    ``fiscal_year`` returns the calendar year number as the date's year (``FY2026``);
    the engine applies ``fiscal_year_start`` to place it.
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
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == "day":
                return "day", dt.date(int(g[0]), int(g[1]), int(g[2]))
            if kind == "week":
                return "week", dt.date.fromisocalendar(int(g[0]), int(g[1]), 1)
            if kind == "quarter":
                return "quarter", dt.date(int(g[0]), 3 * int(g[1]) - 2, 1)
            if kind == "quarter_rev":
                return "quarter", dt.date(_year(g[1]), 3 * int(g[0]) - 2, 1)
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
            break
    raise ValueError(
        f"cannot read {value!r} as a period; write it like 2026-10, Oct 2026, 2026-Q3, "
        "2026-W07, FY2026 or 2026"
    )
