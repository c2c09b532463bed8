"""The CSV read path's shortcuts give exactly what the full parse gives.

Each shortcut (a text column recognised from its distinct values, ...) is compared with the
path it stands in for, on generated columns with odd cells (currency codes, suffixes,
markers, letters that no number has) and on hand-picked cases.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.readers import numbers
from kpicli.readers.layout.vocabulary import NUMERIC_SHARE
from tests.hypothesis_budget import examples

# Pieces of cells: numbers, signs, separators, currency, suffixes, markers and words.
_PIECES = [
    "1", "25", "0.5", "1,250", "1.234,5", "-", "+", "(", ")", "%", " ", "€", "$", "EUR",
    "usd", "k", "M", "bn", "e3", "n/a", "Team", "Q", "x", "/", ":", "'", "_", "\u00a0",
    "\u2212", "ſEK", "K", "",
]


def _full_parse(
    col: pd.Series, share: float, decimal: str | None, hint: str
) -> tuple[numbers.Numbers | None, numbers.Factorized | None]:
    with mock.patch.object(numbers, "_surely_text", return_value=False):
        return numbers.numbers_if(col, share, decimal, hint)


def _same(a: numbers.Numbers | None, b: numbers.Numbers | None) -> None:
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    np.testing.assert_array_equal(a.values, b.values)
    for name in ("bad", "empty", "text_percent", "typed"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.decimal == b.decimal


@settings(max_examples=examples(300), deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4).map("".join),
        ),
        min_size=1,
        max_size=40,
    ),
    share=st.sampled_from([NUMERIC_SHARE, 0.5, 0.01, 1.0]),
    decimal=st.sampled_from([None, ",", "."]),
    hint=st.sampled_from([".", ","]),
)
def test_a_text_column_recognised_from_its_distinct_values_reads_as_the_full_parse(
    cells: list[str | None], share: float, decimal: str | None, hint: str
) -> None:
    col = pd.Series(cells, dtype="str")
    got, made = numbers.numbers_if(col, share, decimal, hint)
    want, _ = _full_parse(col, share, decimal, hint)
    _same(got, want)
    if made is not None:  # the factorisation handed on is the column's own
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        np.testing.assert_array_equal(made.codes, codes)
        assert list(made.uniques) == list(uniques)


@pytest.mark.parametrize(
    "cells",
    [
        ["Team 01", "Team 02", "Team 01"],  # a text dimension: no number parse needed
        ["EUR 1.200", "usd 3", "12 bn", "1e3"],  # letters that numbers have
        ["3M", "2 mn", "1.2k", "5 B"],
        ["Team 1", "2", "3", "4", "5", "6", "7", "8", "9"],  # mostly numbers: parsed
        ["n/a", "-", "", None],  # only markers: an empty column counts as numbers
        ["1:30", "2/3", "x"],
    ],
)
def test_explicit_columns_read_as_the_full_parse(cells: list[str | None]) -> None:
    col = pd.Series(cells, dtype="str")
    for share in (NUMERIC_SHARE, 0.1):
        _same(numbers.numbers_if(col, share)[0], _full_parse(col, share, None, ".")[0])


def test_a_team_column_skips_the_number_parse() -> None:
    col = pd.Series([f"Team {i % 25:02d}" for i in range(1000)], dtype="str")
    with mock.patch.object(numbers, "_text_numbers", side_effect=AssertionError("parsed")):
        got, made = numbers.numbers_if(col, NUMERIC_SHARE)
    assert got is None and made is not None and len(made.uniques) == 25
