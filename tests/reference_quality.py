"""The data-quality checks as they were before they shared the table's codes.

Frozen copies of ``kpicli.engine.quality.table_findings`` / ``series_findings`` and
``kpicli.engine.coverage.data_end`` from before they read the distinct dates and the
out-of-range cells instead of every row, and positions instead of a pandas Series per KPI:
the oracle of tests/test_engine_reference.py (the engine must find exactly what this finds).
Never import it from kpicli.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.aggregate import OVERALL, Actuals
from kpicli.engine.codes import combined_ids
from kpicli.engine.quality import MAX_PLACES, OUTLIER_Z, _kpi_rows, _places
from kpicli.engine.rules.catalogue import finding
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import DATE, KPI, RESERVED, ROW, SRC, VALUE, Table
from kpicli.model.units import exact_number, never_negative


def table_findings(table: Table, model: KPIFile, today: dt.date) -> list[Finding]:
    """Row-level checks: duplicates (long layout), future periods, impossible values."""
    frame = table.frame
    findings: list[Finding] = []
    if not len(frame) or table.pushdown is not None:  # a database source: checked there
        return findings
    if table.layout == "long":
        dims = [c for c in frame.columns if c not in RESERVED and c != "_col"]
        # One pass: an id per KPI/date/dimensions entry, and how many rows share it.
        ids = combined_ids(table, [KPI, DATE, *dims])  # from the codes aggregation shares
        if ids is None:  # too many combinations to number in 63 bits: let pandas group them
            grouped = frame.groupby([KPI, DATE, *dims], dropna=False, observed=True, sort=False)
            ids = grouped.ngroup().to_numpy(dtype=np.int64)
        sizes = np.bincount(ids)
        dup = sizes[ids] > 1
        if dup.any():
            at = np.flatnonzero(dup)  # often most of a big export: no copy of those rows
            # Only the columns a place is made of: taking rows of every text column would
            # copy those columns whole (pyarrow joins their chunks first).
            rows = frame[[c for c in (SRC, ROW, "_col") if c in frame.columns]].iloc[
                at[:MAX_PLACES]
            ]
            n_groups = int((sizes > 1).sum())
            findings.append(
                finding(
                    "D602",
                    message=f"{n_groups} KPI/period{'/group' if dims else ''} entries appear more "
                    f"than once ({len(at)} rows); the duplicates are aggregated together — "
                    "remove the extra rows or add the column that tells them apart",
                    location=_places(table, rows, table.value_label, len(at)),
                    context={"duplicate_groups": n_groups, "duplicate_rows": len(at)},
                )
            )
    future = frame[DATE] > pd.Timestamp(today)
    if future.any():
        rows = frame[future]
        findings.append(
            finding(
                "D604",
                message=f"{int(future.sum())} rows are dated after today ({today.isoformat()}), "
                "up to " + rows[DATE].max().date().isoformat() + "; check the date column",
                location=_places(table, rows, table.date_label),
                context={
                    "future_rows": int(future.sum()),
                    "latest_date": rows[DATE].max().date().isoformat(),
                    "today": today.isoformat(),
                    "column": table.date_label,
                },
            )
        )
    kpi_rows = _kpi_rows(table, model)
    numeric: dict[str, np.ndarray] = {}
    for k in model.kpis:
        rows_and_col = kpi_rows.get(k.id) if k.formula is None else None
        if rows_and_col is None:
            continue
        mask, col = rows_and_col
        if col is None:
            continue
        agg = (k.measure.aggregate if k.measure else None) or ""
        if agg in ("count", "nunique"):
            continue  # the column's cells are counted, not read as values
        # Only a unit that makes a sign impossible (counts) or the KPI's own range says a
        # value is impossible: negative percentages (a change, an inflation rate) and
        # negative money are legitimate (SPEC §3 "Values").
        counts = never_negative(k.unit)
        if not counts and k.range is None:
            continue
        if col not in numeric:  # each column converted once, as a plain float array
            raw = frame[col]
            vals = (
                raw if pd.api.types.is_numeric_dtype(raw) else pd.to_numeric(raw, errors="coerce")
            )
            numeric[col] = vals.to_numpy(dtype="float64", na_value=np.nan)
        v = numeric[col]
        if k.range is not None:
            lo, hi = k.range
            out = np.zeros(len(v), bool)
            if lo is not None:
                out |= v < lo
            if hi is not None:
                out |= v > hi
            bad = mask.to_numpy(dtype=bool) & out
            shown = f"[{'' if lo is None else exact_number(lo)}, {'' if hi is None else exact_number(hi)}]"
            what = f"outside the KPI's range {shown}"
            fix = "fix them or widen the KPI's range"
            why: dict[str, object] = {"range": [lo, hi]}
        else:
            bad = mask.to_numpy(dtype=bool) & (v < 0)
            why = {"negative": True}
            what = "negative (a count)"
            fix = "fix them, or give the KPI a unit that allows negative values"
        if bad.any():
            rows = frame[bad]
            label = k.data_column
            findings.append(
                finding(
                    "D606",
                    kpi=k.id,
                    message=f"{len(rows)} value{'s' if len(rows) != 1 else ''} of {label!r} "
                    f"{'are' if len(rows) != 1 else 'is'} {what} (e.g. {exact_number(float(v[bad][0]))}); "
                    f"{fix}",
                    location=_places(table, rows, col if col != VALUE else table.value_label),
                    context={
                        "column": label, "cells": len(rows), "example": float(v[bad][0]), **why,
                    },
                )
            )
    return findings


def series_findings(
    actuals: Actuals, model: KPIFile, period: pd.Period, evaluated: set[str]
) -> list[Finding]:
    """Per-KPI series checks on the overall population: gaps, stale data, outliers."""
    g, fys = actuals.grain, actuals.fiscal_year_start
    findings: list[Finding] = []
    for k in model.kpis:
        if k.id in actuals.problems or k.id not in actuals.values.columns:
            continue
        s = actuals.series(k.id, OVERALL)
        s = s[s.index <= period]
        present = s.dropna()
        if present.empty:
            continue
        inner = s[(s.index >= present.index.min()) & (s.index <= present.index.max())]
        gaps = inner[inner.isna()]
        if len(gaps) and k.formula is None:
            labels = [P.label(q, g, fys) for q in gaps.index[:MAX_PLACES]]
            more = len(gaps) - len(labels)
            findings.append(
                finding(
                    "D603",
                    kpi=k.id,
                    message=f"{k.id}: no value for {', '.join(labels)}"
                    f"{f' and {more} more periods' if more > 0 else ''} (gap in the series); "
                    "add the missing data or check the dates",
                    location=k.id,
                    context={"missing_periods": len(gaps), "periods": labels},
                )
            )
        if k.id in evaluated and pd.isna(s.get(period)):
            findings.append(
                finding(
                    "D605",
                    kpi=k.id,
                    message=f"{k.id}: nothing for the report period {P.label(period, g, fys)}; the "
                    f"latest value is from {P.label(present.index.max(), g, fys)} (stale data)",
                    location=k.id,
                    context={
                        "period": P.label(period, g, fys),
                        "latest_period": P.label(present.index.max(), g, fys),
                    },
                )
            )
        if len(present) >= 6:
            v = present.to_numpy(dtype="float64")
            med = np.median(v)
            mad = np.median(np.abs(v - med))
            if mad > 0:
                # Values near the float limit overflow; such a z-score is still an outlier.
                with np.errstate(over="ignore", invalid="ignore"):
                    z = np.nan_to_num(0.6745 * (v - med) / mad, nan=0.0)
                for q, zq, val in zip(present.index, z, v, strict=True):
                    if abs(zq) > OUTLIER_Z:
                        findings.append(
                            finding(
                                "D611",
                                kpi=k.id,
                                message=f"{k.id}: {P.label(q, g, fys)} value {exact_number(float(val))} "
                                f"is an outlier "
                                f"(robust z-score {zq:.1f}); check it is not a data error",
                                location=f"{k.id}@{P.label(q, g, fys)}",
                                context={
                                    "period": P.label(q, g, fys),
                                    "value": float(val),
                                    "z_score": round(float(zq), 2),
                                },
                            )
                        )
    return findings



def data_end(table: Table, grain: str = "month", fiscal_year_start: int = 1) -> dt.date | None:
    """Last day the data covers (day or week data), or None for period-grain data.

    Day-level dates with exactly one date in every report period (monthly figures stamped
    on the 15th or on the last day) are period-grain too: one figure per period.
    """
    if table.native_grain not in ("day", "week") or DATE not in table.frame:
        return None
    last = table.frame[DATE].max()
    if last is None or pd.isna(last):
        return None
    if table.native_grain == "day":
        days = pd.DatetimeIndex(pd.unique(table.frame[DATE].dropna()))
        if len(days) >= 2:
            per = days.to_period(P.freq(grain, fiscal_year_start))
            if per.nunique() == len(days):
                return None
    end = pd.Timestamp(last).date()
    if table.native_grain == "week":
        end += dt.timedelta(days=6)  # a weekly figure covers its week
    return end


