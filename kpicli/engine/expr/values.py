"""What kind of value a column or constant is, and the vectorised helpers every operation uses.

Contract: a value in an expression is a pandas Series (a column, or the result of an operation
on one) or a scalar. These helpers classify values (:func:`kind_of`, with the words messages
use), give columns a dtype the evaluator understands once (:func:`prepare`), and do the
element-wise bookkeeping (float64 with NaN for missing, no infinities, missing compares False,
index alignment) without a Python loop over rows.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

# pandas/numpy/pyarrow raise these for type problems in vectorised ops; pyarrow's errors
# subclass them (ArrowInvalid is a ValueError, ArrowNotImplementedError a NotImplementedError).
OP_ERRORS = (TypeError, ValueError, ArithmeticError, NotImplementedError)

TEXT, NUMBER, BOOL, DATE, MIXED, NONE, OTHER = (
    "text",
    "number",
    "boolean",
    "date",
    "mixed",
    "none",
    "other",
)
KIND_WORDS = {
    TEXT: "text",
    NUMBER: "a number",
    BOOL: "true/false",
    DATE: "a date",
    MIXED: "mixed values",
    NONE: "None (missing)",
    OTHER: "a value of an unsupported type",
}

try:
    # pandas >= 2.3: the NaN-semantics string dtype that pandas 3 uses by default for text.
    _TEXT_DTYPE: Any = pd.StringDtype(na_value=np.nan)
except TypeError:  # pragma: no cover - older pandas keeps text as object
    _TEXT_DTYPE = None


def series_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return BOOL
    if ptypes.is_numeric_dtype(dtype):
        return NUMBER
    if ptypes.is_datetime64_any_dtype(dtype):
        return DATE
    if ptypes.is_object_dtype(dtype):
        # Only reached for columns prepare could not convert, or on older pandas.
        inferred = ptypes.infer_dtype(series, skipna=True)
        return TEXT if inferred in ("string", "empty") else MIXED
    if ptypes.is_string_dtype(dtype):
        return TEXT
    return OTHER


def scalar_kind(value: Any) -> str:
    if is_missing(value):
        return NONE
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, float, np.number)):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    if isinstance(value, (datetime, date, np.datetime64)):
        return DATE
    return OTHER


def kind_of(value: Any) -> str:
    return series_kind(value) if isinstance(value, pd.Series) else scalar_kind(value)


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def prepare(series: pd.Series) -> pd.Series:
    """Give a column a dtype the evaluator understands, once, when it is looked up."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Decode to plain values; integer categories with missing values need floats.
        categories = series.cat.categories.dtype
        numeric = ptypes.is_numeric_dtype(categories) and not ptypes.is_bool_dtype(categories)
        series = series.astype("float64" if numeric else object)
    if not ptypes.is_object_dtype(series.dtype):
        return series
    inferred = ptypes.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return pd.Series(np.nan, index=series.index, dtype="float64", name=series.name)
    if inferred == "string" and _TEXT_DTYPE is not None:
        return series.astype(_TEXT_DTYPE)
    if inferred == "boolean":
        return series.astype("boolean")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return series.astype("float64")
    if inferred in ("datetime", "datetime64", "date"):
        try:
            return pd.to_datetime(series)
        except OP_ERRORS:
            return series
    return series


def as_floats(series: pd.Series) -> pd.Series:
    """A numeric or boolean Series as float64 with NaN for missing."""
    if series.dtype == np.float64:
        return series
    return pd.Series(
        series.to_numpy(dtype="float64", na_value=np.nan), index=series.index, name=series.name
    )


def no_inf(value: Any) -> Any:
    """Infinity (x/0, overflow, log(0)) becomes NaN: a KPI value is never infinite."""
    if isinstance(value, pd.Series):
        return value.mask(np.isinf(value.to_numpy()))
    return math.nan if math.isinf(value) else value


def align(left: Any, right: Any) -> tuple[Any, Any]:
    if (
        isinstance(left, pd.Series)
        and isinstance(right, pd.Series)
        and not left.index.equals(right.index)
    ):
        left, right = left.align(right, join="outer")
    return left, right


def where_present(value: Any) -> Any:
    """Where a value is present: a bool ndarray for a Series, else a bool."""
    if isinstance(value, pd.Series):
        return value.notna().to_numpy(dtype=bool)
    return not is_missing(value)


def as_bools(value: pd.Series) -> pd.Series:
    """A bool-like Series as plain numpy bool, missing -> False."""
    if value.dtype == bool:
        return value
    return pd.Series(value.to_numpy(dtype=bool, na_value=False), index=value.index)


def all_missing(value: Any) -> bool:
    if isinstance(value, pd.Series):
        return bool(value.isna().all())
    return is_missing(value)


def first_index(*values: Any) -> pd.Index | None:
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def broadcast(value: Any, index: pd.Index | None) -> Any:
    """A bool, or bool ndarray, as a bool Series on ``index`` (a bool when there is none)."""
    if index is None:
        return bool(value)
    if isinstance(value, np.ndarray):
        return pd.Series(value, index=index)
    return pd.Series(bool(value), index=index, dtype=bool)


def logical_not(value: Any) -> Any:
    return ~value if isinstance(value, pd.Series) else not value


def comparable(left: str, right: str) -> bool:
    if left == right:
        return True
    pair = {left, right}
    if pair <= {NUMBER, BOOL}:
        return True
    # pandas compares dates with date text ("2026-01-01"); mixed columns are left to pandas.
    return pair == {DATE, TEXT} or MIXED in pair

