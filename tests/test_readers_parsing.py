"""Cell-level parsing used by the readers: numbers as text, dates and periods, header rows."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpicli.model.table import ROW
from kpicli.readers.files import read_data
from kpicli.readers.layout import find_header, scale_fractions
from kpicli.readers.numbers import refine_day_grain, to_dates, to_numbers


def nums(values: list[object], hint: str = ".", decimal: str | None = None) -> list[float]:
    got = to_numbers(pd.Series(values, dtype=object), decimal, hint).values
    return [None if np.isnan(v) else float(v) for v in got]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "hint", "expected"),
    [
        (["110,250", "12.5"], ".", [110250.0, 12.5]),
        (["1.234,5", "12,5"], ".", [1234.5, 12.5]),
        (["1.250", "2.500"], ",", [1250.0, 2500.0]),  # ambiguous: the file's convention
        (["1.250", "2.500"], ".", [1.25, 2.5]),
        ([" 85 % ", "7%"], ".", [85.0, 7.0]),
        (["€ 1.200,50", "1.200 €"], ".", [1200.5, 1200.0]),
        (["$1,200.50", "EUR 3", "USD -2.5"], ".", [1200.5, 3.0, -2.5]),
        (["(123)", "-4", "−5"], ".", [-123.0, -4.0, -5.0]),
        (["1.2k", "3M", "2bn"], ".", [1200.0, 3e6, 2e9]),
        (["1 234,5", "1'234.5", "1\u00a0234"], ".", [None, 1234.5, 1234.0]),
        (["n/a", "-", "", "NULL", "abc"], ".", [None, None, None, None, None]),
        ([0.25, True, None, 3], ".", [0.25, 1.0, None, 3.0]),
    ],
)
def test_numbers_written_as_text(values: list[object], hint: str, expected: list[object]) -> None:
    assert nums(values, hint) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("€1.234,50", 1234.5), ("$1,234.50", 1234.5), ("1 234,50 €", 1234.5), ("-£ 12", -12.0)],
)
def test_amounts_with_a_currency_sign(text: str, expected: float) -> None:
    assert nums([text]) == [expected]


def test_the_reader_strips_exactly_the_currency_signs_the_unit_vocabulary_knows() -> None:
    from kpicli.model.units import AMOUNT_CODES, SYMBOL_CODES

    signs = [*SYMBOL_CODES, *AMOUNT_CODES, *(c.lower() for c in AMOUNT_CODES)]
    assert nums([f"{s}12.50" for s in signs]) == [12.5] * len(signs)
    assert nums([f"12.50 {s}" for s in signs]) == [12.5] * len(signs)
    # Signs the vocabulary does not list stay text that is not a number.
    unknown = to_numbers(pd.Series(["₽12.50", "12.50 XYZ", "BTC 12.50"], dtype=object))
    assert unknown.bad.tolist() == [True, True, True]


def test_bad_and_empty_are_told_apart() -> None:
    n = to_numbers(pd.Series(["1", "n/a", "abc", None, dt.date(2026, 1, 1)], dtype=object))
    assert n.bad.tolist() == [False, False, True, False, True]
    assert n.empty.tolist() == [False, True, False, True, False]
    assert n.share == pytest.approx(1 / 3)


def test_decimal_named_in_the_spec_wins() -> None:
    assert nums(["1,250"], ".", decimal=",") == [1.25]
    assert nums(["1.250"], ",", decimal=".") == [1.25]


def test_text_columns_of_plain_numbers_take_the_fast_path() -> None:
    n = to_numbers(pd.Series(["1", "2.5", None, "1e3"], dtype="str"))
    assert n.values[[0, 1, 3]].tolist() == [1.0, 2.5, 1000.0]
    assert n.empty.tolist() == [False, False, True, False]


def test_fraction_rule() -> None:
    v = np.array([0.8, 0.9, np.nan])
    assert scale_fractions(v, np.ones(3, bool), None) and v[:2].tolist() == [80.0, 90.0]
    flags = np.array([0.0, 1.0, 1.0])
    assert scale_fractions(flags, np.ones(3, bool), None) and flags.tolist() == [0.0, 100.0, 100.0]
    ones = np.array([1.0, 1.0])
    assert not scale_fractions(ones, np.ones(2, bool), None)  # all 1: could be 1 %
    big = np.array([0.5, 85.0])
    assert not scale_fractions(big, np.ones(2, bool), None)
    declared = np.array([0.3, 0.4])
    assert not scale_fractions(declared, np.ones(2, bool), False)  # the KPI's targets are <= 1


def day(values: list[object], **kw: object) -> list[str | None]:
    d = to_dates(pd.Series(values, dtype=object), **kw)  # type: ignore[arg-type]
    return [None if np.isnat(x) else str(x)[:10] for x in d.values]


def test_periods_and_dates() -> None:
    assert day(
        ["2026-10", "Oct 2026", "Oct-26", "2026-Q3", "Q3 2026", "2026-W07", "2026-10-05T10:00"]
    ) == [
        "2026-10-01",
        "2026-10-01",
        "2026-10-01",
        "2026-07-01",
        "2026-07-01",
        "2026-02-09",
        "2026-10-05",
    ]
    assert day([dt.date(2026, 1, 31), dt.datetime(2026, 2, 1, 23, 59), "31.01.2026"]) == [
        "2026-01-31",
        "2026-02-01",
        "2026-01-31",
    ]


def test_serials_and_years_only_when_allowed() -> None:
    assert day([46023.0, 2026]) == [None, None]
    assert day([46023.0, 2026], serials=True, years=True) == ["2026-01-01", "2026-01-01"]
    assert day(["46023"], serials=True) == ["2026-01-01"]


def test_day_first_or_month_first_from_the_column() -> None:
    assert day(["05/10/2026", "25/10/2026"]) == ["2026-10-05", "2026-10-25"]
    assert day(["05/10/2026", "10/25/2026"]) == ["2026-05-10", "2026-10-25"]
    assert day(["05/10/2026"], dayfirst_hint=True) == ["2026-10-05"]


def test_grain_of_the_column() -> None:
    assert to_dates(pd.Series(["2026-01", "2026-02"])).grain == "month"
    assert to_dates(pd.Series(["2026-01-05", "2026-02"])).grain == "day"
    assert to_dates(pd.Series([dt.date(2026, 1, 1), dt.date(2026, 2, 1)], dtype=object)).grain == (
        "month"
    )
    d = np.array(["2026-01-01", "2026-04-01", "2026-07-01"], dtype="datetime64[ns]")
    assert refine_day_grain(d) == "quarter"
    d = np.array(["2025-01-01", "2026-01-01"], dtype="datetime64[ns]")
    assert refine_day_grain(d) == "year"
    d = np.array(["2026-01-05", "2026-01-12", "2026-01-19"], dtype="datetime64[ns]")
    assert refine_day_grain(d) == "week"
    d = np.array(["2026-01-05", "2026-01-19", "2026-02-02"], dtype="datetime64[ns]")
    assert refine_day_grain(d) == "day"


def test_header_detection_skips_titles_and_notes() -> None:
    rows: list[list[object]] = [
        ["Quarterly KPI review", None, None, None],
        ["Prepared by: Finance", "2026", None, None],
        [None, None, None, None],
        ["KPI", "Target", "Jan 2026", dt.date(2026, 2, 1)],
        ["Revenue", 100.0, 90.0, 95.0],
    ]
    assert find_header(rows) == 3
    assert find_header([["date", "value"], ["2026-01-01", "1"]]) == 0
    assert find_header([["only a title"], [None], ["a", "b", "c"], ["1", "2", "3"]]) == 2


def test_a_large_csv_is_read_quickly(tmp_path: Path) -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=n, freq="min").strftime("%Y-%m-%d %H:%M"),
            "team": rng.choice(["North", "South"], n),
            "amount": rng.random(n).round(2),
            "cost": [f"{x:,.2f}" for x in rng.random(n) * 5000],
        }
    )
    p = tmp_path / "big.csv"
    frame.to_csv(p, index=False)
    start = time.perf_counter()
    t = read_data([p])
    took = time.perf_counter() - start
    assert len(t.frame) == n
    assert t.frame[ROW].iloc[-1] == n + 1
    assert t.frame["cost"].dtype == "float64"
    assert t.frame["cost"].iloc[0] == float(frame["cost"].iloc[0].replace(",", ""))
    assert took < 5.0, took
