"""Integer codes of the table's columns, computed once per column per run.

Aggregation (dates to periods, KPI labels, ``--by`` members) and the quality checks (which
rows belong to a KPI, duplicate KPI/period/member entries) all start from the same columns of
the same table. Factorising a million-row text column is one of the largest single costs of a
report, so each column is factorised once and the codes are shared.

Contract: ``codes(table, column)`` returns ``(codes, uniques)`` exactly as
``pandas.factorize(table.frame[column], sort=False)`` would (missing values are code -1),
the codes in the smallest signed integer type that holds them (:func:`narrow`: a million
rows of a 20-label column are 1 MB of int8, not 8 MB of int64). The
result is cached on the table for as long as ``table.frame`` is the same object; a table whose
frame is replaced gets fresh codes. A reader that factorised a column while parsing it hands
its codes over with ``share_codes`` (one factorisation per column per run).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd

from kpicli.model.table import Table


def narrow(found: np.ndarray, size: int) -> np.ndarray:
    """Codes into ``size`` distinct values (-1: missing) in the smallest signed integer type
    that holds them; the array itself when it already has that type."""
    for dtype in (np.int8, np.int16, np.int32):
        if size <= np.iinfo(dtype).max:
            return found.astype(dtype, copy=False)
    return found.astype(np.int64, copy=False)


def codes(table: Table, column: str) -> tuple[np.ndarray, Any]:
    """``(codes, uniques)`` of ``table.frame[column]``, factorised at most once per frame."""
    frame = table.frame
    got = table.column_codes.get(column)
    if got is None or got[0]() is not frame:
        found, uniques = pd.factorize(frame[column], sort=False)
        got = (weakref.ref(frame), narrow(found, len(uniques)), uniques)
        table.column_codes[column] = got
    return got[1], got[2]


def share_codes(table: Table, column: str, found: np.ndarray, uniques: Any) -> None:
    """Hand over a factorisation of ``table.frame[column]`` made elsewhere (by a reader, which
    parsed the column's distinct values): ``codes(table, column)`` then returns it.

    The caller vouches that it is exactly ``pandas.factorize(table.frame[column], sort=False)``
    (tests/test_codes.py checks the readers' against it); ``uniques`` takes the column's
    dtype, as pandas' own would have it.
    """
    frame = table.frame
    uniques = pd.Index(uniques).astype(frame[column].dtype)
    table.column_codes[column] = (
        weakref.ref(frame), narrow(np.asarray(found), len(uniques)), uniques
    )


def combined_ids(table: Table, columns: list[str]) -> np.ndarray | None:
    """One id per distinct combination of ``columns`` (missing values included as a value of
    their own, like ``groupby(..., dropna=False)``), or None when the combinations cannot be
    numbered in 63 bits (then the caller groups the columns itself).

    The ids are non-negative and below ``max(rows, 2**20)``, so ``numpy.bincount``
    of them is cheap; they need not be consecutive (an id per possible combination when
    there are few enough, the combinations that occur numbered 0, 1, ... otherwise).
    """
    found = [codes(table, column) for column in columns]
    sizes = [len(uniques) + 1 for _, uniques in found]  # +1: missing values (-1) become 0
    span = 1
    for size in sizes:
        if span * size >= 2**62:
            return None
        span *= size
    n = len(table.frame)
    dtype = np.int32 if span < 2**31 else np.int64
    key = np.zeros(n, dtype=dtype)
    for (column_codes, _), size in zip(found, sizes, strict=True):
        key *= size
        key += column_codes
        key += 1
    if span <= max(n, 1 << 20):
        return key  # few possible combinations: the key itself numbers them
    ids, _ = pd.factorize(key, sort=False)
    return ids
