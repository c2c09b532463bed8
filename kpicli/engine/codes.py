"""Integer codes of the table's columns, computed once per column per run.

Aggregation (dates to periods, KPI labels, ``--by`` members) and the quality checks (which
rows belong to a KPI, duplicate KPI/period/member entries) all start from the same columns of
the same table. Factorising a million-row text column is one of the largest single costs of a
report, so each column is factorised once and the codes are shared.

Contract: ``codes(table, column)`` returns ``(codes, uniques)`` exactly as
``pandas.factorize(table.frame[column], sort=False)`` would (missing values are code -1),
the codes in the smallest signed integer type that holds them (:func:`narrow`: a million
rows of a 20-label column are 1 MB of int8, not 8 MB of int64); :func:`factorize` is that
factorisation, done by pyarrow directly for pandas' pyarrow-backed text columns. The
result is cached on the table for as long as ``table.frame`` is the same object; a table whose
frame is replaced gets fresh codes. A reader that factorised a column while parsing it hands
its codes over with ``share_codes`` (one factorisation per column per run).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kpicli.model.table import Table


def code_type(size: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type that holds codes into ``size`` values (and -1)."""
    for dtype in (np.int8, np.int16, np.int32):
        if size <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def narrow(found: np.ndarray, size: int) -> np.ndarray:
    """Codes into ``size`` distinct values (-1: missing) in the smallest signed integer type
    that holds them; the array itself when it already has that type."""
    return found.astype(code_type(size), copy=False)


def factorize(values: Any) -> tuple[np.ndarray, Any]:
    """``pandas.factorize(values, sort=False)`` (missing values are -1), the codes narrowed
    (:func:`narrow`): the same codes and the same uniques, of the same type.

    A pyarrow-backed text column (pandas' ``str``) is dictionary-encoded by pyarrow here,
    each block's codes written straight into the narrow array. pandas runs the same encoding
    and then joins the blocks into one array and widens the codes to int64 before they are
    narrowed: for a 1M-row column, three more passes and 13 MB of arrays that are thrown
    away (about 4 ms a column in a fresh process). A datetime64[ns] column is encoded by
    pyarrow too, on its own buffer: pandas' hash table hands back 8-byte codes (8 MB of
    fresh memory per million rows, the costly part in a fresh process), pyarrow's 4-byte.
    """
    got = _arrow_text_codes(values)
    if got is None:
        got = _arrow_datetime_codes(values)
    if got is not None:
        return got
    found, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
    return narrow(found, len(uniques)), uniques


_NS = np.dtype("datetime64[ns]")


def _arrow_datetime_codes(values: Any) -> tuple[np.ndarray, Any] | None:
    """:func:`factorize` of a tz-naive datetime64[ns] Series, Index or numpy array (NaT is
    missing: -1); None for anything else. pyarrow reads the numpy buffer in place."""
    if getattr(values, "dtype", None) != _NS or not len(values):
        return None
    if not isinstance(values, pd.Series | pd.Index | np.ndarray):
        return None  # (a DatetimeArray: pandas' own factorisation keeps its type)
    data = pa.array(np.asarray(values), from_pandas=True)  # NaT becomes null
    encoded = data.dictionary_encode()
    dictionary = encoded.dictionary.to_numpy(zero_copy_only=False)
    out = _block_codes([encoded], len(dictionary))
    # pandas' own return types: a DatetimeIndex for a Series or an Index, else an array
    if isinstance(values, pd.Series | pd.Index):
        return out, pd.DatetimeIndex(dictionary)
    return out, dictionary


def _arrow_text_codes(values: Any) -> tuple[np.ndarray, Any] | None:
    """:func:`factorize` of a pyarrow-backed text Series, Index or array; None for any other
    column, or when the blocks' dictionaries are not all the first part of the last one
    (pyarrow encodes a chunked column with one table of values, so they always are; pandas
    then takes the codes as they are, against the last block's dictionary)."""
    dtype = getattr(values, "dtype", None)
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow" or not len(values):
        return None
    data = pa.array(getattr(values, "array", values))  # the column's own buffers, no copy
    if pa.types.is_null(data.type):
        return None
    encoded = data.dictionary_encode()  # nulls stay null (pandas' "mask"), coded -1 below
    blocks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not blocks:
        return None
    dictionary = blocks[-1].dictionary
    for block in blocks[:-1]:
        own = block.dictionary
        if own is not dictionary and not (
            len(own) <= len(dictionary) and own.equals(dictionary.slice(0, len(own)))
        ):
            return None
    out = _block_codes(blocks, len(dictionary))
    uniques = dtype.__from_arrow__(dictionary)  # what pyarrow's to_pandas would call
    # pandas' own return types: an Index (unnamed) for a Series or an Index, else an array
    return out, pd.Index(uniques) if isinstance(values, pd.Series | pd.Index) else uniques


def _block_codes(blocks: Sequence[pa.DictionaryArray], size: int) -> np.ndarray:
    """The indices of dictionary-encoded ``blocks`` into a dictionary of ``size`` values,
    one block after the other and null as -1, written straight into one narrow array."""
    out = np.empty(sum(len(block) for block in blocks), dtype=code_type(size))
    at = 0
    for block in blocks:  # a column's blocks (a few dozen for a big file), not its rows
        codes = block.indices
        if codes.null_count:
            codes = codes.fill_null(-1)
        out[at : at + len(block)] = codes.to_numpy(zero_copy_only=False)
        at += len(block)
    return out


def codes(table: Table, column: str) -> tuple[np.ndarray, Any]:
    """``(codes, uniques)`` of ``table.frame[column]``, factorised at most once per frame."""
    frame = table.frame
    got = table.column_codes.get(column)
    if got is None or got[0]() is not frame:
        found, uniques = factorize(frame[column])
        got = (weakref.ref(frame), found, uniques)
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
    there are few enough, the combinations that occur numbered 0, 1, ... otherwise). They
    are numpy's index type (int64), the one bincount counts without converting them first.
    """
    found = [codes(table, column) for column in columns]
    sizes = [len(uniques) + 1 for _, uniques in found]  # +1: missing values (-1) become 0
    span = 1
    for size in sizes:
        if span * size >= 2**62:
            return None
        span *= size
    n = len(table.frame)
    if not found:
        return np.zeros(n, dtype=np.intp)
    # key = sum of (code + 1) * (product of the later sizes), in mixed radix: the codes are
    # combined first and the +1 of every column added once at the end (two passes over the
    # rows per column, into one array)
    key = found[0][0].astype(np.intp)
    shift = 1
    for (column_codes, _), size in zip(found[1:], sizes[1:], strict=True):
        key *= size
        key += column_codes
        shift = shift * size + 1
    key += shift
    if span <= max(n, 1 << 20):
        return key  # few possible combinations: the key itself numbers them
    ids, _ = pd.factorize(key, sort=False)
    return ids
