"""The one vocabulary of units (SPEC §2 ``unit:``), and the number-to-text functions built on it.

Every place that asks "is this a percentage?", "which currency symbol?", "how many
decimals?" or "which Excel number format?" asks this module: the model (``KPI.is_percent``,
which decides reader scaling of fractions), the validation rules (unit kinds), the readers
(a tracker's Unit column), the writers (terminal, Markdown, HTML, workbook) and the engine's
sentences (``why`` texts, rule messages). Before it existed the word lists disagreed, and
``unit: pp`` was a percent for the rules, not for the model and ``0.0"%"`` in the workbook.

Contract:

* :func:`parse_unit` turns what a user wrote (``percent``, ``%``, ``currency:EUR``, ``EUR``,
  ``hours``, ``pp``, any word) into a :class:`Unit`: its kind, currency code and symbol, display
  suffix and decimals, and Excel number-format parts. Unknown words are kind ``other`` and keep
  the word as their display suffix; no unit is kind ``None``.
* ``percent`` values are on the 0-100 scale (85 means 85 %); readers may rescale fractions to
  it. ``pp`` (percentage points) is a *difference* of percentages: shown like a percentage
  but with ``pp``, never rescaled from fractions, allowed outside 0-100 and below zero, so the
  percent-only rules (A303 target outside 0-100, M202 summing percentages) leave it alone.
* :func:`format_value` is the one display form of a value in a unit (terminal, Markdown, HTML,
  the entry template); :func:`format_number` the one form of a bare number in a sentence
  (``why``, workbook summaries); :func:`exact_number` the form of a number the user wrote
  quoted back in a rule message (six significant digits, so rounding never hides the fault).
* :data:`SYMBOL_CODES` and :data:`AMOUNT_CODES` are the currency signs a data cell may write
  around an amount (``€1.234,50``, ``1 234,50 SEK``); the readers strip exactly these.
* Pure Python, no I/O, no pandas: the engine, the readers and the writers all import it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

UnitKind = Literal[
    "percent", "percentage_points", "currency", "count", "duration", "ratio", "points", "other"
]

# Currency code -> the symbol written before the amount, in text and in the workbook; a code
# without a symbol is written after the amount ("12.50 SEK").
CURRENCY_SYMBOLS: dict[str, str] = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹",
}
# Currency symbol -> its code; the symbols the readers strip from amounts in data cells.
SYMBOL_CODES: dict[str, str] = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}
# The codes the readers strip from amounts in data cells ("EUR 1.234,50", "1 234,50 SEK").
AMOUNT_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN")
# Words that begin a currency unit without ``currency:`` (``EUR``, ``euros``, ``usd_k``, ``$``).
_CURRENCY_PREFIXES = ("currency", "eur", "usd", "gbp", "chf", "jpy", "inr", "$", "€", "£", "¥", "₹")


@dataclass(frozen=True)
class _Word:
    """What a known unit word means: its kind, display suffix and decimals, Excel format."""

    kind: UnitKind
    suffix: str | None  # after the number in text ("%", " h"); "": none; None: the word
    decimals: int | None  # fixed decimals in text; None: whole numbers bare, else `fraction`
    fraction: int | None  # decimals of a non-whole number; None: by magnitude
    xlsx_core: str  # Excel number-format body
    xlsx_suffix: str  # Excel suffix (quoted when written)


_PERCENT = _Word("percent", "%", 1, 1, "0.0", "%")
_PP = _Word("percentage_points", " pp", 1, 1, "0.0", " pp")
_COUNT = _Word("count", "", None, 1, "#,##0", "")
# What is counted or related, said in the text ("12 tickets", "0.45 rate"), not in the workbook.
_COUNT_NOUN = _Word("count", None, None, 1, "#,##0", "")
_HOURS = _Word("duration", " h", 1, 1, "0.0", " h")
_DAYS = _Word("duration", " d", 1, 1, "0.0", " d")
_MINUTES = _Word("duration", " min", 1, 1, "0.0", " min")
_RATIO = _Word("ratio", "", 2, 2, "0.00", "")
_RATIO_NOUN = _Word("ratio", None, 2, 2, "0.00", "")
_POINTS = _Word("points", " pts", None, 1, "#,##0.0#", "")
# Durations without a short display form keep their word ("90 seconds").
_OTHER_DURATION = _Word("duration", None, None, None, "#,##0.0#", "")

# Every known unit word (lower case) -> its meaning. Aliases of one unit share one entry.
WORDS: dict[str, _Word] = {
    **dict.fromkeys(("percent", "%", "pct", "percentage", "prozent"), _PERCENT),
    **dict.fromkeys(
        ("pp", "percentage points", "percentage point", "percentage_points", "percent_points"),
        _PP,
    ),
    **dict.fromkeys(("count", "number", "#", "n"), _COUNT),
    **dict.fromkeys(("items", "tickets", "orders", "people", "units"), _COUNT_NOUN),
    **dict.fromkeys(("hours", "hour", "h", "hrs", "hr"), _HOURS),
    **dict.fromkeys(("days", "day", "d"), _DAYS),
    **dict.fromkeys(("minutes", "minute", "min", "mins"), _MINUTES),
    **dict.fromkeys(("seconds", "second", "s", "sec", "secs", "weeks", "week"), _OTHER_DURATION),
    **dict.fromkeys(("ratio",), _RATIO),
    **dict.fromkeys(("rate", "factor", "x", "fraction", "share"), _RATIO_NOUN),
    **dict.fromkeys(("points", "pts", "point"), _POINTS),
}
# The words of a percentage on the 0-100 scale, for vectorised checks of a Unit column.
PERCENT_WORDS = frozenset(w for w, meaning in WORDS.items() if meaning.kind == "percent")

# The count unit itself. Only these words change numbers and findings: a KPI in them is
# summed per period when `measure.aggregate` is not given, and a negative value is
# impossible (D606, the entry sheet's validation). Count nouns ("tickets") are counts for
# display and the rules, but deliberately not here: that would change reported numbers.
_COUNT_WORDS = {"count", "number", "#"}
# Money summed by default (SPEC §2): the prefixes that have always meant it.
_SUMMED_PREFIXES = ("currency", "eur", "usd", "gbp")


@dataclass(frozen=True)
class Unit:
    """A parsed ``unit:``: what it is and how its values are written."""

    text: str  # as written, stripped ("" for none)
    kind: UnitKind | None  # None: no unit given
    code: str = ""  # currency code (EUR) when known
    prefix: str = ""  # before the number (currency symbol)
    suffix: str = ""  # after the number in text ("%", " h", " SEK", " widgets")
    decimals: int | None = None  # fixed decimals in text; None: see `fraction`
    fraction: int | None = None  # decimals of non-whole numbers; None: by magnitude
    xlsx_prefix: str = ""
    xlsx_core: str = "#,##0.0#"  # not "#,##0.##": Excel shows "12." for whole numbers
    xlsx_suffix: str = ""

    @property
    def is_percent(self) -> bool:
        """A share on the 0-100 scale (not percentage points)."""
        return self.kind == "percent"

    @property
    def label(self) -> str:
        """The unit as shown in a table: ``currency:EUR`` reads ``EUR``."""
        if self.text.lower().startswith("currency"):
            return self.code if ":" in self.text else "currency"
        return self.text


def _currency(text: str) -> Unit:
    low = text.lower()
    if low.startswith("currency"):
        code = text.split(":", 1)[1].strip().upper() if ":" in text else ""
    elif low.upper() in CURRENCY_SYMBOLS:
        code = low.upper()
    else:
        code = SYMBOL_CODES.get(text, "")
    symbol = CURRENCY_SYMBOLS.get(code, "")
    core = "#,##0" if code == "JPY" else "#,##0.00"
    if symbol:
        suffix = xlsx_suffix = ""
    elif low.startswith("currency"):
        suffix = f" {code}" if code else ""
        xlsx_suffix = f" {code}" if re.fullmatch(r"[A-Z]{2,5}", code) else ""
    else:  # "euros", "usd_k": a currency for the rules, written with its own word
        suffix, xlsx_suffix = f" {text}", ""
    # Money: cents below a thousand, none above (no cents at all for yen).
    return Unit(text, "currency", code, symbol, suffix, 0 if code == "JPY" else None, None,
                symbol, core, xlsx_suffix)


def parse_unit(unit: str | None) -> Unit:
    """What a KPI's ``unit:`` means; see the module docstring."""
    text = (unit or "").strip()
    if not text:
        return Unit("", None if unit is None else "other")
    low = text.lower()
    word = WORDS.get(low)
    if word is not None:
        suffix = f" {text}" if word.suffix is None else word.suffix
        return Unit(text, word.kind, "", "", suffix, word.decimals, word.fraction, "",
                    word.xlsx_core, word.xlsx_suffix)
    if low.startswith(_CURRENCY_PREFIXES):
        return _currency(text)
    return Unit(text, "other", suffix=f" {text}")


def unit_kind(unit: str | None) -> UnitKind | None:
    """percent, percentage_points, currency, count, duration, ratio, points or other (None
    when no unit is given)."""
    return parse_unit(unit).kind if unit is not None else None


def is_percent(unit: str | None) -> bool:
    """A percentage on the 0-100 scale (``percent``, ``%``, ``pct``, ...; not ``pp``)."""
    return parse_unit(unit).is_percent


def sums_by_default(unit: str | None) -> bool:
    """Whether a KPI in this unit is summed per period when no aggregate is named."""
    low = (unit or "").strip().lower()
    return low in _COUNT_WORDS or low.startswith(_SUMMED_PREFIXES)


def never_negative(unit: str | None) -> bool:
    """Whether the unit makes a negative value impossible (the count unit; SPEC §3 "Values":
    negative percentages and money are legitimate)."""
    return (unit or "").strip().lower() in _COUNT_WORDS


# --- Excel number formats ----------------------------------------------------------------------


def _quote(text: str) -> str:
    return f'"{text}"' if text else ""


def xlsx_format(prefix: str, core: str, suffix: str) -> str:
    """An Excel number format from its parts, the texts quoted."""
    return f"{_quote(prefix)}{core}{_quote(suffix)}"


def xlsx_parts(unit: str | None) -> tuple[str, str, str]:
    """``(prefix, core, suffix)`` of the Excel number format for values in this unit."""
    u = parse_unit(unit)
    return u.xlsx_prefix, u.xlsx_core, u.xlsx_suffix


def number_format(unit: str | None) -> str:
    """Excel number format for values of a KPI with this unit (percent on the 0-100 scale)."""
    return xlsx_format(*xlsx_parts(unit))


# --- numbers as text ---------------------------------------------------------------------------


def missing(x: float | None) -> bool:
    """No value to show: None, NaN or infinite."""
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def _grouped(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def _auto_decimals(x: float) -> int:
    ax = abs(x)
    if ax >= 1000 or float(x).is_integer():
        return 0
    if ax >= 100:
        return 1
    if ax >= 1:
        return 2 if ax < 10 else 1
    return 3


def format_value(x: float | None, unit: str | None, *, signed: bool = False) -> str:
    """86.2%, €12.50, 1,234, 23.5 h, 0.45: a value the way a reader expects its unit.

    ``signed`` writes a change: a leading ``+`` when positive, and a change of a percentage
    in percentage points (``+3.5 pp``), not percent. Missing values are ``–``.
    """
    if missing(x):
        return "–"
    assert x is not None
    u = parse_unit(unit)
    sign = "+" if signed and x > 0 else ""
    if u.kind == "percent" and signed:
        return f"{sign}{_grouped(x, 1)} pp"
    if u.kind == "currency":
        dec = u.decimals if u.decimals is not None else (0 if abs(x) >= 1000 else 2)
        neg = "-" if x < 0 else sign
        return f"{neg}{u.prefix}{_grouped(abs(x), dec)}{u.suffix}"
    if u.decimals is not None:
        dec = u.decimals
    elif u.fraction is not None:
        dec = 0 if float(x).is_integer() else u.fraction
    else:
        dec = _auto_decimals(x)
    return f"{sign}{_grouped(x, dec)}{u.suffix}"


def format_number(x: float | None) -> str:
    """A value for a sentence (``why`` texts, summaries): 86.2, 1,200,000, 0.5; ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    return f"{x:.4g}" if abs(x) >= 1 else f"{x:.3g}"


def exact_number(x: float) -> str:
    """A number the user wrote, quoted back in a message: up to six significant digits, with
    thousands separators from 10,000 (``99.125``, ``12,500``, ``6,921,980``), so rounding never hides why a
    value was refused."""
    if 1e6 <= abs(x) < 1e15:
        # %g would switch to an exponent here (6.92198e+06): whole units are exact enough.
        return f"{x:,.0f}"
    return f"{x:,.6g}" if abs(x) >= 10000 else f"{x:g}"


def format_in_unit(x: float | None, unit: str | None) -> str:
    """A number with its unit's symbols for text in a workbook cell (``€1,200``, ``85.5%``,
    ``−3 h``): :func:`format_number`'s digits, the workbook's symbols, and U+2212 MINUS SIGN
    for negatives, which reads as negative but is no formula prefix."""
    if x is None or not math.isfinite(x):
        return ""
    prefix, _core, suffix = xlsx_parts(unit)
    sign = "\u2212" if x < 0 else ""
    return f"{sign}{prefix}{format_number(abs(x))}{suffix}"
