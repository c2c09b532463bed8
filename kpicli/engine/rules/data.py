"""Rules that look at the data (with --data, or data.path in the file): M201 with data, M203
the column exists, M204 it holds numbers, M205 the latest period has a value, A304 the pace
the target needs. M206 (the data cannot be read) is applied by kpicli.api.validate.

The values per period come from the engine's own aggregation (series_from_table), so
filters, aggregates and formulas are those of ``kpi report``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kpicli.engine.rules.catalogue import check, examples
from kpicli.engine.rules.context import (
    ROW_AGGREGATES,
    RuleContext,
    RuleHit,
    did_you_mean,
    effective_aggregate,
    fmt,
    kpi_path,
    level_target,
    period_span,
    target_field_path,
)
from kpicli.engine.rules.example import NPS, kpi_file, monthly
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.labels import normalise_label
from kpicli.model.units import format_number

if TYPE_CHECKING:
    import pandas as pd

    from kpicli.model.table import Table

def _data_labels(table: Table) -> list[str]:
    """Names a KPI can be found under: data columns (records) or KPI labels (long)."""
    from kpicli.model.table import KPI as KPI_COL

    if table.layout == "long":
        if KPI_COL not in table.frame.columns:
            return []
        return [str(x) for x in table.frame[KPI_COL].dropna().unique()]
    return [str(c) for c in table.data_columns]


def _norm_label(text: object) -> str:
    """How the aggregation matches KPI labels in a long table (model/labels.py)."""
    return normalise_label(text)


def unmatched_kpis(ctx: RuleContext) -> Iterator[RuleHit]:
    """M201 with data: a KPI with neither measure nor formula must match a column or label."""
    assert ctx.table is not None
    labels = _data_labels(ctx.table)
    long = ctx.table.layout == "long"
    normalised = {_norm_label(x) for x in labels}
    for i, kpi in ctx.kpis:
        if kpi.formula is not None or (kpi.measure is not None and kpi.measure.column):
            continue
        wanted = [kpi.id, kpi.name] if long else [kpi.id]
        if long and any(_norm_label(w) in normalised for w in wanted):
            continue
        if not long and kpi.id in labels:
            continue
        what = "KPI label" if long else "column"
        hint = did_you_mean(kpi.id, labels) or did_you_mean(kpi.name, labels)
        yield RuleHit(
            "M201", kpi_path(i),
            f"nothing to measure: KPI {kpi.id!r} has no measure or formula and the data has no "
            f"{what} {kpi.id!r}{hint}; add measure: {{column: ...}} naming the data, or a formula",
            kpi.id,
            context={("label" if long else "column"): kpi.data_column},
        )



# M206 is found by kpicli.api.validate when the file's own data.path cannot be read.
examples(
    "M206",
    bad=kpi_file(top="data: {path: survey.csv}\n"),
    good=kpi_file(data=monthly("csat", 78, 80, 81)),
)


@check(
    "M203",
    bad=kpi_file("measure: {column: csat_score}", data=monthly("csat", 78, 80, 81)),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81)),
)
def check_column_exists(ctx: RuleContext) -> Iterator[RuleHit]:
    assert ctx.table is not None
    labels = _data_labels(ctx.table)
    long = ctx.table.layout == "long"
    normalised = {_norm_label(x) for x in labels}
    shown = ", ".join(repr(x) for x in labels[:10]) + (" ..." if len(labels) > 10 else "")
    for i, kpi in ctx.kpis:
        if kpi.measure is None or not kpi.measure.column or kpi.formula is not None:
            continue
        col = kpi.measure.column
        if long:
            if any(_norm_label(w) in normalised for w in (col, kpi.id, kpi.name)):
                continue
        elif col in labels:
            continue
        hint = did_you_mean(col, labels) or (f"; the data has {shown}" if labels else "")
        what = "no KPI rows labelled" if long else "no column"
        yield RuleHit(
            "M203", kpi_path(i, "measure", "column"),
            f"the data has {what} {col!r}{hint}: fix measure.column (or the data header)",
            kpi.id,
            context={("label" if long else "column"): col},
        )


@check(
    "M204",
    bad=kpi_file("measure: {column: csat}", data=monthly("csat", "good", "very good", "good")),
    good=kpi_file("measure: {column: csat}", data=monthly("csat", 78, 80, 81)),
)
def check_column_numeric(ctx: RuleContext) -> Iterator[RuleHit]:
    import pandas as pd

    assert ctx.table is not None
    table = ctx.table
    frame = table.frame
    for i, kpi in ctx.kpis:
        if kpi.formula is not None:
            continue
        agg, _ = effective_aggregate(kpi, ctx.settings)
        if agg in ROW_AGGREGATES:
            continue
        if table.layout == "long":
            col = None
            from kpicli.model.table import VALUE

            if VALUE not in frame.columns or pd.api.types.is_numeric_dtype(frame[VALUE]):
                continue
            col = VALUE
        else:
            col = kpi.data_column
            if col not in frame.columns:
                continue
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        present = series.dropna()
        present = present[present.astype("string").str.strip() != ""]
        if present.empty:
            continue
        numeric = pd.to_numeric(present, errors="coerce")
        bad = present[numeric.isna()]
        if bad.empty:
            continue
        share = len(bad) / len(present)
        example = str(bad.iloc[0])
        where = ""
        try:
            from kpicli.model.table import ROW, SRC

            first = bad.index[0]
            where = " at " + table.location(int(frame.at[first, SRC]), int(frame.at[first, ROW]),
                                            col)
        except (KeyError, ValueError, TypeError):
            where = ""
        label = (table.value_label or "value") if col.startswith("_") else col
        path = (kpi_path(i, "measure", "column") if kpi.measure and kpi.measure.column
                else kpi_path(i))
        yield RuleHit(
            "M204", path,
            f"column {label!r} is not numeric: {len(bad)} of {len(present)} values "
            f"({share:.0%}) are text, e.g. {example!r}{where}; clean the data, or use "
            "aggregate: count to count rows",
            kpi.id,
            context={
                "column": label, "text_values": len(bad), "values": len(present),
                "example": example,
            },
        )


def _latest_period(ctx: RuleContext) -> Any:
    if not ctx.series:
        return None
    latest = None
    for s in ctx.series.values():
        present = s.dropna()
        if len(present):
            p = present.index.max()
            latest = p if latest is None or p > latest else latest
    return latest


@check(
    "M205",
    bad=kpi_file(more=NPS, data="month,csat,nps\n2026-01,78,31\n2026-02,80,33\n2026-03,81,\n"),
    good=kpi_file(more=NPS, data="month,csat,nps\n2026-01,78,31\n2026-02,80,33\n2026-03,81,34\n"),
)
def check_latest_period(ctx: RuleContext) -> Iterator[RuleHit]:
    latest = _latest_period(ctx)
    if latest is None or ctx.series is None:
        return
    for i, kpi in ctx.kpis:
        s = ctx.series.get(kpi.id)
        if s is None:
            continue
        present = s.dropna()
        value = s.get(latest)
        if value is not None and value == value:
            continue
        last = _label(present.index.max()) if len(present) else None
        since = f"its last value is from {last}" if last else "it has no value in any period"
        yield RuleHit(
            "M205", kpi_path(i),
            f"no value for the latest period in the data ({_label(latest)}); {since}: add the "
            "data, or check the measure's column and where filter",
            kpi.id,
            context={"latest_period": _label(latest), "last_period": last},
        )


def _label(period: Any) -> str:
    freq = getattr(period, "freqstr", "") or ""
    if freq.startswith("M"):
        return f"{period.year:04d}-{period.month:02d}"
    if freq.startswith("Q"):
        return f"{period.qyear:04d}-Q{period.quarter}"
    if freq.startswith("W"):
        iso = period.start_time.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if freq.startswith(("Y", "A")):
        return f"{period.year:04d}"
    return str(period)


MIN_HISTORY_FOR_PACE = 3


@check(
    "A304",
    bad=kpi_file("target: {value: 95, due: 2026-08}", data=monthly("csat", 70, 71, 72, 73, 74)),
    good=kpi_file("target: {value: 77, due: 2026-08}", data=monthly("csat", 70, 71, 72, 73, 74)),
)
def check_pace(ctx: RuleContext) -> Iterator[RuleHit]:
    if ctx.series is None:
        return
    import pandas as pd

    grain = ctx.settings.period
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        s = ctx.series.get(kpi.id)
        t = kpi.target
        if s is None or t is None or t.due is None or kpi.accumulate:
            continue
        present = s.dropna()
        if len(present) < MIN_HISTORY_FOR_PACE:
            continue
        target = _target_level(kpi)
        if target is None:
            continue
        last_period = present.index.max()
        actual = float(present.iloc[-1])
        higher = kpi.direction == "higher"
        gap = (target - actual) if higher else (actual - target)
        if gap <= 0:
            continue  # already met
        try:
            due_end = period_span(t.due, fys)[1]
            due_period = pd.Period(due_end, freq=last_period.freq)
        except (ValueError, TypeError):
            continue
        remaining = int(due_period.ordinal - last_period.ordinal)
        if remaining <= 0:
            continue  # T503 / report's off_track cover a passed due date
        needed = gap / remaining
        steps = present.diff().dropna()
        # Only consecutive periods count as one step of pace.
        ordinals = pd.Series([p.ordinal for p in present.index], index=present.index).diff()
        steps = steps[ordinals.reindex(steps.index) == 1]
        if len(steps) < MIN_HISTORY_FOR_PACE - 1:
            continue
        best = float(steps.max() if higher else -steps.min())
        if best >= needed:
            continue
        sign = "+" if higher else "-"
        best_txt = f"{sign}{format_number(best)}" if best > 0 else "no improvement at all"
        yield RuleHit(
            "A304", target_field_path(ctx, i, "due"),
            f"reaching {fmt(target)} by {t.due} needs {sign}{format_number(needed)} per {grain} "
            f"for "
            f"{remaining} {grain}{'s' if remaining != 1 else ''} from {fmt(actual)} "
            f"({_label(last_period)}), but the best change from one {grain} to the next in "
            f"{len(present)} {grain}s of history is {best_txt}: ease the target, move the due "
            "period, or add ignore: [A304] if a planned change will speed it up",
            kpi.id,
            context={
                "target": target, "due": str(t.due), "actual": actual, "grain": grain,
                "needed_per_period": needed, "periods_left": remaining, "best_per_period": best,
            },
        )


def _target_level(kpi: KPI) -> float | None:
    t = kpi.target
    if t is None:
        return None
    if t.value is not None:
        return t.value
    change = t.change_amount
    if change is not None:
        b = kpi.baseline.value if kpi.baseline else None
        if b is None:
            return None
        amount, relative = change
        return b * (1 + amount / 100) if relative else b + amount
    level = level_target(kpi)
    return level[1] if level else None


def series_from_table(model: KPIFile, table: Table) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """Per-KPI values per period of the file's grain, for M205 and A304.

    Uses the engine's aggregation (kpicli.engine.aggregate.compute_actuals), so ``where``
    filters, aggregates and formulas are applied exactly as ``kpi report`` applies them.
    """
    from kpicli.engine.aggregate import OVERALL, compute_actuals

    actuals = compute_actuals(model, table, model.period)
    series = {}
    for kpi in model.kpis:
        if kpi.id in actuals.problems:
            continue
        values = actuals.series(kpi.id, OVERALL)
        if kpi.formula is None and kpi.id in actuals.counts.columns:
            # A sum over rows whose cells are all empty is 0 in the report; for "is there
            # data for this period" only periods with at least one non-empty value count.
            counts = actuals.series(kpi.id, OVERALL, frame="counts")
            values = values.where(counts > 0)
        series[kpi.id] = values
    return series, dict(actuals.problems)

