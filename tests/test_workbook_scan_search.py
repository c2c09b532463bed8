"""The quick byte searches of the workbook scan answer exactly as ``needle in data`` would.

The sheet XML is searched for formula elements, error cells and ISO date cells through a
rare byte of each needle (memchr); a needle found or missed wrongly would hide uncalculated
formulas or error values, or send a sheet down the wrong reader. Text columns read through
fastexcel become Python strings (None for empty cells) as python-calamine gives them.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.readers.sheet_xml import _RARE_TRIES
from kpicli.readers.sheet_xml import contains as _contains
from kpicli.readers.workbook import _cells_and_typed
from tests.hypothesis_budget import examples

NEEDLES = [(b"<f", 1), (b":f", 1), (b't="e"', 3), (b't="d"', 3)]


@settings(max_examples=examples(200))
@given(
    st.binary(max_size=400)
    | st.lists(st.sampled_from(list(b'<f:t="ed> ')), max_size=400).map(bytes)
)
def test_contains_is_substring_search(data: bytes) -> None:
    for needle, rare in NEEDLES:
        assert _contains(data, needle, rare) is (needle in data)


def test_contains_past_many_rare_bytes() -> None:
    # More decoys than are looked at one by one: the plain search must still find the needle.
    data = b"f" * (_RARE_TRIES * 3) + b'<c r="A1" t="e"><v>#N/A</v></c>' + b"<x:f>"
    assert _contains(data, b't="e"', 3)
    assert _contains(data, b":f", 1)
    assert not _contains(data, b't="d"', 3)
    assert not _contains(b"e" * (_RARE_TRIES * 3), b't="e"', 3)


def test_needle_at_the_very_start_and_end() -> None:
    assert _contains(b"<f>", b"<f", 1)
    assert _contains(b"ab<f", b"<f", 1)
    assert not _contains(b"f<", b"<f", 1)
    assert not _contains(b"", b't="d"', 3)


def test_text_cells_as_python_strings() -> None:
    column = pa.array(["north", None, "", "south", "north", "Nord"], type=pa.string())
    cells, _ = _cells_and_typed(column, "string")
    assert cells is not None
    assert cells.dtype == object
    assert cells.tolist() == ["north", None, None, "south", "north", "Nord"]
    assert all(type(v) is str for v in cells.tolist() if v is not None)


def test_large_text_cells_as_python_strings() -> None:
    column = pa.array(["a", "", None], type=pa.large_string())
    cells, _ = _cells_and_typed(column, "string")
    assert cells is not None
    assert cells.tolist() == ["a", None, None]
