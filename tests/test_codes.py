"""Column codes shared by aggregation and the quality checks: computed once per column of a
frame, fresh for a new frame, and grouping exactly as pandas' group-by does."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.engine import codes as C
from kpicli.model.table import Table
from tests.helpers import write_csv
from tests.hypothesis_budget import examples


def _table(frame: pd.DataFrame) -> Table:
    return Table(frame=frame, layout="long")


def test_each_column_is_factorised_once_per_frame(monkeypatch) -> None:
    calls: list[str] = []
    real = C.factorize

    def counting(values, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(values, "name", "?"))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(C, "factorize", counting)
    table = _table(pd.DataFrame({"_kpi": ["a", "b", "a"], "team": ["x", "x", None]}))
    first = C.codes(table, "_kpi")
    again = C.codes(table, "_kpi")
    assert first[0] is again[0]
    assert calls == ["_kpi"]
    assert list(first[0]) == [0, 1, 0] and list(first[1]) == ["a", "b"]
    assert list(C.codes(table, "team")[0]) == [0, 0, -1]  # missing is -1, as pandas says
    table.frame = table.frame.iloc[:2]  # a new frame: codes computed again for it
    assert list(C.codes(table, "_kpi")[0]) == [0, 1]
    assert calls == ["_kpi", "team", "_kpi"]


cells = st.one_of(st.none(), st.sampled_from(["a", "b", "c", " a"]))


def _same_as_pandas(values: object) -> None:
    got_codes, got_uniques = C.factorize(values)
    want_codes, want_uniques = pd.factorize(values, sort=False)
    assert np.array_equal(got_codes, want_codes)
    assert got_codes.dtype == C.code_type(len(want_uniques))
    assert type(got_uniques) is type(want_uniques)
    assert got_uniques.dtype == want_uniques.dtype
    assert list(got_uniques) == list(want_uniques)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.lists(st.one_of(cells, st.text(max_size=3)), max_size=6), max_size=5))
def test_factorize_is_pandas_own_on_chunked_text_columns(blocks: list[list]) -> None:
    # pyarrow text columns as the CSV reader makes them: several blocks, missing values,
    # blocks without any value; as a Series, an Index and an array.
    import pyarrow as pa

    text = pd.StringDtype("pyarrow", na_value=np.nan)
    chunked = pa.chunked_array([pa.array(b, pa.large_string()) for b in blocks],
                               type=pa.large_string())
    column = chunked.to_pandas(types_mapper=lambda _: text)
    assert column.dtype == text
    # (pyarrow's own encoding, not pandas' fallback, whenever there is something to encode)
    assert (C._arrow_text_codes(column) is None) == (len(column) == 0)
    for values in (column, pd.Index(column), column.array, column.astype(object)):
        _same_as_pandas(values)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-400, 400)), max_size=40))
def test_factorize_is_pandas_own_on_datetime_columns(days: list[int | None]) -> None:
    # Dates as the readers hand them over (datetime64[ns], NaT where none), including days
    # before 1970; as a Series, an Index and a numpy array.
    values = np.array(
        [np.datetime64("NaT") if d is None else np.datetime64("2026-01-01") + d for d in days],
        dtype="datetime64[ns]",
    )
    assert (C._arrow_datetime_codes(values) is None) == (len(values) == 0)
    for column in (values, pd.Series(values, name="_date"), pd.DatetimeIndex(values)):
        _same_as_pandas(column)


def test_factorize_codes_of_many_distinct_values_are_wider() -> None:
    values = pd.Series([f"v{i % 300}" for i in range(1000)] + [None], dtype="str")
    _same_as_pandas(values)
    assert C.factorize(values)[0].dtype == np.int16


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(cells, st.integers(0, 3), cells), min_size=1, max_size=40))
def test_combined_ids_partition_rows_like_groupby(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["_kpi", "_date", "team"])
    frame["_date"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["_date"], unit="D")
    frame.loc[frame.index % 7 == 3, "_date"] = pd.NaT
    ids = C.combined_ids(_table(frame), ["_kpi", "_date", "team"])
    assert ids is not None
    expected = (
        frame.groupby(["_kpi", "_date", "team"], dropna=False, observed=True, sort=False)
        .ngroup()
        .to_numpy()
    )
    # Same partition: rows share an id exactly when they share a group.
    assert np.array_equal(ids[:, None] == ids[None, :], expected[:, None] == expected[None, :])


# ------------------------------------------------------------------ codes made by the readers


def _exact(table: Table, column: str) -> None:
    """The codes a reader handed over are pandas' own factorisation of the column."""
    assert column in table.column_codes, f"{column}: not handed over by the reader"
    got_codes, got_uniques = C.codes(table, column)
    want_codes, want_uniques = pd.factorize(table.frame[column], sort=False)
    assert np.array_equal(got_codes, want_codes), column
    assert list(got_uniques) == list(want_uniques), column
    assert got_uniques.dtype == want_uniques.dtype, column


def test_readers_hand_over_exact_codes_of_text_and_date_columns(tmp_path) -> None:
    from kpicli.model.kpifile import DataSpec
    from kpicli.readers.files import read_data

    # Spellings of one value that read the same ("North", " North", "North "), empty cells,
    # two spellings of one day, and rows whose date cannot be read (dropped: D607).
    text = (
        "date,team,kpi,value\n"
        "2026-01-05,North,a,1\n"
        "05.01.2026, North,a,2\n"
        "2026-01-06,South ,b,3\n"
        "not a date,East,a,4\n"
        "2026-02-01,,b,5\n"
        "2026-02-01,North ,a,6\n"
        ",West,a,7\n"
        "2026-03-01,South,b,8\n"
    )
    path = write_csv(tmp_path, text)
    for layout in ("long", "records"):
        spec = DataSpec(layout=layout, date_column="date")
        if layout == "long":
            spec = DataSpec(layout="long", date_column="date", kpi_column="kpi", value_column="value")
        table = read_data([path], spec)
        assert len(table.frame) == 6  # the two rows without a readable date are skipped
        _exact(table, "_date")
        _exact(table, "team")
        if layout == "records":
            _exact(table, "kpi")
        assert list(C.codes(table, "team")[1]) == ["North", "South"]


def test_examples_codes_are_pandas_own() -> None:
    from pathlib import Path

    from kpicli.api import read_table
    from kpicli.definitions.load import load_kpi_file

    root = Path(__file__).resolve().parent.parent / "examples"
    for name, columns in (("sales", ["_date", "rep", "region"]), ("support", ["_date", "team"])):
        defs = load_kpi_file(root / name / "kpis.yaml")
        table = read_table(defs, None)
        for column in columns:
            _exact(table, column)


def test_codes_take_the_smallest_integer_type_that_holds_them() -> None:
    assert C.narrow(np.array([-1, 0, 126]), 127).dtype == np.int8
    assert C.narrow(np.array([-1, 127]), 128).dtype == np.int16
    assert C.narrow(np.array([-1, 40_000]), 40_001).dtype == np.int32
    table = _table(pd.DataFrame({"_kpi": ["a", "b", None, "a"]}))
    found, uniques = C.codes(table, "_kpi")
    assert found.dtype == np.int8 and list(found) == [0, 1, -1, 0]
    assert list(uniques) == ["a", "b"]


def test_text_column_hands_back_the_column_when_nothing_changes() -> None:
    from kpicli.readers.numbers import text_column, text_values

    clean = pd.Series(["North", "South", None, "North"], dtype="str")
    shown, made = text_column(clean)
    assert shown is clean  # no copy of a million-row column that needs no stripping
    assert list(made.codes) == [0, 1, -1, 0] and made.codes.dtype == np.int8
    spaced = pd.Series([" North", "South ", "  ", None, "North"], dtype="str")
    shown, made = text_column(spaced)
    assert shown.tolist() == text_values(spaced).tolist()
    want_codes, want_uniques = pd.factorize(text_values(spaced))
    assert list(made.codes) == list(want_codes) and list(made.uniques) == list(want_uniques)


_SPACES = [" ", "\t", "\u00a0", "\u2003", "\u3000", "\x1c", "\u200b", "\n"]


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(
    st.sampled_from(["North", "n/a", "7", "", *_SPACES]), max_size=3).map("".join)), max_size=12))
def test_text_column_reads_as_pandas_strips(cells: list[str | None]) -> None:
    # Decided on the distinct values (pyarrow's kernels, as the str dtype's methods run
    # them): the column comes back as it is only when stripping changes no cell.
    from kpicli.readers.numbers import text_column

    col = pd.Series(cells, dtype="str")
    shown, made = text_column(col)
    stripped = col.str.strip()
    want = stripped.where(stripped != "")
    assert shown.tolist() == want.tolist()
    assert (shown is col) == (want.tolist() == col.tolist())
    want_codes, want_uniques = pd.factorize(want)
    assert list(made.codes) == list(want_codes) and list(made.uniques) == list(want_uniques)


def test_combined_ids_count_duplicates_like_groupby_sizes() -> None:
    frame = pd.DataFrame(
        {
            "_kpi": ["a", "a", "b", "a", None, None],
            "_date": pd.to_datetime(["2026-01-01"] * 3 + ["2026-01-02", "2026-01-01", None]),
        }
    )
    ids = C.combined_ids(_table(frame), ["_kpi", "_date"])
    assert ids is not None
    sizes = np.bincount(ids)[ids]
    assert sizes.tolist() == [2, 2, 1, 1, 1, 1]
