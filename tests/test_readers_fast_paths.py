"""The CSV read path's shortcuts give exactly what the full parse gives.

Each shortcut (a text column recognised from its distinct values, an ISO date column read
as dates by the parser, physical line numbers worked out only when a location needs one)
is compared with the path it stands in for, on generated columns
with odd cells (currency codes, suffixes, markers, letters no number has, impossible or
blank dates, quoted line breaks, blank lines) and on hand-picked cases.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.engine.report import build_report
from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.readers import delimited, numbers
from kpicli.readers.files import read_data
from kpicli.readers.layout.vocabulary import NUMERIC_SHARE
from tests.helpers import write_csv
from tests.hypothesis_budget import examples

# Pieces of cells: numbers, signs, separators, currency, suffixes, markers and words.
_PIECES = [
    "1",
    "25",
    "0.5",
    "1,250",
    "1.234,5",
    "-",
    "+",
    "(",
    ")",
    "%",
    " ",
    "€",
    "$",
    "EUR",
    "usd",
    "k",
    "M",
    "bn",
    "e3",
    "n/a",
    "Team",
    "Q",
    "x",
    "/",
    ":",
    "'",
    "_",
    "\u00a0",
    "\u2212",
    "ſEK",
    "K",
    "",
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


# ------------------------------------------------ ISO date and plain number columns typed


def _read_both(path: Path, spec: DataSpec | None) -> tuple[object, object, set[str]]:
    """The table read with ISO date and plain number columns typed by the parser and read
    as text; and the kinds of column the typed read (when used) read typed."""
    used: set[str] = set()
    real = delimited._read_typed

    def spy(*args: object, **kwargs: object) -> tuple[pd.DataFrame, object] | None:
        got = real(*args, **kwargs)  # type: ignore[arg-type]
        if got is not None:
            used.update(args[4].values())  # type: ignore[attr-defined]
        return got

    with mock.patch.object(delimited, "_read_typed", spy):
        typed = _outcome(path, spec)
    with mock.patch.object(delimited, "_typed_columns", return_value={}):
        text = _outcome(path, spec)
    return typed, text, used


def _outcome(path: Path, spec: DataSpec | None) -> object:
    """Everything a read hands on: the frame, findings, notes, sources and codes, or the
    error message."""
    try:
        table = read_data([path], spec)
    except DataError as exc:
        return ("error", str(exc))
    # (the frame column it was made from, codes, distinct values): kpicli.engine.codes
    codes = {
        k: (np.asarray(v[1]).tolist(), [str(x) for x in v[2]])
        for k, v in table.column_codes.items()
    }
    return (
        {c: [None if pd.isna(x) else x for x in table.frame[c].tolist()] for c in table.frame},
        [str(c) for c in table.frame.dtypes],
        [f.model_dump() for f in table.findings],
        table.notes,
        [s.model_dump() if hasattr(s, "model_dump") else repr(s) for s in table.sources],
        table.native_grain,
        codes,
    )


def _same_read(path: Path, spec: DataSpec | None) -> set[str]:
    """The kinds of column read typed; asserts the read is the same as the text read."""
    typed, text, used = _read_both(path, spec)
    assert typed == text
    return used


_LONG = DataSpec(layout="long", kpi_column="kpi", value_column="value", date_column="date")

_DATE_CELLS = [
    "2026-01-31",
    "2026-02-01",
    "2026-03-01",
    "2025-12-31",
    "2026-02-30",
    " 2026-03-02",
    "2026-3-2",
    "",
    "n/a",
    "Total",
    "1650-01-01",
    "2300-01-01",
    "2026-01-05 10:00",
    "20260105",
]
_TEXT_CELLS = ["Team 01", "Team 02", "", '"a, b"', '"two\nlines"', "12", "x"]
_VALUE_CELLS = [
    *("1", "2.5", "", "n/a", "1,250", "abc", "-3", "1e3", "inf", "nan", " 5", "+5", "5."),
    *("-0", "007"),
]


@settings(max_examples=examples(60), deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(_DATE_CELLS[:4]) | st.sampled_from(_DATE_CELLS),
            st.sampled_from(_TEXT_CELLS),
            st.sampled_from(["kpi_a", "kpi_b", ""]),
            st.sampled_from(["1", "2.5", "-3"]) | st.sampled_from(_VALUE_CELLS),
        ),
        min_size=1,
        max_size=30,
    ),
    blank_lines=st.lists(st.integers(0, 30), max_size=3),
    spec=st.sampled_from([None, _LONG]),
)
def test_a_date_column_typed_by_the_parser_reads_as_its_text(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str, str]],
    blank_lines: list[int],
    spec: DataSpec | None,
) -> None:
    lines = [",".join(r) for r in rows]
    for at in sorted(blank_lines, reverse=True):
        lines.insert(min(at, len(lines)), "")
    path = write_csv(
        tmp_path_factory.mktemp("typed"),
        "date,team,kpi,value\n" + "\n".join(lines) + "\n",
    )
    _same_read(path, spec)


def test_a_clean_date_column_is_typed_and_reads_the_same(tmp_path: Path) -> None:
    rows = [f"2026-0{1 + i % 9}-1{i % 10},Team {i % 3},kpi_{i % 2},{i}.5" for i in range(60)]
    rows[7] = '2026-02-03,"Team\nwith a line break",kpi_1,oops'  # D601 cites line 9
    path = write_csv(
        tmp_path,
        "date,team,kpi,value\n" + "\n".join(rows) + "\n\n",
    )
    assert "date" in _same_read(path, _LONG)
    assert "date" in _same_read(path, None)
    table = read_data([path], _LONG)
    (bad,) = [f for f in table.findings if f.rule == "D601"]
    assert bad.location == f"{path}:9"


@pytest.mark.parametrize(
    ("cells", "spec", "typed"),
    [
        (["2026-01-31", "2026-02-28"], _LONG, True),
        (["2026-01-31", ""], _LONG, False),  # a blank date: the finding quotes the cell
        (["2026-01-31", "2026-02-30"], _LONG, False),  # not a date
        (["2026-01-31", "1650-01-01"], _LONG, False),  # beyond the years kept exactly
        (["2026-01-03", "2026-02-04"], DataSpec(date_format="%Y-%d-%m"), False),
        (["2026-01-03", "2026-02-04"], DataSpec(dayfirst=True), False),
    ],
)
def test_when_a_date_column_is_typed(
    tmp_path: Path, cells: list[str], spec: DataSpec, typed: bool
) -> None:
    rows = [f"{d},Team 1,kpi_a,{i}" for i, d in enumerate(cells * 20)]
    path = write_csv(
        tmp_path,
        "date,team,kpi,value\n" + "\n".join(rows) + "\n",
    )
    assert ("date" in _same_read(path, spec)) is typed


def test_semicolon_files_with_decimal_commas_read_the_same(tmp_path: Path) -> None:
    rows = [f"2026-01-{1 + i % 28:02d};Team {i % 3};kpi_a;1.234,{i % 10}" for i in range(40)]
    path = write_csv(
        tmp_path,
        "date;team;kpi;value\n" + "\n".join(rows) + "\n",
    )
    assert _same_read(path, None)
    assert read_data([path]).frame["_value"].iloc[0] == 1234.0


def test_a_year_by_month_grid_is_read_as_text(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Year,Jan,Feb,Mar,Apr\n2024-01-01,1,2,3,4\n2025-01-01,5,6,7,8\n",
        "grid.csv",
    )
    assert not _same_read(path, None)  # not even the dates


@pytest.mark.parametrize(
    "odd", ["", "2026-02-30", "1650-01-01", "Total", "n/a", " 2026-01-01", "2026-01-01 10:00"]
)
def test_an_odd_date_after_the_sample_reads_as_its_text(tmp_path: Path, odd: str) -> None:
    rows = [f"2026-01-{1 + i % 28:02d},Team {i % 3},kpi_a,{i}" for i in range(600)]
    rows.insert(550, f"{odd},Team 1,kpi_a,5")  # beyond the rows that chose the column's type
    path = write_csv(
        tmp_path,
        "date,team,kpi,value\n" + "\n".join(rows) + "\n",
    )
    _same_read(path, _LONG)
    _same_read(path, None)


# ------------------------------------------------------ line numbers worked out on demand


def test_engine_findings_name_physical_lines_worked_out_on_demand(tmp_path: Path) -> None:
    # The second record spans lines 3-4 and line 6 is blank: the duplicate entry on
    # physical lines 7 and 8 is records 5 and 6.
    path = write_csv(
        tmp_path,
        "month,kpi,value,note\n"
        "2026-08,Revenue,1,a\n"
        '2026-09,Revenue,2,"two\nlines"\n'
        "2026-10,Revenue,3,c\n"
        "\n"
        "2026-11,Revenue,4,x\n"
        "2026-11,Revenue,5,x\n",
    )
    model = KPIFile.model_validate(
        {
            "kpis": [{"id": "rev", "name": "Revenue", "target": 5}],
            "data": {"layout": "long", "kpi_column": "kpi", "value_column": "value"},
        }
    )
    table = read_data([path], model.data, model)
    (dup,) = [
        f
        for f in build_report(model, table, today=dt.date(2026, 11, 22)).findings
        if f.rule == "D602"
    ]
    assert dup.location == f"{path}:7 (column 'value'), {path}:8 (column 'value')"


def test_a_read_whose_findings_cite_no_row_never_scans_the_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "date,kpi,value\n" + "".join(f"2026-01-{d:02d},calls,{d}\n" for d in range(1, 29)),
    )
    with mock.patch.object(delimited, "_line_numbers", side_effect=AssertionError("scanned")):
        table = read_data([path], _LONG)
    assert not table.findings and len(table.frame) == 28


_LINE_PIECES = ["1,a", "2,b", '3,"x\ny"', '4,"q""q"', "", "  ", "5,c\r", "6,d\re", '7,"e']


@settings(max_examples=examples(150), deadline=None)
@given(
    lines=st.lists(st.sampled_from(_LINE_PIECES), min_size=1, max_size=12),
    last_newline=st.booleans(),
)
def test_a_line_asked_for_is_the_line_a_full_scan_gives(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], last_newline: bool
) -> None:
    path = tmp_path_factory.mktemp("lines") / "data.csv"
    path.write_bytes(("a,b\n" + "\n".join(lines) + ("\n" if last_newline else "")).encode())
    try:
        n = len(delimited._read_rest(path, "data.csv", ",", "utf-8", 1, 2))
    except DataError:
        return
    full = delimited._line_numbers(path, 1, n)
    for i in range(n):  # a fresh map per record: each answers from the least it can read
        assert delimited.LineMap(path, 1, n)(2 + i) == full[i]
    one = delimited.LineMap(path, 1, n)  # and one map asked about every record in turn
    assert [one(2 + i) for i in range(n)] == full.tolist()


@pytest.mark.parametrize(
    "odd", ["", "n/a", "abc", "inf", "NaN", "1e5", " 5", "+5", "5.", "1,250", "-0", "0x10"]
)
def test_an_odd_number_after_the_sample_reads_as_its_text(tmp_path: Path, odd: str) -> None:
    rows = [f"2026-01-{1 + i % 28:02d},Team {i % 3},kpi_a,{i}.25" for i in range(600)]
    rows.insert(550, f"2026-01-02,Team 1,kpi_a,{odd}")
    path = write_csv(tmp_path, "date,team,kpi,value\n" + "\n".join(rows) + "\n")
    _same_read(path, _LONG)
    _same_read(path, None)


@pytest.mark.parametrize(
    ("text", "spec", "typed"),
    [
        # A last row holding one number: footer detection reads its text ("-5" is a note).
        ("date,team,kpi,value\n{rows}\n,,,-5\n", None, False),
        ("date,team,kpi,value\n{rows}\n,,,5\n", None, False),
        # KPI codes written as numbers stay text: 1.50 is not 1.5.
        ("date,code,value\n{codes}\n", DataSpec(kpi_column="code", value_column="value"), True),
        ("date,kpi,value\n{codes}\n", None, True),
        # Periods across the header: a kpi_rows tracker, whose label columns are text.
        ("kpi,2026-01,2026-02\n" + "1.50,1,2\n" * 30, None, False),
        ("id,Jan,Feb,Mar,Apr\n" + "2024,1,2,3,4\n" * 30, None, False),  # a year grid
        ("date;team;kpi;value\n{semi}\n", None, False),  # ';' files: decimal commas
        # Numbers that read as periods (2026.01, 12.2026) may be the date column: text.
        ("p,kpi,value\n{periods}\n", None, True),
    ],
)
def test_when_number_columns_are_typed(
    tmp_path: Path, text: str, spec: DataSpec | None, typed: bool
) -> None:
    rows = "\n".join(f"2026-01-{1 + i % 28:02d},Team 1,kpi_a,{i}" for i in range(30))
    codes = "\n".join(f"2026-01-{1 + i % 28:02d},1.{i % 3}0,{i}" for i in range(30))
    semi = "\n".join(f"2026-01-{1 + i % 28:02d};Team 1;kpi_a;{i},5" for i in range(30))
    periods = "\n".join(f"2026.{1 + i % 12:02d},kpi_a,{i}" for i in range(30))
    path = write_csv(tmp_path, text.format(rows=rows, codes=codes, semi=semi, periods=periods))
    assert ("number" in _same_read(path, spec)) is typed


@settings(max_examples=examples(200), deadline=None)
@given(
    cells=st.lists(
        st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{1,5})?", fullmatch=True), min_size=1, max_size=20
    )
)
def test_plain_numbers_taken_for_dates_are_the_ones_the_reader_expects(cells: list[str]) -> None:
    """The typed read leaves a column as text when date detection could read its numbers as
    dates; delimited._dated says so without parsing them: whenever to_dates reads one of
    them as a date, it must (it may also say so of 0.0000, which is no month)."""
    got = numbers.to_dates(pd.Series(cells, dtype="str"))
    if (~got.bad & ~got.empty).any():
        assert delimited._dated(cells)


@pytest.mark.parametrize("cell", ["2026.01", "12.2026", "1.2026", "2026.1"])
def test_period_shaped_numbers_are_dates(cell: str) -> None:
    got = numbers.to_dates(pd.Series([cell], dtype="str"))
    assert delimited._dated([cell]) and not got.bad[0]


def test_typed_number_columns_reach_the_table_without_another_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A records file's measure columns: the reader makes each column's array once, and the
    # table holds that array (read-only), not a copy of it.
    rows = [f"2026-{1 + i % 12:02d}-01,{i}.5,{2 * i}" for i in range(40)]
    path = write_csv(tmp_path, "date,visits,orders\n" + "\n".join(rows) + "\n")
    made: list[np.ndarray] = []
    real = delimited._float_values

    def spy(col: object) -> np.ndarray:
        made.append(real(col))
        return made[-1]

    monkeypatch.setattr(delimited, "_float_values", spy)
    table = read_data([path], DataSpec(layout="records", date_column="date"))
    assert len(made) == 2
    for name, made_array in zip(("visits", "orders"), made, strict=True):
        values = table.frame[name].to_numpy()
        assert np.shares_memory(values, made_array)
        assert values.flags.writeable is False
    assert table.frame["visits"].tolist()[:3] == [0.5, 1.5, 2.5]
    assert table.frame["orders"].tolist()[-1] == 78.0


def test_a_table_frame_is_changed_through_a_copy(tmp_path: Path) -> None:
    # The contract of Table.frame: its number columns may be the reader's read-only arrays;
    # a copy of the frame is an ordinary pandas frame to change.
    path = write_csv(tmp_path, "date,visits\n2026-01-01,1.5\n2026-02-01,2.5\n")
    table = read_data([path], DataSpec(layout="records", date_column="date"))
    mine = table.frame.copy()
    mine.loc[mine["visits"] > 2, "visits"] = 0.0
    assert mine["visits"].tolist() == [1.5, 0.0]
    assert table.frame["visits"].tolist() == [1.5, 2.5]


def test_a_typed_read_with_empty_cells_makes_the_filled_mask_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The typed read's own check makes the mask; the reader hands that one on instead of a
    # second pass over the cells.
    rows = [f"2026-{1 + i % 12:02d}-01,{'' if i % 5 == 0 else f'{i}.5'},{i}" for i in range(40)]
    path = write_csv(tmp_path, "date,visits,orders\n" + "\n".join(rows) + "\n")
    calls: list[tuple[int, int]] = []
    real = delimited.filled_cells

    def counted(data: pd.DataFrame) -> np.ndarray:
        calls.append(data.shape)
        return real(data)

    monkeypatch.setattr(delimited, "filled_cells", counted)
    table = read_data([path], DataSpec(layout="records", date_column="date"))
    assert calls == [(40, 3)]
    assert int(table.frame["visits"].isna().sum()) == 8
