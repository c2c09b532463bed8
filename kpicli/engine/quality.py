"""Data-quality findings on the measurement table and the aggregated series (D602–D615)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.aggregate import OVERALL, Actuals
from kpicli.engine.codes import codes as column_codes
from kpicli.engine.codes import combined_ids
from kpicli.engine.evaluate import Context, TargetAt, num, resolve_target
from kpicli.engine.rules.catalogue import finding
from kpicli.model.kpifile import KPIFile
from kpicli.model.labels import normalise_label
from kpicli.model.results import Finding
from kpicli.model.table import DATE, KPI, RESERVED, ROW, SRC, TARGET, VALUE, Table
from kpicli.model.units import exact_number, never_negative

MAX_PLACES = 5
OUTLIER_Z = 3.5


def _places(table: Table, rows: pd.DataFrame, column: str | None, total: int | None = None) -> str:
    """Up to five locations of ``rows`` and how many more there are (of ``total``, if given:
    then ``rows`` may hold just the first few)."""
    head = rows.head(MAX_PLACES)
    cols = head["_col"] if "_col" in head.columns else pd.Series(None, index=head.index)
    places = [
        table.location(int(src), int(row), column, col=c if isinstance(c, str) else None)
        for src, row, c in zip(head[SRC], head[ROW], cols, strict=True)
    ]
    more = (len(rows) if total is None else total) - len(places)
    return ", ".join(places) + (f" and {more} more" if more > 0 else "")


class _Rows:
    """One measured KPI's rows, as a boolean mask made only when it is read: most KPIs have
    no check that reads it, and a mask is a million entries on a million-row table."""

    __slots__ = ("_codes", "_hit", "_n")

    def __init__(self, n: int, hit: np.ndarray | None = None, codes: np.ndarray | None = None):
        self._n, self._hit, self._codes = n, hit, codes

    def to_numpy(self, dtype: type = bool) -> np.ndarray:
        if self._hit is None or self._codes is None:
            return np.ones(self._n, dtype=dtype)
        # take(): a gather by small integer codes, several times faster than indexing
        return self._hit.take(self._codes).astype(dtype, copy=False)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """Which of the row positions ``rows`` are the KPI's (the mask at those rows only)."""
        if self._hit is None or self._codes is None:
            return np.ones(len(rows), dtype=bool)
        return self._hit.take(self._codes.take(rows))


def _first_rows(flag: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` row positions whose id is flagged (``flag[ids]``), looking at the rows
    in growing chunks: the places of a finding are its first rows, usually near the top."""
    found: list[np.ndarray] = []
    got, start, step = 0, 0, 4096
    while got < k and start < len(ids):
        hit = np.flatnonzero(flag.take(ids[start : start + step])) + start
        found.append(hit[: k - got])
        got += len(found[-1])
        start += step
        step *= 4
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _kpi_rows(table: Table, model: KPIFile) -> dict[str, tuple[_Rows, str | None]]:
    """Per measured KPI: its rows (``.to_numpy()``: a boolean mask) and the column holding
    its values."""
    frame = table.frame
    n = len(frame)
    out: dict[str, tuple[_Rows, str | None]] = {}
    if table.layout == "long":
        # Each distinct label is normalised once, not once per row.
        codes, uniques = column_codes(table, KPI)  # shared with aggregation; missing: -1
        norm = [normalise_label(u) for u in uniques]
        for k in model.kpis:
            if k.formula is not None:
                continue
            wanted = k.labels
            # A last False for code -1: a row without a label belongs to no KPI.
            hit = np.array([u in wanted for u in norm] + [False], dtype=bool)
            out[k.id] = (_Rows(n, hit, codes), VALUE)
    else:
        for k in model.kpis:
            col = k.data_column
            if k.formula is None and col in frame.columns:
                out[k.id] = (_Rows(n), col)
    return out


def _future_rows(table: Table, today: dt.date) -> np.ndarray | None:
    """Rows dated after ``today`` as a mask, or None when there are none: the distinct dates
    are compared (the column's codes, shared with aggregation), not every row."""
    dates, uniques = column_codes(table, DATE)
    after = np.asarray(pd.DatetimeIndex(uniques) > pd.Timestamp(today), dtype=bool)
    if not after.any():
        return None
    return np.append(after, False).take(dates)  # a last False for code -1 (no date)


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
        shared = sizes > 1
        n_groups = int(np.count_nonzero(shared))
        if n_groups:
            # How many rows share an entry, counted from the entries (every row but those
            # alone in theirs); the rows themselves are looked up only for the first few
            # places (often most of a big export repeats).
            n_rows = len(ids) - int(np.count_nonzero(sizes == 1))
            at = _first_rows(shared, ids, MAX_PLACES)
            # Only the cells a place is made of: taking rows of every text column would copy
            # those columns whole (pyarrow joins their chunks first), and so would selecting
            # the columns before the rows.
            rows = pd.DataFrame(
                {c: frame[c].iloc[at] for c in (SRC, ROW, "_col") if c in frame.columns}
            )
            findings.append(
                finding(
                    "D602",
                    message=f"{n_groups} KPI/period{'/group' if dims else ''} entries appear more "
                    f"than once ({n_rows} rows); the duplicates are aggregated together — "
                    "remove the extra rows or add the column that tells them apart",
                    location=_places(table, rows, table.value_label, n_rows),
                    context={"duplicate_groups": n_groups, "duplicate_rows": n_rows},
                )
            )
    future = _future_rows(table, today)
    if future is not None:
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
    outside: dict[tuple[object, ...], np.ndarray] = {}
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
            check: tuple[object, ...] = (col, lo, hi)
            shown = f"[{'' if lo is None else exact_number(lo)}, {'' if hi is None else exact_number(hi)}]"
            what = f"outside the KPI's range {shown}"
            fix = "fix them or widen the KPI's range"
            why: dict[str, object] = {"range": [lo, hi]}
        else:
            lo, hi = 0.0, None
            check = (col, "negative")
            why = {"negative": True}
            what = "negative (a count)"
            fix = "fix them, or give the KPI a unit that allows negative values"
        if check not in outside:
            # The cells outside the bounds, whichever KPI they belong to: one comparison per
            # column and bounds, shared by the KPIs that have the same (counts: >= 0).
            out = np.zeros(len(v), bool)
            if lo is not None:
                out |= v < lo
            if hi is not None:
                out |= v > hi
            outside[check] = np.flatnonzero(out)
        cand = outside[check]
        bad = cand[mask.at(cand)] if len(cand) else cand
        if len(bad):
            rows = frame.iloc[bad[:MAX_PLACES]]
            label = k.data_column
            cells = len(bad)
            example = float(v[bad[0]])
            findings.append(
                finding(
                    "D606",
                    kpi=k.id,
                    message=f"{cells} value{'s' if cells != 1 else ''} of {label!r} "
                    f"{'are' if cells != 1 else 'is'} {what} (e.g. {exact_number(example)}); "
                    f"{fix}",
                    location=_places(
                        table, rows, col if col != VALUE else table.value_label, cells
                    ),
                    context={"column": label, "cells": cells, "example": example, **why},
                )
            )
    return findings


def series_findings(
    actuals: Actuals, model: KPIFile, period: pd.Period, evaluated: set[str]
) -> list[Finding]:
    """Per-KPI series checks on the overall population: gaps, stale data, outliers.

    Each KPI's series is a row of plain floats over the data's periods (consecutive, in
    order), cut after the report period: positions, not a pandas Series per KPI.
    """
    g, fys = actuals.grain, actuals.fiscal_year_start
    findings: list[Finding] = []
    periods = actuals.periods
    ords = periods.asi8
    # The periods up to and including the report period; ``here``: its position, if any.
    end = int(np.searchsorted(ords, period.ordinal, side="right"))
    here = end - 1 if end and ords[end - 1] == period.ordinal else -1
    lab = lambda i: P.label(periods[int(i)], g, fys)  # noqa: E731
    for k in model.kpis:
        if k.id in actuals.problems or k.id not in actuals.values.columns:
            continue
        s = actuals.matrix(k.id, [OVERALL])[0, :end]
        filled = np.flatnonzero(~np.isnan(s))
        if not len(filled):
            continue
        first, last = int(filled[0]), int(filled[-1])
        gaps = np.flatnonzero(np.isnan(s[first : last + 1])) + first
        if len(gaps) and k.formula is None:
            labels = [lab(i) for i in gaps[:MAX_PLACES]]
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
        if k.id in evaluated and (here < 0 or np.isnan(s[here])):
            findings.append(
                finding(
                    "D605",
                    kpi=k.id,
                    message=f"{k.id}: nothing for the report period {P.label(period, g, fys)}; the "
                    f"latest value is from {lab(last)} (stale data)",
                    location=k.id,
                    context={
                        "period": P.label(period, g, fys),
                        "latest_period": lab(last),
                    },
                )
            )
        if len(filled) >= 6:
            v = s[filled]
            med = np.median(v)
            mad = np.median(np.abs(v - med))
            if mad > 0:
                # Values near the float limit overflow; such a z-score is still an outlier.
                with np.errstate(over="ignore", invalid="ignore"):
                    z = np.nan_to_num(0.6745 * (v - med) / mad, nan=0.0)
                for i in np.flatnonzero(np.abs(z) > OUTLIER_Z):
                    zq, val, q = z[i], v[i], lab(filled[i])
                    findings.append(
                        finding(
                            "D611",
                            kpi=k.id,
                            message=f"{k.id}: {q} value {exact_number(float(val))} "
                            f"is an outlier "
                            f"(robust z-score {zq:.1f}); check it is not a data error",
                            location=f"{k.id}@{q}",
                            context={
                                "period": q,
                                "value": float(val),
                                "z_score": round(float(zq), 2),
                            },
                        )
                    )
    return findings


def _yaml_target_text(t: TargetAt) -> str:
    if t.is_band:
        if t.low is not None and t.high is not None:
            return f"the band {num(t.low)} to {num(t.high)}"
        return f"min {num(t.low)}" if t.low is not None else f"max {num(t.high)}"
    return num(t.value)


def target_column_findings(table: Table, model: KPIFile) -> list[Finding]:
    """D615: a target column detected in the data that disagrees with the kpis.yaml target.

    kpis.yaml's target wins over a target column the reader only detected by its header
    (SPEC §2); the column's values are then not used, so a value that differs from the YAML
    target in its period is named, cell by cell. A column named with ``data.target_column``
    is the user's choice and is not checked. Accumulating KPIs compare the per-period share
    of a ``value`` target (the column holds per-period amounts).
    """
    frame = table.frame
    if TARGET not in frame.columns or (model.data is not None and model.data.target_column):
        return []
    tvals = frame[TARGET].to_numpy(dtype="float64", na_value=np.nan)
    has = ~np.isnan(tvals)
    if not has.any():
        return []
    g, fys = model.period, model.fiscal_year_start
    kpi_rows = _kpi_rows(table, model)
    findings: list[Finding] = []
    for k in model.kpis:
        tgt = k.target
        if tgt is None or k.id not in kpi_rows:
            continue
        if k.accumulate and (tgt.schedule or tgt.change is not None):
            continue  # cumulative YAML values against per-period cells: no like-for-like
        at = np.flatnonzero(kpi_rows[k.id][0].to_numpy(dtype=bool) & has)
        if not len(at):
            continue
        periods = pd.PeriodIndex(frame[DATE].iloc[at].dt.to_period(P.freq(g, fys)))
        codes, uniques = pd.factorize(periods)
        base = k.baseline.value if k.baseline is not None else None
        bad = np.zeros(len(at), dtype=bool)
        wanted: dict[int, str] = {}
        for j, q in enumerate(uniques):  # one resolution per period, not per row
            t = resolve_target(k, q, Context(period=q, grain=g, fiscal_year_start=fys), base, None)
            v = tvals[at[codes == j]]
            if t.is_band:
                # A cell agrees with a band when it repeats one of its bounds.
                ok = np.zeros(len(v), dtype=bool)
                for bound in (t.low, t.high):
                    if bound is not None:
                        ok |= np.isclose(v, bound, rtol=1e-9, atol=1e-9)
            elif t.value is not None:
                level = t.value
                if k.accumulate and tgt.value is not None:
                    per = tgt.per or ("year" if k.accumulate == "ytd" else "quarter")
                    level = tgt.value / P.span_length(g, per)
                ok = np.isclose(v, level, rtol=1e-9, atol=1e-9)
            elif tgt.schedule:
                ok = np.zeros(len(v), dtype=bool)  # no YAML target here: the cell is unused
            else:
                continue  # e.g. a change target without a baseline value: nothing to compare
            bad[codes == j] = ~ok
            wanted[j] = _yaml_target_text(t) if (t.value is not None or t.is_band) else "none"
        if not bad.any():
            continue
        first = int(np.flatnonzero(bad)[0])
        rows = frame.iloc[at[bad]]
        places = [
            table.location(int(src), int(row), table.target_label)
            for src, row in zip(rows[SRC].head(MAX_PLACES), rows[ROW].head(MAX_PLACES), strict=True)
        ]
        more = len(rows) - len(places)
        where = ", ".join(places) + (f" and {more} more" if more > 0 else "")
        q = uniques[codes[first]]
        findings.append(
            finding(
                "D615",
                kpi=k.id,
                message=f"{k.id}: the target column {table.target_label or 'Target'!r} found in "
                f"the data disagrees with the target in kpis.yaml ({len(rows)} "
                f"cell{'s' if len(rows) != 1 else ''}, "
                f"e.g. {exact_number(float(tvals[at[first]]))} for "
                f"{P.label(q, g, fys)} where kpis.yaml says {wanted[int(codes[first])]}); "
                "kpis.yaml's target is used. Make the column agree, delete it, or name it with "
                "data.target_column to use its values",
                location=where,
                context={
                    "column": table.target_label,
                    "cells": len(rows),
                    "example": float(tvals[at[first]]),
                    "period": P.label(q, g, fys),
                    "kpis_yaml_target": wanted[int(codes[first])],
                },
            )
        )
    return findings
