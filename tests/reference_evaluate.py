"""The member-by-member evaluation as it was before engine.evaluate ran on arrays of members.

A frozen copy of ``kpicli.engine.evaluate.evaluate_kpi`` (and what it used) from before the
vectorised evaluation, kept only as the oracle of tests/test_evaluate_members.py: the
vectorised ``evaluate_members`` must give every member exactly the result this code gives
that member alone (and, for the previous period's status, what this code gave with the
report's former ``_previous_context``). Never import it from kpicli.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.model.kpifile import KPI
from kpicli.model.results import HistoryPoint, KPIResult

SCORE_CAP = 1.2
FORECAST_WINDOW = 6
FORECAST_MIN_POINTS = 3


def num(x: float | None) -> str:
    """A value for a sentence: 86.2, 1,200,000, 0.5."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    return f"{x:.4g}" if abs(x) >= 1 else f"{x:.3g}"


def _clean(x: object) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


@dataclass
class Context:
    """What the evaluation of one KPI (for one group) needs besides its series."""

    period: pd.Period
    grain: str
    fiscal_year_start: int = 1
    at_risk: float = 0.9
    history: int = 12
    group: str | None = None
    member_target: float | None = None
    data_baseline: float | None = None
    # Share of the report period the data covers, for KPIs whose value is a total of its
    # days (sum, count); 1.0 otherwise. Below 1 the target is pro-rated (SPEC §3).
    coverage: float = 1.0
    # True when data.target_column names the data's target column: its per-period values
    # then win over a YAML level; a column only detected by its header never replaces a
    # target written in kpis.yaml (SPEC §2, which target applies).
    target_column_named: bool = False


@dataclass
class TargetAt:
    """The target that applies in one period."""

    value: float | None = None  # the level to reach (for a band: the bound the KPI moves to)
    low: float | None = None
    high: float | None = None
    source: str = "target"
    problem: str | None = None

    @property
    def is_band(self) -> bool:
        return self.low is not None or self.high is not None


def accumulated(series: pd.Series, kpi: KPI, fiscal_year_start: int) -> pd.Series:
    """Year- or quarter-to-date running sums (per fiscal year/quarter) for accumulate KPIs."""
    if not kpi.accumulate or series.empty:
        return series
    coarse = "year" if kpi.accumulate == "ytd" else "quarter"
    span = series.index.asfreq(P.freq(coarse, fiscal_year_start))
    # A month with no value adds nothing but keeps the running total; a span with no
    # value at all up to a period stays empty.
    filled = series.fillna(0.0).groupby(span).cumsum()
    seen = series.notna().astype(int).groupby(span).cumsum()
    return filled.where(seen > 0)


def resolve_target(
    kpi: KPI,
    p: pd.Period,
    ctx: Context,
    baseline: float | None,
    data_targets: pd.Series | None,
    accumulated_targets: pd.Series | None = None,
) -> TargetAt:
    """Target in period ``p`` by precedence: data column, member map, schedule, the YAML.

    The data's target column comes first when ``data.target_column`` names it, or when
    kpis.yaml writes no target for the KPI (nor a ``targets_by`` value for the member);
    a column only detected in the data never replaces the reviewed YAML target.
    ``accumulated_targets`` is ``accumulated(data_targets, ...)`` when the caller resolves
    many periods of one accumulate KPI; it is computed here when not given.
    """
    yaml_target = kpi.target is not None or ctx.member_target is not None
    if (
        data_targets is not None
        and (ctx.target_column_named or not yaml_target)
        and p in data_targets.index
    ):
        t = _clean(data_targets.get(p))
        if t is not None:
            if kpi.accumulate:
                # A data target per period accumulates like the actuals do.
                acc = accumulated_targets
                if acc is None:
                    acc = accumulated(data_targets, kpi, ctx.fiscal_year_start)
                t = _clean(acc.get(p))
            return TargetAt(value=t, source="data")
    if ctx.member_target is not None:
        return _prorate(kpi, TargetAt(value=ctx.member_target, source="targets_by"), p, ctx)
    tgt = kpi.target
    if tgt is None:
        return TargetAt(problem="no target is defined")
    if tgt.schedule:
        for key, val in tgt.schedule.items():
            try:
                if P.parse(key, ctx.grain, ctx.fiscal_year_start) == p:
                    return TargetAt(value=val, source="schedule")
            except ValueError:
                continue
        if tgt.value is None and tgt.change is None and not tgt.is_band:
            # No period here: the why adds it ("the schedule has no target for 2026-10").
            return TargetAt(problem="the schedule has no target")
    if tgt.is_band:
        level = (
            tgt.min
            if (kpi.direction == "higher" and tgt.min is not None) or tgt.max is None
            else tgt.max
        )
        return TargetAt(value=level, low=tgt.min, high=tgt.max, source="band")
    if tgt.change is not None:
        if baseline is None:
            return TargetAt(problem="a change target needs a baseline value")
        change = tgt.change_amount
        assert change is not None  # tgt.change is set
        amount, relative = change
        value = baseline * (1 + amount / 100.0) if relative else baseline + amount
        return TargetAt(value=value, source="change")
    if tgt.value is not None:
        return _prorate(kpi, TargetAt(value=tgt.value, source="target"), p, ctx)
    return TargetAt(problem="no target is defined")


def _prorate(kpi: KPI, t: TargetAt, p: pd.Period, ctx: Context) -> TargetAt:
    """An accumulate (ytd/qtd) target covers a span: pro-rate it to the periods elapsed."""
    if not kpi.accumulate or t.value is None:
        return t
    span = kpi.accumulate
    per = (kpi.target.per if kpi.target else None) or ("year" if span == "ytd" else "quarter")
    per_period = t.value / P.span_length(ctx.grain, per)
    elapsed = P.diff(p, P.span_start(p, span, ctx.fiscal_year_start)) + 1
    return TargetAt(value=per_period * elapsed, source=t.source)


def _partial_target(t: TargetAt, prior: TargetAt | None, share: float) -> TargetAt:
    """The target for the covered share of an in-progress period.

    A total's target scales with the share; a running (ytd/qtd) target adds the share of
    this period's increment to the previous period's target.
    """
    if t.problem is not None:
        return t

    def part(x: float | None, before: float | None) -> float | None:
        if x is None:
            return None
        if before is not None:
            return before + (x - before) * share
        return x * share

    pv = prior.value if prior is not None and prior.problem is None else None
    return TargetAt(
        value=part(t.value, pv),
        low=part(t.low, prior.low if prior is not None else None),
        high=part(t.high, prior.high if prior is not None else None),
        source=t.source,
    )


def attainment(actual: float, t: TargetAt, direction: str) -> float | None:
    """A/T (higher is better) or T/A (lower), only where both are positive; bands: 1 inside."""
    if t.is_band:
        if t.low is not None and actual < t.low:
            return actual / t.low if actual > 0 else None  # 0 < actual < low: low > 0
        if t.high is not None and actual > t.high:
            return t.high / actual if t.high > 0 else None  # actual > high > 0
        return 1.0
    if t.value is None or actual <= 0 or t.value <= 0:
        return None
    return actual / t.value if direction == "higher" else t.value / actual


def is_met(actual: float, t: TargetAt, direction: str) -> bool:
    if t.is_band:
        return (t.low is None or actual >= t.low) and (t.high is None or actual <= t.high)
    assert t.value is not None
    return actual >= t.value if direction == "higher" else actual <= t.value


def _met_why(actual: float, t: TargetAt, direction: str) -> str:
    if t.is_band:
        lo = f"{num(t.low)} <= " if t.low is not None else ""
        hi = f" <= {num(t.high)}" if t.high is not None else ""
        return f"{lo}{num(actual)}{hi}: inside the target band → met"
    if direction == "higher":
        return f"{num(actual)} >= {num(t.value)}: target met"
    return f"{num(actual)} <= {num(t.value)}: target met"


def _upto(series: pd.Series, p: pd.Period) -> pd.Series:
    """The values up to and including ``p``: a binary search when the periods are in order
    (they are, from aggregation), else a comparison of every period."""
    index = series.index
    if isinstance(index, pd.PeriodIndex) and index.is_monotonic_increasing:
        if len(index) and index.freq != p.freq:
            return series[index <= p]
        return series.iloc[: index.searchsorted(p, side="right")]
    return series[index <= p]


def _forecast(series: pd.Series, p: pd.Period, horizon: pd.Period) -> float | None:
    """Least-squares line through the last 6 values up to ``p`` (at least 3), at ``horizon``."""
    window = _upto(series, p).iloc[-FORECAST_WINDOW:].dropna()
    if len(window) < FORECAST_MIN_POINTS:
        return None
    # Periods from p, as P.diff counts them (ordinal differences), for the whole window at once.
    x = (window.index.asi8 - p.ordinal).astype("float64")
    y = window.to_numpy(dtype="float64")
    slope, intercept = np.polyfit(x, y, 1)
    return _clean(intercept + slope * P.diff(horizon, p))


def evaluate_kpi(
    kpi: KPI,
    series: pd.Series,
    ctx: Context,
    *,
    counts: pd.Series | None = None,
    data_targets: pd.Series | None = None,
    problem: str | None = None,
    status_only: bool = False,
) -> KPIResult:
    """Evaluate one KPI (for one group) in ``ctx.period``; ``series`` is indexed by Period.

    ``status_only`` leaves out what the status does not depend on (history, deltas, forecast):
    the previous period's status for ``status_change`` needs nothing else.
    """
    p = ctx.period
    g, fys = ctx.grain, ctx.fiscal_year_start
    lab = lambda q: P.label(q, g, fys)  # noqa: E731
    series = accumulated(series, kpi, fys)
    acc_targets = (
        accumulated(data_targets, kpi, fys) if kpi.accumulate and data_targets is not None else None
    )
    res = KPIResult(
        id=kpi.id,
        name=kpi.name,
        unit=kpi.unit,
        direction=kpi.direction,
        group=ctx.group,
        objective=kpi.objective,
        owner=kpi.owner,
        weight=kpi.weight,
    )
    actual = _clean(series.get(p)) if p in series.index else None
    n = _clean(counts.get(p)) if counts is not None and p in counts.index else None
    res.count = int(n) if n is not None else None
    min_count = kpi.measure.min_count if kpi.measure else None
    why_none = None
    if problem:
        why_none = problem
        actual = None
    elif min_count and actual is not None and (n or 0) < min_count:
        why_none = f"only {int(n or 0)} rows in {lab(p)} (min_count {min_count}) → no_data"
        actual = None
    # Baseline: a value, else the data's value in the baseline period, else a data column.
    bl = kpi.baseline
    base_period = None
    if bl is not None and bl.period:
        base_period = P.parse(bl.period, g, fys)
        res.baseline_period = lab(base_period)
    baseline = bl.value if bl is not None and bl.value is not None else None
    if baseline is None and base_period is not None and base_period in series.index:
        baseline = _clean(series.get(base_period))
    if baseline is None:
        baseline = ctx.data_baseline
    res.baseline = baseline
    t = resolve_target(kpi, p, ctx, baseline, data_targets, acc_targets)
    partial = ctx.coverage < 1
    if partial:
        prior = None
        if kpi.accumulate and P.span_start(p, kpi.accumulate, fys) < p:
            prior = resolve_target(kpi, p - 1, ctx, baseline, data_targets, acc_targets)
        t = _partial_target(t, prior, ctx.coverage)
        if baseline is not None and not kpi.accumulate:
            baseline = baseline * ctx.coverage  # a total over the same share of a period
    res.target = t.value
    res.target_min, res.target_max = t.low, t.high
    due = P.parse(kpi.target.due, g, fys, end=True) if kpi.target and kpi.target.due else None
    if kpi.accumulate and due is None and t.problem is None:
        # A year-to-date target is due at the end of its fiscal year (quarter for qtd).
        span_first = P.span_start(p, kpi.accumulate, fys)
        due = span_first + (P.span_length(g, kpi.accumulate) - 1)
    res.due = lab(due) if due is not None else None

    # History, delta and forecast are shown even when the status cannot be decided.
    if not status_only:
        hist = _upto(series, p).iloc[-ctx.history :] if len(series) else series
        res.history = [
            HistoryPoint(
                period=lab(q),
                actual=_clean(v),
                target=resolve_target(kpi, q, ctx, baseline, data_targets, acc_targets).value,
            )
            for q, v in hist.items()
        ]
        prev = p - 1
        res.previous = _clean(series.get(prev)) if prev in series.index else None
        if actual is not None and res.previous is not None:
            res.delta = actual - res.previous
            res.delta_pct = res.delta / abs(res.previous) if res.previous != 0 else None
        yoy = p - P.PERIODS_PER_YEAR[g]
        last_year = _clean(series.get(yoy)) if yoy in series.index else None
        if actual is not None and last_year is not None:
            res.delta_yoy = actual - last_year
        horizon = due if due is not None and due > p else p + 1
        # A partial total is not a trend: the line goes through the complete periods before it.
        fit = series.drop(p) if partial and p in series.index else series
        res.forecast = _forecast(fit, p, horizon) if actual is not None else None
        res.forecast_period = lab(horizon)
        if res.forecast is not None and t.problem is None and (t.value is not None or t.is_band):
            t_h = resolve_target(kpi, horizon, ctx, baseline, data_targets, acc_targets)
            if t_h.value is not None or t_h.is_band:
                res.forecast_meets = is_met(res.forecast, t_h, kpi.direction)

    if partial and res.history and res.history[-1].period == lab(p):
        res.history[-1].target = t.value
    if actual is None:
        res.status = "no_data"
        res.why = why_none or f"no value for {lab(p)} → no_data"
        return res
    res.actual = actual
    if t.problem is not None or (t.value is None and not t.is_band):
        res.status = "no_data"
        res.why = f"{t.problem or 'no target'} for {lab(p)}; status needs a target → no_data"
        return res

    res.attainment = attainment(actual, t, kpi.direction)
    res.score = min(res.attainment, SCORE_CAP) if res.attainment is not None else None
    if baseline is not None and t.value is not None and t.value != baseline:
        res.progress = (actual - baseline) / (t.value - baseline)
    if due is not None and base_period is not None and due > base_period:
        res.expected_progress = min(
            1.0, max(0.0, P.diff(p, base_period) / P.diff(due, base_period))
        )

    if is_met(actual, t, kpi.direction):
        res.status = "met"
        res.why = _met_why(actual, t, kpi.direction)
        return res

    remaining = P.diff(due, p) if due is not None else None
    if remaining is not None and remaining > 0 and t.value is not None:
        # Run rate still required: per remaining period, the amount (accumulating KPIs)
        # or the change per period (levels) that reaches the target by the due period.
        if kpi.accumulate:
            t_due = resolve_target(kpi, due, ctx, baseline, data_targets, acc_targets).value
            res.needed = (t_due - actual) / remaining if t_due is not None else None
        else:
            res.needed = (t.value - actual) / remaining
    thr = ctx.at_risk

    def verdict(ratio: float) -> str:
        if ratio >= 1:
            return "on_track"
        return "at_risk" if ratio >= thr else "off_track"

    if due is not None and p > due:
        res.status = "off_track"
        cmp = "<" if kpi.direction == "higher" else ">"
        res.why = f"due {lab(due)} passed without the target met ({num(actual)} {cmp} {num(t.value)}) → off_track"
        return res
    if (
        due is not None
        and p <= due  # in the due period itself expected progress is 1.0 (SPEC §2)
        and res.progress is not None
        and res.expected_progress is not None
    ):
        exp = res.expected_progress
        if exp <= 0:
            res.status = "on_track"
            res.why = (
                f"progress {res.progress:.2f}; no progress expected yet at {lab(p)} → on_track"
            )
            return res
        ratio = res.progress / exp
        res.status = verdict(ratio)  # type: ignore[assignment]
        bound = 1.0 if ratio >= 1 else thr
        sign = ">=" if ratio >= bound else "<"
        res.why = (
            f"progress {res.progress:.2f} of expected {exp:.2f} = {ratio:.2f} "
            f"{sign} {bound:.2f} → {res.status}"
        )
        return res
    if res.attainment is None:
        res.status = "off_track"
        res.why = (
            f"{num(actual)} misses the target {num(t.value)}; attainment is undefined "
            "(needs positive actual and target) → off_track"
        )
        return res
    ratio = res.attainment
    res.status = "at_risk" if ratio >= thr else "off_track"
    sign = ">=" if ratio >= thr else "<"
    if t.is_band:
        bound = t.low if t.low is not None and actual < t.low else t.high
        frac = f"{num(actual)}/{num(bound)}" if bound == t.low else f"{num(bound)}/{num(actual)}"
        res.why = (
            f"outside the band: attainment {frac} = {ratio:.2f} {sign} {thr:.2f} → {res.status}"
        )
    else:
        frac = (
            f"{num(actual)}/{num(t.value)}"
            if kpi.direction == "higher"
            else f"{num(t.value)}/{num(actual)}"
        )
        res.why = f"attainment {frac} = {ratio:.2f} {sign} {thr:.2f} → {res.status}"
    return res


def weighted_score(results: list[KPIResult]) -> tuple[float | None, float]:
    """Weight-averaged score of the results that have one, and the total weight used."""
    pairs = [(r.score, r.weight) for r in results if r.score is not None and r.weight > 0]
    if not pairs:
        return None, 0.0
    total = sum(w for _, w in pairs)  # > 0: every weight in it is
    return sum(s * w for s, w in pairs) / total, total


def previous_context(ctx: Context) -> Context:
    """The report's former context of the period before ``ctx.period`` (engine/report.py)."""
    import dataclasses

    return dataclasses.replace(ctx, period=ctx.period - 1, history=1, coverage=1.0)
