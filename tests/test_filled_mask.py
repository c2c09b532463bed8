"""The filled-cell mask of the cells below a header is made once per read and handed on.

:func:`kpicli.readers.sections.filled_cells` equals ``DataFrame.notna()`` for every kind of
column a reader gives; :func:`~kpicli.readers.sections.cut_table` hands back the mask of
the rows it kept (footer notes and other sections cut away), and reads the same with the
reader's mask as without it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.readers.headers import header_block
from kpicli.readers.sections import cut_table, filled_cells
from tests.hypothesis_budget import examples

_KINDS = ("object", "str", "float", "datetime")


def _column(kind: str, present: list[bool]) -> pd.Series:
    n = len(present)
    if kind == "object":  # a workbook's cells: mixed Python objects, None/NaN when empty
        cells = [("a", 1.5, dt.date(2024, 1, 2), True)[i % 4] for i in range(n)]
        gaps = [None, float("nan")]
        values = [
            v if p else gaps[i % 2] for i, (v, p) in enumerate(zip(cells, present, strict=True))
        ]
        return pd.Series(values, dtype=object)
    if kind == "str":  # a CSV's text column
        return pd.Series([f"t{i}" if p else None for i, p in enumerate(present)], dtype="str")
    if kind == "float":
        return pd.Series([float(i) if p else np.nan for i, p in enumerate(present)])
    stamps = pd.Series(pd.date_range("2024-01-01", periods=n, freq="D"))
    return stamps.where(pd.Series(present, dtype=bool))


@settings(max_examples=examples(60), deadline=None)
@given(
    kinds=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=6),
    rows=st.integers(0, 40),
    seed=st.integers(0, 2**16),
)
def test_filled_cells_is_notna_for_every_column_kind(
    kinds: list[str], rows: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {j: _column(kind, (rng.random(rows) < 0.7).tolist()) for j, kind in enumerate(kinds)}
    )
    got = filled_cells(frame)
    assert got.dtype == bool and got.shape == frame.shape
    np.testing.assert_array_equal(got, frame.notna().to_numpy())


def test_filled_cells_of_a_wide_frame() -> None:
    # Wider than tall: the whole-frame test, the same mask.
    frame = pd.DataFrame([[None if (i + j) % 3 == 0 else j for j in range(80)] for i in range(5)])
    np.testing.assert_array_equal(filled_cells(frame), frame.notna().to_numpy())


# Two stacked tables under one header, each with a title row, and a footer note below:
# the footer and the first table are cut away, the mask must follow.
_HEADER = ["Region", "2024", "2025"]
_CELLS = [
    ["North", 1.0, 2.0],
    ["South", 3.0, None],
    ["Women", None, None],
    ["Region", "2024", "2025"],
    ["North", 5.0, 6.0],
    [None, None, None],
    ["South", None, 8.0],
    [None, None, None],
    ["Source: statistics office", None, None],
]


def _cut(filled: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray, bool, np.ndarray, list]:
    top = [["All people", None, None], _HEADER]
    block = header_block(top, 1)
    data = pd.DataFrame(_CELLS, dtype=object)
    rows = 3 + np.arange(len(data), dtype=np.int64)
    notes: list[str] = []
    out = cut_table(
        data, rows, top, block, None, "t.xlsx", "row", notes, untitled=True, filled=filled
    )
    return (*out, notes)


def test_cut_table_hands_back_the_mask_of_the_rows_it_kept() -> None:
    data, rows, sectioned, filled, notes = _cut(None)
    assert sectioned
    assert rows.tolist() == [3, 4]  # the first table, 'All people': footer and section 2 cut
    assert any("under the table read as notes" in n for n in notes)
    np.testing.assert_array_equal(filled, data.notna().to_numpy())


def test_cut_table_reads_the_same_with_the_readers_mask() -> None:
    whole = pd.DataFrame(_CELLS, dtype=object)
    a, b = _cut(None), _cut(filled_cells(whole))
    pd.testing.assert_frame_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] == b[2] and a[4] == b[4]
    np.testing.assert_array_equal(a[3], b[3])
