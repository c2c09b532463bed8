"""Periods at every grain (kpicli.engine.periods): frequencies, labels, parsing, spans.

Hand-computed: calendar facts are in the comments (ISO weeks, fiscal years ending before
their start month). Table-driven, one row per case.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kpicli.engine import periods as P


@pytest.mark.parametrize(
    ("grain", "fys", "want"),
    [
        ("week", 1, "W-SUN"),
        ("month", 1, "M"),
        ("month", 4, "M"),
        ("quarter", 1, "Q-DEC"),
        ("year", 1, "Y-DEC"),
        ("quarter", 4, "Q-MAR"),  # a fiscal year from April ends in March
        ("year", 4, "Y-MAR"),
        ("year", 2, "Y-JAN"),
        ("quarter", 12, "Q-NOV"),
        ("year", 7, "Y-JUN"),
    ],
)
def test_freq(grain: str, fys: int, want: str) -> None:
    assert P.freq(grain, fys) == want


@pytest.mark.parametrize(
    ("period", "grain", "fys", "want"),
    [
        (pd.Period("2026-03", "M"), "month", 1, "2026-03"),
        (pd.Period("0999-12", "M"), "month", 1, "0999-12"),
        # The week of Wed 2026-02-11 starts Mon 2026-02-09: ISO week 7 of 2026 (week 1 starts
        # Mon 2025-12-29 because 1 Jan 2026 is a Thursday).
        (pd.Period("2026-02-11", "W-SUN"), "week", 1, "2026-W07"),
        # The week of Mon 2024-12-30 belongs to ISO year 2025.
        (pd.Period("2024-12-30", "W-SUN"), "week", 1, "2025-W01"),
        (pd.Period("2026-08", "Q-DEC"), "quarter", 1, "2026-Q3"),
        # April 2026 opens FY2027 (April to March): its first quarter
        (pd.Period("2026-04-15", "Q-MAR"), "quarter", 4, "FY2027-Q1"),
        (pd.Period("2026-03-15", "Q-MAR"), "quarter", 4, "FY2026-Q4"),
        (pd.Period("2026", "Y-DEC"), "year", 1, "2026"),
        (pd.Period("2026-04-01", "Y-MAR"), "year", 4, "FY2027"),
        (pd.Period("2026-03-31", "Y-MAR"), "year", 4, "FY2026"),
    ],
)
def test_label(period: pd.Period, grain: str, fys: int, want: str) -> None:
    assert P.label(period, grain, fys) == want


M = "M"


def per(text: str, freq: str) -> pd.Period:
    return pd.Period(text, freq=freq)


PARSE = [
    # (text, grain, fys, end, expected)
    ("2026-10", "month", 1, False, per("2026-10", M)),
    ("2026-10", "month", 1, True, per("2026-10", M)),
    ("Oct 2026", "month", 1, False, per("2026-10", M)),
    # a coarser label: its first period, or its last with end=True
    ("2026", "month", 1, False, per("2026-01", M)),
    ("2026", "month", 1, True, per("2026-12", M)),
    (2026, "quarter", 1, False, per("2026Q1", "Q-DEC")),
    (2026, "quarter", 1, True, per("2026Q4", "Q-DEC")),
    ("2026-Q3", "month", 1, False, per("2026-07", M)),
    ("2026-Q3", "month", 1, True, per("2026-09", M)),
    ("2026-Q3", "quarter", 1, False, per("2026Q3", "Q-DEC")),
    ("Q3 2026", "quarter", 1, True, per("2026Q3", "Q-DEC")),
    # FY2026 from April: April 2025 to March 2026
    ("FY2026", "month", 4, False, per("2025-04", M)),
    ("FY2026", "month", 4, True, per("2026-03", M)),
    ("FY2026", "year", 4, False, per("2026", "Y-MAR")),
    ("FY2026", "quarter", 4, True, per("2026Q4", "Q-MAR")),
    # FY2027-Q1 from April: April to June 2026
    ("FY2027-Q1", "month", 4, False, per("2026-04", M)),
    ("FY2027-Q1", "month", 4, True, per("2026-06", M)),
    ("FY2027 Q1", "quarter", 4, False, per("2027Q1", "Q-MAR")),
    ("fy2027q1", "quarter", 4, False, per("2027Q1", "Q-MAR")),
    ("FY2027/Q2", "month", 4, True, per("2026-09", M)),
    ("FY2026-Q1", "month", 1, False, per("2026-01", M)),
    # other fiscal-quarter spellings: Q2 of FY2027 from April is July to September 2026
    ("Q2 FY2027", "month", 4, False, per("2026-07", M)),
    ("Q2 FY2027", "month", 4, True, per("2026-09", M)),
    ("FY27 Q2", "quarter", 4, False, per("2027Q2", "Q-MAR")),
    # ISO week 7 of 2026: Mon 2026-02-09 to Sun 2026-02-15
    ("2026-W07", "week", 1, False, per("2026-02-09", "W-SUN")),
    ("2026-W07", "week", 1, True, per("2026-02-15", "W-SUN")),
    ("2026-W07", "month", 1, False, per("2026-02", M)),
    ("2026-W07", "month", 1, True, per("2026-02", M)),
    # ISO week 1 of 2026 starts in December 2025
    ("2026-W01", "month", 1, False, per("2025-12", M)),
    ("2026-W01", "month", 1, True, per("2026-01", M)),
    # a day: the period holding it, end or not
    ("2026-10-15", "month", 1, False, per("2026-10", M)),
    ("2026-10-15", "month", 1, True, per("2026-10", M)),
    ("2026-10-15", "quarter", 4, False, per("2027Q3", "Q-MAR")),
    ("2026-10-15", "week", 1, True, per("2026-10-12", "W-SUN")),
    # calendar 2026 at a fiscal-year grain: starts in FY2026, ends in FY2027
    ("2026", "year", 4, False, per("2026", "Y-MAR")),
    ("2026", "year", 4, True, per("2027", "Y-MAR")),
    # a month label at year grain
    ("2026-10", "year", 1, True, per("2026", "Y-DEC")),
    # Periods pass through asfreq
    (per("2026-10", M), "quarter", 1, False, per("2026Q4", "Q-DEC")),
    (per("2026Q4", "Q-DEC"), "month", 1, False, per("2026-10", M)),
    (per("2026Q4", "Q-DEC"), "month", 1, True, per("2026-12", M)),
]


@pytest.mark.parametrize(("text", "grain", "fys", "end", "want"), PARSE,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{'end' if c[3] else 'start'}" for c in PARSE])
def test_parse(text: object, grain: str, fys: int, end: bool, want: pd.Period) -> None:
    got = P.parse(text, grain, fys, end=end)
    assert got == want
    assert got.freqstr == want.freqstr


def test_parse_rejects_text_that_is_no_period() -> None:
    with pytest.raises(ValueError):
        P.parse("no period", "month")
    with pytest.raises(ValueError):
        P.parse("FY2026-Q5", "month")


def test_diff() -> None:
    assert P.diff(per("2026-03", M), per("2026-01", M)) == 2
    assert P.diff(per("2026-01", M), per("2026-03", M)) == -2
    assert P.diff(per("2026Q1", "Q-DEC"), per("2025Q3", "Q-DEC")) == 2
    assert P.diff(per("2026-10", M), per("2026-10", M)) == 0


SPAN_START = [
    (per("2026-08", M), "ytd", 1, per("2026-01", M)),
    (per("2026-08", M), "qtd", 1, per("2026-07", M)),
    (per("2026-07", M), "qtd", 1, per("2026-07", M)),
    (per("2026-01", M), "ytd", 1, per("2026-01", M)),
    (per("2026-12", M), "ytd", 1, per("2026-01", M)),
    (per("2026-08", M), "ytd", 4, per("2026-04", M)),
    (per("2026-03", M), "ytd", 4, per("2025-04", M)),  # the last month of FY2026
    (per("2026-04", M), "ytd", 4, per("2026-04", M)),  # the first month of FY2027
    (per("2026-03", M), "qtd", 4, per("2026-01", M)),
    (per("2026-01", M), "qtd", 2, per("2025-11", M)),  # quarters Nov-Jan from February
    (per("2026Q3", "Q-DEC"), "ytd", 1, per("2026Q1", "Q-DEC")),
    (per("2026Q3", "Q-DEC"), "qtd", 1, per("2026Q3", "Q-DEC")),
    # the first week of 2026 holds 1 January: Mon 2025-12-29 to Sun 2026-01-04
    (per("2026-02-11", "W-SUN"), "ytd", 1, per("2025-12-29", "W-SUN")),
]


@pytest.mark.parametrize(("p", "span", "fys", "want"), SPAN_START)
def test_span_start(p: pd.Period, span: str, fys: int, want: pd.Period) -> None:
    assert P.span_start(p, span, fys) == want


@pytest.mark.parametrize(
    ("grain", "span", "want"),
    [
        ("month", "ytd", 12), ("month", "year", 12), ("month", "qtd", 3),
        ("month", "quarter", 3), ("week", "ytd", 52), ("week", "qtd", 13),
        ("quarter", "ytd", 4), ("quarter", "qtd", 1), ("year", "ytd", 1), ("year", "qtd", 1),
        ("week", "month", 4), ("month", "month", 1), ("quarter", "month", 1),
        ("year", "month", 1), ("month", "week", 1),
    ],
)
def test_span_length(grain: str, span: str, want: int) -> None:
    assert P.span_length(grain, span) == want


def test_periods_per_year() -> None:
    assert P.PERIODS_PER_YEAR == {"week": 52, "month": 12, "quarter": 4, "year": 1}


def test_calendar_year_is_the_default() -> None:
    assert P.freq("quarter") == "Q-DEC"
    assert P.freq("year") == "Y-DEC"
    assert P.label(per("2026Q3", "Q-DEC"), "quarter") == "2026-Q3"
    assert P.label(per("2026", "Y-DEC"), "year") == "2026"
    assert P.parse("2026-Q3", "quarter") == per("2026Q3", "Q-DEC")
    assert P.parse("FY2026", "month") == per("2026-01", M)
    assert P.span_start(per("2026-08", M), "ytd") == per("2026-01", M)
    assert P.span_start(per("2026-08", M), "qtd") == per("2026-07", M)
