"""Reporting grains as pandas Periods: frequencies, labels and parsing, with fiscal years."""

from __future__ import annotations

import functools
import re

import pandas as pd

from kpicli.model.values import parse_period_label

_MONTH_ABBR = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}
_FISCAL_Q = re.compile(r"^FY\s*(\d{4})[-/ ]?Q([1-4])$", re.I)


def freq(grain: str, fiscal_year_start: int = 1) -> str:
    """pandas frequency string for a grain; quarters and years end before the fiscal start."""
    end = _MONTH_ABBR[(fiscal_year_start - 2) % 12]
    return {"week": "W-SUN", "month": "M", "quarter": f"Q-{end}", "year": f"Y-{end}"}[grain]


# Pure, and called per KPI, member and history period with the same few dozen periods (a
# Period's year/month attributes are slow to read): memoise.
@functools.lru_cache(maxsize=8192)
def label(period: pd.Period, grain: str, fiscal_year_start: int = 1) -> str:
    """Human and JSON label: 2026-10, 2026-Q3 (FY2027-Q1 for fiscal years), 2026-W07, 2026."""
    if grain == "month":
        return f"{period.year:04d}-{period.month:02d}"
    if grain == "week":
        iso = period.start_time.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if grain == "quarter":
        if fiscal_year_start == 1:
            return f"{period.qyear:04d}-Q{period.quarter}"
        return f"FY{period.qyear:04d}-Q{period.quarter}"
    return f"{period.year:04d}" if fiscal_year_start == 1 else f"FY{period.year:04d}"


# Pure and called per KPI, group and history period with the same few labels: memoise.
@functools.lru_cache(maxsize=4096)
def parse(text: object, grain: str, fiscal_year_start: int = 1, *, end: bool = False) -> pd.Period:
    """A period written by a person, as a Period of the grain.

    A coarser label (``2026`` at month grain) maps to its first period, or its last with
    ``end=True`` (a due date of ``2026`` means by the end of 2026).
    """
    f = freq(grain, fiscal_year_start)
    if isinstance(text, pd.Period):
        return text.asfreq(f, how="end" if end else "start")
    if isinstance(text, str):
        m = _FISCAL_Q.match(text.strip())
        if m:
            q = pd.Period(f"{m.group(1)}Q{m.group(2)}", freq=freq("quarter", fiscal_year_start))
            return q.asfreq(f, how="end" if end else "start")
    kind, start = parse_period_label(text)
    if kind == "fiscal_quarter":  # FY2026 Q1: the month field holds the quarter number
        fq = pd.Period(f"{start.year}Q{start.month}", freq=freq("quarter", fiscal_year_start))
        return fq.asfreq(f, how="end" if end else "start")
    if kind == "fiscal_year":
        y = pd.Period(year=start.year, freq=freq("year", fiscal_year_start))
        return y.asfreq(f, how="end" if end else "start")
    if kind == "day":
        return pd.Period(start, freq=f)
    span = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC", "year": "Y-DEC"}[kind]
    coarse = pd.Period(start, freq=span)
    if end:
        return pd.Period(coarse.end_time.normalize(), freq=f)
    return pd.Period(coarse.start_time, freq=f)


def diff(a: pd.Period, b: pd.Period) -> int:
    """Number of periods from b to a."""
    return int(a.ordinal - b.ordinal)


def span_start(period: pd.Period, span: str, fiscal_year_start: int = 1) -> pd.Period:
    """First period of the fiscal year ("ytd") or quarter ("qtd") containing ``period``."""
    grain_freq = period.freqstr
    coarse = "year" if span == "ytd" else "quarter"
    container = period.asfreq(freq(coarse, fiscal_year_start), how="start")
    return container.asfreq(grain_freq, how="start")


def span_length(grain: str, span: str) -> int:
    """How many grain periods a year or quarter holds (weeks: 52 or 13)."""
    per_year = PERIODS_PER_YEAR[grain]
    if span in ("ytd", "year"):
        return per_year
    if span in ("qtd", "quarter"):
        return max(1, per_year // 4)
    if span == "month":
        return {"week": 4, "month": 1}.get(grain, 1)
    return 1
