"""Vectorised parsing of cell values: numbers written as text, dates, periods and Excel serials."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpicli.engine.codes import factorize as factorize_codes
from kpicli.engine.codes import narrow
from kpicli.model.units import AMOUNT_CODES, SYMBOL_CODES
from kpicli.model.values import parse_period_label, two_digit_year
from kpicli.readers.dates import Order, parse_texts

# Cells that mean "no value" rather than "a value that is not a number".
MISSING = frozenset(
    {"", "-", "--", "–", "—", "n/a", "na", "n.a.", "null", "none", "nan", ".", "...", "…"}
)

GRAINS = ("day", "week", "month", "quarter", "year")  # finest first

# A currency sign around an amount: the unit vocabulary's symbols and codes.
_CURRENCY = "(?:[{}]|{})".format(
    "".join(re.escape(sign) for sign in SYMBOL_CODES), "|".join(AMOUNT_CODES)
)
# Patterns applied to whole columns avoid \d and \s so pyarrow (RE2) can run them vectorised.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_US_GROUP = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
_EU_GROUP = r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?"
_EU_PLAIN = r"[+-]?[0-9]*,[0-9]+"
_INT = r"[+-]?[0-9]+"
_SUFFIX = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_PLAIN_NUMBERS = {"floating", "integer", "mixed-integer-float"}  # no booleans, no dates
# ASCII characters no cell that reads as a number can hold: everything but digits, signs,
# separators, % ( ) ' _ $, whitespace, and the letters of the currency codes, the k/m/bn
# suffixes and an exponent (which the cleaning in _clean_rest removes or the parse reads).
# A value with one of them is text whatever the decimal convention, so a column of such
# values is known to be text from its distinct values without the full number parse.
_NUMBER_LETTERS = set("".join(AMOUNT_CODES).lower() + "".join(_SUFFIX) + "e")
_NOT_NUMBER = "[{}]".format(
    "".join(
        "\\" + c if c in "\\[]^-" else c
        for c in map(chr, range(33, 127))
        if not (c.isdigit() or c in "+-.,%()'_$" or c.lower() in _NUMBER_LETTERS)
    )
)


@dataclass
class Factorized:
    """A column as integer codes into its distinct values, exactly as
    ``pandas.factorize(column)`` gives them (order of first appearance; missing is -1).

    The readers factorise a text column to parse each distinct value once; they hand the
    codes on with the table (kpicli.engine.codes) so that no column is factorised twice.
    """

    codes: np.ndarray
    uniques: Any

    def __post_init__(self) -> None:
        # The smallest integer type that holds the codes: 1M rows of a column with a few
        # hundred distinct values are 2 MB of int16 rather than 8 MB of int64.
        self.codes = narrow(np.asarray(self.codes), len(self.uniques))

    def take(self, keep: np.ndarray) -> Factorized:
        """The factorisation of the rows in ``keep`` (a bool mask): codes renumbered in the
        order the kept rows first show them, values no kept row has left out."""
        valid = keep & (self.codes >= 0)
        found, used = pd.factorize(self.codes[valid])
        codes = np.full(int(keep.sum()), -1, dtype=found.dtype)
        codes[valid[keep]] = found
        return Factorized(codes, self.uniques.take(used))

    def mapped(self, shown: pd.Series) -> Factorized:
        """The factorisation of the column after a value-by-value change, given the changed
        distinct values (``shown``, in code order; missing ones become -1)."""
        found, uniques = pd.factorize(shown, use_na_sentinel=True)
        found = narrow(found, len(uniques))
        return Factorized(np.append(found, found.dtype.type(-1))[self.codes], uniques)


def factorize(col: pd.Series) -> Factorized:
    """``pandas.factorize(col)`` (missing values are -1), the codes as narrow as they fit
    (kpicli.engine.codes.factorize: pyarrow's own encoding for a pyarrow text column)."""
    found, uniques = factorize_codes(col)
    return Factorized(found, uniques)


@dataclass
class Numbers:
    """A column read as numbers."""

    values: np.ndarray  # float64, NaN where missing or unreadable
    bad: np.ndarray  # bool: a non-empty cell that is not a number
    empty: np.ndarray  # bool: empty cell or a missing marker such as "n/a" or "-"
    text_percent: np.ndarray  # bool: written with a % sign, so already on the 0-100 scale
    typed: np.ndarray  # bool: the cell held a number (not text), e.g. a workbook number cell
    decimal: str  # decimal separator used for text numbers
    # The column's factorisation, when its distinct values were parsed one by one.
    factorized: Factorized | None = None

    @property
    def share(self) -> float:
        """Share of non-empty cells that are numbers (1.0 for an all-empty column)."""
        filled = int((~self.empty).sum())
        return 1.0 if filled == 0 else float((~self.empty & ~self.bad).sum()) / filled


def _to_float(s: pd.Series) -> np.ndarray:
    """Text to float64 with pyarrow's parser (fast); pandas, value by value, if any cell fails."""
    try:
        arr = pa.array(s.array if not pd.api.types.is_object_dtype(s) else s, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), "float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _float_array(parsed: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float64 arrow array (nulls as NaN) as one writeable numpy array: the one copy the
    column needs (arrow's own conversion is read-only, so callers copied it again)."""
    chunks = parsed.chunks if isinstance(parsed, pa.ChunkedArray) else [parsed]
    out = np.empty(len(parsed), dtype="float64")
    at = 0
    for chunk in chunks:  # the file's blocks (a few dozen), not its rows
        out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return out


def _string_mask(col: pd.Series, uniq: pd.Series) -> np.ndarray:
    """Which distinct values are text (all of them for a text column, as CSV columns are)."""
    if not pd.api.types.is_object_dtype(col):
        return np.ones(len(uniq), bool)
    return uniq.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)


def _clean_rest(r: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Strip what surrounds a number: % sign, (parentheses), currency, spaces, k/M suffix.

    Only the few values that are not plain digits and separators come here, so Python
    regular expressions (which pandas applies value by value) cost little.
    """
    c = r.str.replace("[\u00a0\u202f\u2009]", " ", regex=True).str.strip()
    pct = c.str.endswith("%").to_numpy(dtype=bool, na_value=False)
    c = c.str.replace(r"\s*%$", "", regex=True)
    neg = c.str.fullmatch(r"\(.*\)").to_numpy(dtype=bool, na_value=False)
    c = c.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.replace("\u2212", "-", regex=False)
    c = c.str.replace(rf"^([+-]?)\s*{_CURRENCY}\.?\s*", r"\1", regex=True, flags=re.I)
    c = c.str.replace(rf"\s*{_CURRENCY}$", "", regex=True, flags=re.I)
    c = c.str.replace(r"^([+-])\s+", r"\1", regex=True)
    # Thousands written with spaces, apostrophes or underscores: 1 234,5 / 1'234.50 / 1_000.
    c = c.str.replace(r"(?<=\d)[ '’_](?=\d{3}(?:\D|$))", "", regex=True)
    suffix = c.str.extract(r"(?i)^.*\d\s*(k|mn|m|bn|b)$", expand=False).str.lower()
    mult = suffix.map(_SUFFIX).fillna(1.0).to_numpy(dtype="float64")
    c = c.str.replace(r"(?i)(?<=\d)\s*(k|mn|m|bn|b)$", "", regex=True)
    return c, pct, neg, mult


def _text_numbers(
    texts: pd.Series, decimal: str | None, hint: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Parse distinct strings; return (values, empty, percent-sign) arrays and the decimal used.

    The decimal separator is the one the column's unambiguous values use ("1.234,5" and
    "12,5" are European, "1,234.5" and "12.5" are not); ambiguous columns ("1,250" only)
    follow ``hint`` (a comma for semicolon-separated files). The patterns used on the whole
    column are plain enough for pyarrow's vectorised regular expressions.
    """
    s = texts.astype("str").str.strip().reset_index(drop=True)
    n = len(s)
    empty = s.str.lower().isin(MISSING).to_numpy(dtype=bool)
    plain = s.str.fullmatch(_PLAIN.pattern).to_numpy(dtype=bool, na_value=False) & ~empty
    fast = np.full(n, np.nan)
    fast[plain] = _to_float(s[plain])
    plain_ok = plain | empty
    if plain_ok.all() and decimal != ",":
        ambiguous = (
            decimal is None and hint == "," and s.str.fullmatch(r"[+-]?[0-9]{1,3}\.[0-9]{3}").any()
        )
        if not ambiguous:
            # Every value is a plain number such as 12 or 12.5: nothing to clean up.
            return fast, empty, np.zeros(n, bool), "."

    pct = np.zeros(n, bool)
    neg = np.zeros(n, bool)
    mult = np.ones(n)
    simple = s.str.fullmatch(r"[+-]?[0-9][0-9.,]*|[+-]?[.,][0-9]+").to_numpy(
        dtype=bool, na_value=False
    )
    rest = np.flatnonzero(~simple & ~empty & ~plain_ok)
    c = s
    if len(rest):
        cleaned, pct[rest], neg[rest], mult[rest] = _clean_rest(s.iloc[rest])
        c = s.mask(pd.Series(np.isin(np.arange(n), rest)), cleaned.reindex(s.index))

    if decimal is None:
        # "1,250" and "1.250" are ambiguous and count for neither convention.
        comma = c.str.contains(",", regex=False)
        dot = c.str.contains(".", regex=False)
        eu = (
            (c.str.fullmatch(_EU_GROUP) & comma)
            | (c.str.fullmatch(_EU_PLAIN) & ~c.str.fullmatch(_US_GROUP))
            | c.str.fullmatch(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3}){2,}")
        )
        us = (
            (c.str.fullmatch(_US_GROUP) & dot)
            | (c.str.fullmatch(_PLAIN.pattern) & dot & ~c.str.fullmatch(_EU_GROUP))
            | c.str.fullmatch(r"[+-]?[0-9]{1,3}(?:,[0-9]{3}){2,}")
        )
        n_eu, n_us = int(eu.sum()), int(us.sum())
        decimal = "," if n_eu > n_us else "." if n_us > n_eu else hint
    if decimal == ",":
        valid = c.str.fullmatch(rf"{_INT}|{_EU_GROUP}|{_EU_PLAIN}|{_PLAIN.pattern}")
        # A dot is a thousands separator here, unless the number has an exponent.
        sci = c.str.contains("e", case=False, regex=False)
        c = c.where(sci, c.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        valid = valid & (~sci | c.str.fullmatch(_PLAIN.pattern))
    else:
        valid = c.str.fullmatch(rf"{_US_GROUP}|{_PLAIN.pattern}")
        c = c.str.replace(",", "", regex=False)
    valid_np = valid.to_numpy(dtype=bool, na_value=False)
    values = np.full(n, np.nan)
    values[valid_np] = _to_float(c[valid_np])
    values = values * mult
    values[neg] = -np.abs(values[neg])
    values[~valid_np] = np.nan
    return values, empty, pct & valid_np, decimal


def to_numbers(col: pd.Series, decimal: str | None = None, hint: str = ".") -> Numbers:
    """Read a column as float64, vectorised: each distinct cell value is parsed once.

    Accepts typed numbers, booleans (1/0) and text such as ``110,250``, ``1.234,5``,
    `` 85 % `` (85), ``€ 1.200``, ``(123)`` (-123), ``1.2k``. Empty cells and markers such as
    ``n/a`` or ``-`` are missing; anything else that does not parse is ``bad``.
    """
    nums, _ = numbers_if(col, 0.0, decimal, hint)
    assert nums is not None
    return nums


def numbers_if(
    col: pd.Series,
    share: float,
    decimal: str | None = None,
    hint: str = ".",
    made: Factorized | None = None,
) -> tuple[Numbers | None, Factorized | None]:
    """:func:`to_numbers` of ``col`` when at least ``share`` of its filled cells are numbers
    (``Numbers.share``), else None; with the column's factorisation when one was made (or
    given: ``made``, the factorisation of ``col`` made already, is used instead of another).

    The share is decided on the distinct values (each weighted by how often it occurs), so a
    text column costs one factorisation and a parse of its distinct values, and no array
    per row (the caller reads it as text from the same factorisation). A text column whose
    distinct values mostly hold characters no number has (``Team 25``) is known to be text
    before that parse (:func:`_surely_text`).
    """
    n = len(col)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        empty = np.isnan(values)
        zero = np.zeros(n, bool)
        return Numbers(values, zero, empty, zero.copy(), ~empty, decimal or "."), None

    if not pd.api.types.is_object_dtype(col) and decimal != ",":
        # A text column of plain numbers (the usual CSV measure column): one pyarrow parse.
        # Its first cells go first: a text column fails there, not after a whole pass.
        try:
            text = pa.array(col.array, from_pandas=True)
            pc.cast(text.slice(0, 64), pa.float64())
            values = _float_array(pc.cast(text, pa.float64()))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            values = None
        ambiguous = (
            values is not None
            and decimal is None
            and hint == ","
            and col.str.fullmatch(r"[+-]?[0-9]{1,3}\.[0-9]{3}").any()
        )
        if (
            values is not None
            and not ambiguous
            and not np.isnan(values[col.notna().to_numpy()]).any()
        ):
            empty = np.isnan(values)
            zero = np.zeros(n, bool)
            return Numbers(values, zero, empty, zero.copy(), zero.copy(), "."), None

    made = made if made is not None else factorize(col)
    codes, uniques = made.codes, made.uniques
    k = len(uniques)
    if share > 0 and pd.api.types.is_string_dtype(col) and _surely_text(codes, uniques, share):
        return None, made
    u_val = np.full(k + 1, np.nan)  # the extra last slot serves code -1 (missing)
    u_empty = np.ones(k + 1, bool)
    u_pct = np.zeros(k + 1, bool)
    u_typed = np.zeros(k + 1, bool)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    is_str = _string_mask(col, uniq)
    used = "."
    if is_str.any():
        vals, emp, pct, used = _text_numbers(uniq[is_str], decimal, hint)
        idx = np.flatnonzero(is_str)
        u_val[idx], u_empty[idx], u_pct[idx] = vals, emp, pct
    other = np.flatnonzero(~is_str)
    typed = np.asarray(uniques, dtype=object)[other]
    if len(other) and pd.api.types.infer_dtype(typed, skipna=False) in _PLAIN_NUMBERS:
        # A workbook's number cells: one conversion instead of a loop over distinct values.
        f = typed.astype("float64")
        u_val[other], u_empty[other], u_typed[other] = f, np.isnan(f), ~np.isnan(f)
        other = other[:0]
    for i in other:  # distinct non-text values: numbers, booleans, dates (not numbers)
        v = uniques[i]
        if isinstance(v, bool | np.bool_):
            u_val[i], u_empty[i], u_typed[i] = float(v), False, True
        elif isinstance(v, int | float | np.integer | np.floating):
            f = float(v)
            u_empty[i] = f != f
            u_val[i], u_typed[i] = f, not u_empty[i]
        else:
            u_empty[i] = False
    if share > 0:
        # Numbers.share, counted per distinct value (the last slot: missing cells, empty).
        seen = np.bincount(codes[codes >= 0], minlength=k)
        filled = int(seen[~u_empty[:k]].sum())
        good = int(seen[~u_empty[:k] & ~np.isnan(u_val[:k])].sum())
        if filled and good / filled < share:
            return None, made
    values = u_val[codes]
    empty = u_empty[codes]
    return (
        Numbers(
            values=values,
            bad=~empty & np.isnan(values),
            empty=empty,
            text_percent=u_pct[codes],
            typed=u_typed[codes],
            decimal=used,
            factorized=made,
        ),
        made,
    )


_MISSING_TEXTS = pa.array(sorted(MISSING), pa.large_string())


def _stripped_texts(values: Any) -> pa.Array | pa.ChunkedArray:
    """A few distinct values as pandas' ``str`` (pyarrow strings), stripped as its
    ``str.strip()`` strips them. The string methods of that dtype are these pyarrow
    kernels; called directly on a handful of distinct values they take microseconds where
    each pandas wrapper (accessor, result Series, conversion) takes a fraction of a ms."""
    return pc.utf8_trim_whitespace(pa.array(pd.Series(values, dtype="str").array))


def _flags(result: pa.Array | pa.ChunkedArray, missing: bool) -> np.ndarray:
    """A pyarrow boolean result as a numpy bool array, ``missing`` where it is null."""
    return np.asarray(result.fill_null(missing).to_numpy(zero_copy_only=False), dtype=bool)


def _surely_text(codes: np.ndarray, uniques: Any, share: float) -> bool:
    """True when fewer than ``share`` of the filled cells can possibly be numbers, judged on
    the distinct values of a text column: a value with no digit or with a character no
    number has (:data:`_NOT_NUMBER`, e.g. the letters of ``Team 25``) is not one.

    Only ever True when :func:`numbers_if` would find the share too low too (the cells it
    reads as numbers are a subset of those counted here, its empty cells the same), so a
    text dimension column skips the number parse of its values and the result is the same.
    """
    # str.strip(), str.lower(), isin and str.contains of the distinct values, as the
    # pyarrow kernels pandas' str dtype runs for them (:func:`_stripped_texts`).
    texts = _stripped_texts(uniques)
    missing = _flags(pc.is_in(pc.utf8_lower(texts), value_set=_MISSING_TEXTS), False)
    digit = _flags(pc.match_substring_regex(texts, "[0-9]"), False)
    odd = _flags(pc.match_substring_regex(texts, _NOT_NUMBER), True)
    could = digit & ~odd
    if not (could & ~missing).any():
        # No distinct value can be a number (a column of names): the share is 0 when any
        # cell is filled (every distinct value occurs), known without counting the rows.
        return share > 0 and bool((~missing).any())
    seen = np.bincount(codes[codes >= 0], minlength=len(texts))
    filled = int(seen[~missing].sum())
    return bool(filled) and int(seen[could & ~missing].sum()) / filled < share


def text_values(col: pd.Series) -> pd.Series:
    """A dimension column as stripped text (str dtype); whole numbers lose their ``.0``."""
    # (The object test first: is_string_dtype of an object column looks at every cell.)
    if not pd.api.types.is_object_dtype(col) and pd.api.types.is_string_dtype(col):
        out = col.str.strip()
        return out.where(out != "")
    return text_column(col)[0]


def _shown(v: object) -> object:
    """One cell as the text a dimension column shows (None: no value)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        return v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    text = str(v).strip()
    return text or None


def text_column(col: pd.Series, made: Factorized | None = None) -> tuple[pd.Series, Factorized]:
    """``text_values(col)`` and its factorisation, from one factorisation of ``col`` (``made``,
    or made here): only the distinct values are converted. A text column whose values need
    no stripping is handed back as it is, without a copy."""
    made = made if made is not None else factorize(col)
    k = len(made.uniques)
    # (The object test first: is_string_dtype of an object column looks at every cell.)
    if not pd.api.types.is_object_dtype(col) and pd.api.types.is_string_dtype(col):
        if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
            # The usual case, decided on the distinct values with the kernels pandas' str
            # dtype runs (see _stripped_texts): nothing to strip and no blank value.
            texts = pa.array(pd.Series(made.uniques, dtype="str").array)
            stripped = pc.utf8_trim_whitespace(texts)
            if _flags(pc.equal(stripped, texts), False).all() and not _flags(
                pc.equal(stripped, ""), True
            ).any():
                return col, made  # the column as it is, without a copy
        uniq = pd.Series(made.uniques, dtype=col.dtype)
        stripped = uniq.str.strip()
        shown = stripped.where(stripped != "")
        if bool((stripped.to_numpy(dtype=object) == uniq.to_numpy(dtype=object)).all()) and bool(
            shown.notna().all()
        ):
            return col, made  # nothing to strip and no blank cells: the column as it is
        if k * 4 >= len(col):
            # Mostly distinct values: strip the column itself, in one vectorised pass.
            out = col.str.strip()
            return out.where(out != ""), made.mapped(shown)
        return _by_codes(shown, made, col.index), made.mapped(shown)
    shown = pd.Series(np.array([_shown(v) for v in made.uniques], dtype=object), dtype="str")
    return _by_codes(shown, made, col.index), made.mapped(shown)


def _by_codes(shown: pd.Series, made: Factorized, index: pd.Index) -> pd.Series:
    """The column whose cells are ``shown[code]`` (missing where the code is -1), with
    ``shown``'s dtype.

    An Arrow take of the few distinct values: building the string column from one Python
    object per row instead costs 5-10x as much (100k rows: ~4 ms against ~0.5 ms).
    """
    return pd.Series(shown.array.take(made.codes, allow_fill=True), index=index)


def text_factorized(col: pd.Series, factorized: Factorized) -> Factorized:
    """The factorisation of ``text_values(col)`` from the column's own (``factorized``):
    ``text_values`` changes value by value, so it runs on the distinct values only."""
    return text_column(col, factorized)[1]


# ----------------------------------------------------------------------------- dates

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000  # 1954-10-03 .. 2119-01-10
_DMY = re.compile(r"^(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+.*)?$")
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.\d+)?$")
_YEAR_TEXT = re.compile(r"^\d{4}$")
_HAS_YEAR = re.compile(r"(?:^|\D)(?:19|20)\d{2}(?:\D|$)")


@dataclass
class Dates:
    """A column read as dates: the first day of each value's period."""

    values: np.ndarray  # datetime64[ns], NaT where empty or unreadable
    bad: np.ndarray  # bool: non-empty but not a date
    empty: np.ndarray  # bool
    grain: str | None  # finest grain among the values read
    order: Order | None = None  # how numeric day/month dates were read (None: none seen)
    # The factorisation of ``values``, when the column's distinct values were parsed.
    factorized: Factorized | None = None

    @property
    def share(self) -> float:
        filled = int((~self.empty).sum())
        return 0.0 if filled == 0 else float((~self.empty & ~self.bad).sum()) / filled


def finest(grains: set[str]) -> str | None:
    for g in GRAINS:
        if g in grains:
            return g
    return None


def refine_day_grain(days: np.ndarray) -> str:
    """The grain that real dates imply: all first-of-month dates are months (or quarters/years).

    Trackers type ``Jan 2026`` as a date (1 Jan 2026); calling that a day would be wrong.
    """
    d = pd.DatetimeIndex(pd.unique(days[~np.isnat(days)])).sort_values()
    if not len(d):
        return "day"
    if (d.day == 1).all():
        if len(d) >= 2 and (d.month == 1).all():
            return "year"
        if len(d) >= 2 and d.month.isin([1, 4, 7, 10]).all():
            return "quarter"
        return "month"
    # One date a week, on the same weekday, week after week: weekly figures.
    if (
        len(d) >= 3
        and (d.day_of_week == d[0].day_of_week).all()
        and (np.diff(d.asi8).min() == 7 * 86_400 * 10**9)
    ):
        return "week"
    return "day"


def _fiscal_start(year: int, fiscal_year_start: int) -> dt.date:
    # FY2026 is the fiscal year that ends in 2026 (as kpicli.engine.periods reads it).
    if fiscal_year_start == 1:
        return dt.date(year, 1, 1)
    return dt.date(year - 1, fiscal_year_start, 1)


_FISCAL_QUARTER = re.compile(r"^FY[-/ ]?(\d{4}|\d{2})[-/ ]?Q([1-4])$", re.IGNORECASE)


def parse_date_value(
    v: object,
    *,
    serials: bool,
    years: bool,
    dayfirst: bool,
    fiscal_year_start: int = 1,
) -> tuple[str, dt.date] | None:
    """``(grain, first day)`` of one cell value, or None when it is not a date or period."""
    if isinstance(v, dt.datetime | pd.Timestamp):
        return "day", v.date()
    if isinstance(v, dt.date):
        return "day", v
    if isinstance(v, np.datetime64):
        return "day", pd.Timestamp(v).date()
    if isinstance(v, bool | np.bool_) or v is None:
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        if f != f:
            return None
        if serials and _SERIAL_MIN <= f <= _SERIAL_MAX:
            return "day", _EXCEL_EPOCH + dt.timedelta(days=int(f))
        if years and f.is_integer() and 1900 <= f <= 2200:
            return "year", dt.date(int(f), 1, 1)
        return None
    if not isinstance(v, str):
        return None
    text = v.strip()
    if not text:
        return None
    if _YEAR_TEXT.match(text) and not years:
        return None
    fq = _FISCAL_QUARTER.match(text)
    if fq:  # FY2027-Q1: the first quarter of the fiscal year that ends in 2027
        year = int(fq.group(1))
        first = _fiscal_start(year + 2000 if year < 100 else year, fiscal_year_start)
        month = first.month - 1 + 3 * (int(fq.group(2)) - 1)
        return "quarter", dt.date(first.year + month // 12, month % 12 + 1, 1)
    try:
        grain, start = parse_period_label(text)
    except ValueError:
        pass
    else:
        if grain == "year" and not years:
            return None  # "2020 (2)": a footnoted year is a period only where years are
        if grain == "fiscal_year":
            return "year", _fiscal_start(start.year, fiscal_year_start)
        if grain == "fiscal_quarter":  # FY2026 Q1: the month field holds the quarter
            first = _fiscal_start(start.year, fiscal_year_start)
            months = first.month - 1 + 3 * (start.month - 1)
            return "quarter", dt.date(first.year + months // 12, months % 12 + 1, 1)
        return grain, start
    m = _DMY.match(text)
    if m:
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        y = two_digit_year(y)
        day, month = (a, b) if (dayfirst or sep == ".") else (b, a)
        try:
            return "day", dt.date(y, month, day)
        except ValueError:
            return None
    if serials and _SERIAL_TEXT.match(text):
        return parse_date_value(float(text), serials=True, years=False, dayfirst=dayfirst)
    if _HAS_YEAR.search(text) and re.search(r"[A-Za-z]", text):
        # Written-out dates such as "5 October 2026" or "Oct 5, 2026".
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ts = pd.to_datetime(text, dayfirst=dayfirst)
            except (ValueError, TypeError, OverflowError):
                return None
        return None if pd.isna(ts) else ("day", ts.date())
    return None


def _is_real_date(v: object) -> bool:
    return isinstance(v, dt.date | np.datetime64) and not (isinstance(v, float) and v != v)


def to_dates(
    col: pd.Series,
    *,
    serials: bool = False,
    years: bool = False,
    dayfirst_hint: bool = False,
    fiscal_year_start: int = 1,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> Dates:
    """Read a column as dates, parsing each distinct value once.

    Real dates and datetimes, ``2026-10``, ``Oct 2026``, ``Oct-26``, ``2026-Q3``, ``Q3 2026``,
    ``FY2026``, ``2026-W07``, ``31.10.2026``, ``10/31/2026``, ``2012/01/31``, ``Jan 31 2012``,
    ISO timestamps; Excel serial numbers only with ``serials`` (a named date column) and bare
    years only with ``years``. The families of :mod:`kpicli.readers.dates` run vectorised over the
    distinct values; only what they leave (period labels) is parsed value by value.
    ``dayfirst`` and ``date_format`` (``data.dayfirst``, ``data.date_format``) override the
    day/month order the column's values suggest; ``Dates.order`` says what was decided.
    """
    n = len(col)
    if pd.api.types.is_datetime64_any_dtype(col):
        s = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        values = s.to_numpy(dtype="datetime64[ns]")
        # One factorisation (the dates' codes, handed on as the text path does for
        # kpicli.engine.codes); midnight and the grain are decided on its distinct values.
        # (a Series over the values without a copy: it lives only to be factorised)
        dated = factorize(pd.Series(values, dtype="datetime64[ns]", copy=False))
        uniq = pd.DatetimeIndex(dated.uniques)
        days = uniq.normalize()
        if not (days == uniq).all():  # times of day: each cell becomes its day
            values = s.dt.normalize().to_numpy(dtype="datetime64[ns]")
            dated = dated.mapped(pd.Series(days.to_numpy(dtype="datetime64[ns]")))
        empty = np.isnat(values)
        grain = refine_day_grain(days.to_numpy(dtype="datetime64[ns]")) if len(days) else None
        return Dates(values, np.zeros(n, bool), empty, grain, factorized=dated)
    made = factorize(col)
    codes, uniques = made.codes, made.uniques
    k = len(uniques)
    u_val = np.full(k + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    u_empty = np.ones(k + 1, bool)
    u_empty[:k] = False
    u_grain = np.full(k + 1, "", dtype=object)
    order: Order | None = None
    u_claimed = np.zeros(k + 1, bool)  # read by a vectorised family as an impossible date
    if pd.api.types.is_object_dtype(col):
        uniq = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        is_str = _string_mask(col, uniq)
        texts = uniq[is_str].astype("str").str.strip()
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        is_str = np.zeros(k, bool)
        texts = pd.Series([], dtype="str")
        _numbers_as_dates(np.asarray(uniques, dtype="float64"), u_val, u_grain, serials, years)
    else:  # a text column: keep pyarrow strings so the patterns below run vectorised
        is_str = np.ones(k, bool)
        texts = pd.Series(uniques, dtype="str").str.strip()
    if len(texts):
        str_idx = np.flatnonzero(is_str)
        missing = texts.str.lower().isin(MISSING).to_numpy(dtype=bool)
        u_empty[str_idx] = missing
        filled = texts[~missing]
        got, order, claimed = parse_texts(
            filled, dayfirst=dayfirst, date_format=date_format, hint=dayfirst_hint
        )
        hit = ~np.isnat(got)
        u_claimed[str_idx[~missing][claimed & ~hit]] = True
        where = str_idx[~missing]
        u_val[where[hit]] = got[hit]
        u_grain[where[hit]] = "day"
        rest = filled[~hit]
        if (serials or years) and len(rest):
            # Excel serials typed as text (CSV) and bare years, as one numeric pass.
            nums = pd.to_numeric(rest, errors="coerce").to_numpy(dtype="float64", copy=True)
            sub_val = np.full(len(rest), np.datetime64("NaT"), dtype="datetime64[ns]")
            sub_grain = np.full(len(rest), "", dtype=object)
            plain = rest.str.fullmatch(r"[0-9]{4,5}(?:\.[0-9]+)?").to_numpy(
                dtype=bool, na_value=False
            )
            nums[~plain] = np.nan
            _numbers_as_dates(nums, sub_val, sub_grain, serials, years)
            rest_idx = where[~hit]
            u_val[rest_idx] = sub_val
            u_grain[rest_idx] = sub_grain
    todo = np.flatnonzero(~u_empty[:k] & np.isnat(u_val[:k]) & ~u_claimed[:k])
    uvals = np.asarray(uniques, dtype=object)
    if pd.api.types.is_object_dtype(col) and len(todo):
        # Workbook date cells: convert all the real dates at once.
        real = np.zeros(k, bool)
        real[todo] = pd.Series(uvals[todo], dtype=object).map(_is_real_date).to_numpy(dtype=bool)
        if real.any():
            idx = np.flatnonzero(real)
            stamps = pd.to_datetime(pd.Series(uvals[idx], dtype=object), errors="coerce")
            u_val[idx] = stamps.dt.normalize().to_numpy(dtype="datetime64[ns]")
            u_grain[idx] = "day"
            todo = np.flatnonzero(~u_empty[:k] & ~real & np.isnat(u_val[:k]) & ~u_claimed[:k])
    if not is_str.any() and not pd.api.types.is_object_dtype(col):
        todo = todo[:0]  # a numeric column: _numbers_as_dates decided every value
    for i in todo:  # one parse per distinct value the vectorised families left
        got_one = parse_date_value(
            uvals[i],
            serials=serials,
            years=years,
            dayfirst=order.dayfirst if order is not None else bool(dayfirst or dayfirst_hint),
            fiscal_year_start=fiscal_year_start,
        )
        if got_one is not None:
            u_grain[i] = got_one[0]
            u_val[i] = np.datetime64(got_one[1], "ns")
    values = u_val[codes]
    empty = u_empty[codes]
    bad = ~empty & np.isnat(values)
    # factorize lists only values that occur, so every distinct value's grain counts.
    grains = set(pd.unique(u_grain[:k])) - {""}
    grain = finest(grains)
    if grain == "day":
        day_mask = np.zeros(k + 1, bool)
        day_mask[:k] = u_grain[:k] == "day"
        refined = refine_day_grain(u_val[day_mask])
        coarser = grains - {"day"}
        grain = finest({refined} | coarser)
    # The dates' own factorisation from the column's: distinct cells may name the same day.
    dated = made.mapped(pd.Series(u_val[:k], dtype="datetime64[ns]"))
    return Dates(values, bad, empty, grain, order, dated)


def _numbers_as_dates(
    f: np.ndarray, u_val: np.ndarray, u_grain: np.ndarray, serials: bool, years: bool
) -> None:
    """Numbers as Excel serial days or as years, in place (vectorised)."""
    k = len(f)
    ok = ~np.isnan(f)
    if serials:
        ser = ok & (f >= _SERIAL_MIN) & (f <= _SERIAL_MAX)
        if ser.any():
            days = np.floor(f[ser]).astype("int64")
            u_val[:k][ser] = np.datetime64(_EXCEL_EPOCH, "ns") + days.astype("timedelta64[D]")
            u_grain[:k][ser] = "day"
            ok &= ~ser
    if years:
        yr = ok & (f == np.floor(f)) & (f >= 1900) & (f <= 2200)
        if yr.any():
            u_val[:k][yr] = (f[yr].astype("int64") - 1970).astype("datetime64[Y]").astype(
                "datetime64[ns]"
            )
            u_grain[:k][yr] = "year"
