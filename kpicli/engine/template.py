"""Plan the data-entry workbook of ``kpi template`` from a KPI file (pure; no I/O).

Contract:
* One row per series a person types: KPIs are grouped by the label the long/kpi_rows reader
  matches them by (``measure.column``, else the id), so two KPIs over the same column
  (monthly revenue and its year-to-date total) share one row. Formula KPIs are computed from
  their inputs, and KPIs that count or filter rows (``aggregate: count``/``nunique``, a
  ``where`` filter) need a records table, not a typed number: they get no row and are listed
  in :attr:`EntryPlan.skipped` with the reason.
* Periods: ``A..B`` (or one period, or a year) at the file's grain; by default every period
  of the fiscal year that contains ``today``.
* Validation bounds: the KPI's ``range: [min, max]`` when the model has one, else 0-100 for
  percentages and >= 0 for counts, else any number.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.aggregate import default_aggregate
from kpicli.errors import KpiError
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.template import EntryPlan, EntryRow, Skipped
from kpicli.model.units import never_negative

__all__ = ["MAX_PERIODS", "entry_periods", "plan_entry"]

MAX_PERIODS = 400  # columns; a weekly template over several years stays well inside Excel's


def entry_periods(
    text: str | None, grain: str, fiscal_year_start: int, today: dt.date
) -> tuple[list[str], str]:
    """Period labels for ``--periods`` (``2026-01..2026-12``, ``2026``, ``2026-Q3``) and why."""
    f = P.freq(grain, fiscal_year_start)
    if text is None or not text.strip():
        year = pd.Period(today, freq=P.freq("year", fiscal_year_start))
        first, last = year.asfreq(f, how="start"), year.asfreq(f, how="end")
        why = (
            f"the fiscal year of today ({today.isoformat()}) at the file's grain ({grain}); "
            "choose others with --periods A..B"
        )
    else:
        a, sep, b = text.partition("..")
        try:
            first = P.parse(a.strip(), grain, fiscal_year_start)
            last = P.parse((b if sep else a).strip(), grain, fiscal_year_start, end=True)
        except ValueError as exc:
            raise KpiError(f"--periods {text!r}: {exc}") from None
        if last < first:
            raise KpiError(f"--periods {text!r}: the end comes before the start")
        why = f"--periods {text.strip()}"
    n = int(last.ordinal - first.ordinal) + 1
    if n > MAX_PERIODS:
        raise KpiError(
            f"--periods covers {n} {grain}s; a data-entry sheet takes at most {MAX_PERIODS} "
            "columns: split it into several workbooks"
        )
    return [P.label(first + i, grain, fiscal_year_start) for i in range(n)], why


def _label(kpi: KPI) -> str:
    return kpi.data_column


def _skip_reason(kpi: KPI, model: KPIFile) -> str | None:
    if kpi.formula is not None:
        return f"computed by kpicli from its formula ({kpi.formula})"
    if kpi.measure is not None and kpi.measure.where:
        return (
            f"filters rows by other columns (where: {kpi.measure.where}); keep it in a records "
            "table"
        )
    how = default_aggregate(kpi, model)
    if how in ("count", "nunique"):
        return f"counts rows of a records table (aggregate: {how}); a typed number is not a row"
    return None


def _bounds(kpi: object) -> tuple[float | None, float | None]:
    # `range: [min, max]` may or may not exist in this version of the model: read it softly,
    # as a pair or as an object with min/max.
    given = getattr(kpi, "range", None)
    if given is not None:
        pair = (getattr(given, "min", None), getattr(given, "max", None))
        if pair == (None, None) and isinstance(given, list | tuple) and len(given) == 2:
            pair = (given[0], given[1])
        try:
            lo, hi = (None if x is None else float(x) for x in pair)
        except (TypeError, ValueError):
            lo = hi = None
        if lo is not None or hi is not None:
            return lo, hi
    if getattr(kpi, "is_percent", False):
        return 0.0, 100.0
    if never_negative(getattr(kpi, "unit", None)):
        return 0.0, None
    return None, None


def _targets(kpi: KPI, member: str | None, by: str | None) -> dict[str, object]:
    out: dict[str, object] = {}
    t = kpi.target
    if member is not None and by and kpi.targets_by and by in kpi.targets_by:
        value = kpi.targets_by[by].get(member)
        if value is not None:
            out["target"] = value
            out["target_note"] = f"targets_by.{by}" + (f" per {t.per}" if t and t.per else "")
            return out
    if t is None:
        return out
    out["due"] = t.due
    if t.value is not None:
        out["target"] = t.value
        if t.per:
            out["target_note"] = f"per {t.per}" + (f", tracked {kpi.accumulate}" if kpi.accumulate else "")
    elif t.is_band:
        out["target_min"], out["target_max"] = t.min, t.max
    elif t.change is not None:
        base = kpi.baseline.value if kpi.baseline else None
        out["target_note"] = f"change {t.change} from the baseline" + (
            f" {base:g}" if base is not None else ""
        )
    if t.schedule:
        out["target_note"] = "a target per period (schedule in the KPI file)"
    return out


def plan_entry(
    model: KPIFile,
    *,
    periods: str | None = None,
    by: str | None = None,
    members: list[str] | None = None,
    members_source: str | None = None,
    today: dt.date | None = None,
    kpi_file: str | None = None,
) -> EntryPlan:
    """The rows and columns of the data-entry workbook for ``model``."""
    today = today or dt.date.today()
    labels, why = entry_periods(periods, model.period, model.fiscal_year_start, today)
    plan = EntryPlan(
        title=model.title,
        grain=model.period,
        periods=labels,
        periods_source=why,
        by=by,
        members=list(members or []),
        members_source=members_source,
        kpi_file=kpi_file,
    )
    series: dict[str, list[KPI]] = {}
    for kpi in model.kpis:
        reason = _skip_reason(kpi, model)
        if reason is not None:
            plan.skipped.append(Skipped(kpi=kpi.id, reason=reason))
            continue
        series.setdefault(_label(kpi), []).append(kpi)
    if not series:
        raise KpiError(
            "no KPI of the file takes a typed number (all are formulas, counts or filtered "
            "rows); a data-entry template would be empty"
        )
    if by is not None and not plan.members:
        raise KpiError(f"no members of {by!r} are known: give --members A,B,C")
    for label, kpis in series.items():
        first = kpis[0]
        lo, hi = _bounds(first)
        for member in plan.members if by is not None else [None]:
            # Several KPIs over one series (monthly revenue, revenue year to date): show the
            # target of the first one that has one, named when it is not the row's first KPI.
            target: dict[str, object] = {}
            for k in kpis:
                target = _targets(k, member, by)
                if any(target.get(x) is not None for x in ("target", "target_min", "target_max",
                                                            "target_note")):
                    if k is not first:
                        note = target.get("target_note")
                        target["target_note"] = f"{k.id}" + (f", {note}" if note else "")
                    break
            plan.rows.append(
                EntryRow(
                    label=label,
                    kpis=[k.id for k in kpis],
                    name="; ".join(k.name for k in kpis),
                    member=member,
                    unit=first.unit,
                    owner=first.owner,
                    direction=first.direction,
                    valid_min=lo,
                    valid_max=hi,
                    **target,  # type: ignore[arg-type]
                )
            )
    return plan
