"""Which period is complete, and the grain check (SPEC §3 "Which period is reported", "Grain").

Contract:
* :func:`check_grain` raises KpiError when the report's grain is finer than the data's (a
  monthly report on yearly values would relabel a year as a month).
* :func:`data_end` is the last day the data covers, for day- and week-level data only; data
  in periods (labels such as ``2026-10``, or dates on the first of each period) is complete
  by definition and gives None.
* :func:`period_coverage` is the share of a period's days the data reaches (1.0 when
  complete); a period is in progress when that share is below 1.
* :func:`additive` says which KPIs are judged against a target pro-rated by coverage: those
  whose value grows with the days covered (sum and count), not levels such as a mean.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.codes import codes
from kpicli.errors import KpiError
from kpicli.model.kpifile import KPI
from kpicli.model.table import DATE, Table

GRAIN_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}
ADJECTIVE = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}


def check_grain(native: str | None, grain: str) -> None:
    """Refuse a report period finer than the data (exit 2, naming the data's grain)."""
    if native is None or native not in GRAIN_RANK or grain not in GRAIN_RANK:
        return
    if GRAIN_RANK[native] > GRAIN_RANK[grain]:
        raise KpiError(
            f"the data holds {ADJECTIVE[native]} values, but the KPI file reports by {grain} "
            f"(period: {grain}); a {native} cannot be split into {grain}s. Set period: {native} "
            "(or a coarser one) in the KPI file"
        )


def data_end(table: Table, grain: str = "month", fiscal_year_start: int = 1) -> dt.date | None:
    """Last day the data covers (day or week data), or None for period-grain data.

    Day-level dates with exactly one date in every report period (monthly figures stamped
    on the 15th or on the last day) are period-grain too: one figure per period.
    """
    if table.native_grain not in ("day", "week") or DATE not in table.frame:
        return None
    # The distinct dates (the column's codes, shared with aggregation), not every row.
    _, days = codes(table, DATE)
    days = pd.DatetimeIndex(days)
    last = days.max()
    if last is None or pd.isna(last):
        return None
    if table.native_grain == "day" and len(days) >= 2:
        per = days.to_period(P.freq(grain, fiscal_year_start))
        if per.nunique() == len(days):
            return None
    end = pd.Timestamp(last).date()
    if table.native_grain == "week":
        end += dt.timedelta(days=6)  # a weekly figure covers its week
    return end


def period_coverage(p: pd.Period, end: dt.date | None) -> float:
    """Share of ``p``'s days up to ``end`` (1.0 when ``end`` is None or past the period)."""
    if end is None:
        return 1.0
    first = p.start_time.date()
    last = p.end_time.date()
    if end >= last:
        return 1.0
    if end < first:
        return 0.0
    return ((end - first).days + 1) / ((last - first).days + 1)


def additive(kpi: KPI, aggregate: str) -> bool:
    """A KPI whose period value is a total of its days: its target is pro-rated by coverage."""
    return kpi.formula is None and aggregate in ("sum", "count")
