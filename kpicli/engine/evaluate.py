"""The SPEC §2 arithmetic for one KPI in one period: target, attainment, progress, status, why.

Contract: ``evaluate_members(kpi, members, ctx)`` evaluates one KPI for every member of a
breakdown (and the whole population) at once: running totals, targets by precedence,
attainment, progress, expected progress, pace, needed, deltas and the status rules run on
numpy arrays over the members; the forecast lines are fitted with ``np.polyfit``, the members
with values in the same periods in one solve (each gets the line it gets fitted alone), and
the ``why`` sentences are written per member. ``evaluate_kpi(kpi, series, ctx)`` is its
one-member case. Pure: no I/O, nothing read from the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.engine.changes import status_change
from kpicli.model.kpifile import KPI
from kpicli.model.results import KPIResult
from kpicli.model.units import format_number

SCORE_CAP = 1.2
FORECAST_WINDOW = 6
FORECAST_MIN_POINTS = 3
# LAPACK's least-squares solver (gelsd, behind np.polyfit) rescales the right-hand sides when
# their largest entry lies below tiny/eps (about 1e-292) or above its inverse, and then
# rounds differently; that largest entry is taken over all the columns solved together. A
# member whose values come near either bound is fitted on its own (a margin of 2**10 keeps
# clear of the bounds whichever LAPACK is installed).
_FIT_SMALL = float(np.finfo(np.float64).tiny / np.finfo(np.float64).eps) * 2.0**10
_FIT_BIG = 1.0 / _FIT_SMALL


# A value in a sentence (why texts, notes): the one form of model/units.py.
num = format_number


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
    rows = _accumulated(
        series.to_numpy(dtype="float64", na_value=np.nan)[None, :],
        series.index,
        kpi,
        fiscal_year_start,
    )
    return pd.Series(rows[0], index=series.index, name=series.name)


def _accumulated(
    values: np.ndarray, periods: pd.PeriodIndex, kpi: KPI, fiscal_year_start: int
) -> np.ndarray:
    """``accumulated`` for every row of ``values`` (members x periods) at once."""
    if not kpi.accumulate or values.shape[1] == 0:
        return values
    coarse = "year" if kpi.accumulate == "ytd" else "quarter"
    span = periods.asfreq(P.freq(coarse, fiscal_year_start))
    # A month with no value adds nothing but keeps the running total; a span with no
    # value at all up to a period stays empty. One column per member: pandas' grouped
    # running sum (compensated) treats each column as it would a Series of its own.
    frame = pd.DataFrame(values.T)
    filled = frame.fillna(0.0).groupby(span).cumsum()
    seen = frame.notna().astype(int).groupby(span).cumsum()
    return filled.where(seen > 0).to_numpy(dtype="float64").T


# ------------------------------------------------------------------ one KPI, many members


@dataclass
class Members:
    """One KPI's aggregated series for several members (one row each) over the same periods.

    ``periods`` is sorted and unique (the data's periods); ``values``, ``counts`` and
    ``targets`` (the data's target column) are float arrays of shape (members, periods), NaN
    where there is none. ``member_targets`` holds each member's ``targets_by`` value (NaN: none).
    """

    periods: pd.PeriodIndex
    values: np.ndarray
    groups: list[str | None]
    member_targets: np.ndarray
    counts: np.ndarray | None = None
    targets: np.ndarray | None = None

    @classmethod
    def one(
        cls,
        series: pd.Series,
        ctx: Context,
        counts: pd.Series | None = None,
        data_targets: pd.Series | None = None,
    ) -> Members:
        """The single member of ``evaluate_kpi``: its counts and targets on the series' periods."""
        if not isinstance(series.index, pd.PeriodIndex):
            series = pd.Series(
                series.to_numpy(dtype="float64", na_value=np.nan),
                index=pd.PeriodIndex(series.index, freq=ctx.period.freq),
            )
        if not series.index.is_monotonic_increasing or not series.index.is_unique:
            series = series[~series.index.duplicated(keep="last")].sort_index()
        index = series.index

        def row(s: pd.Series | None) -> np.ndarray | None:
            if s is None:
                return None
            return s.reindex(index).to_numpy(dtype="float64", na_value=np.nan)[None, :]

        return cls(
            periods=index,
            values=series.to_numpy(dtype="float64", na_value=np.nan)[None, :],
            groups=[ctx.group],
            member_targets=np.array(
                [np.nan if ctx.member_target is None else ctx.member_target], dtype="float64"
            ),
            counts=row(counts),
            targets=row(data_targets),
        )


def _finite(x: np.ndarray) -> np.ndarray:
    """NaN where a value is missing or infinite (what ``_clean`` turns into None)."""
    return np.where(np.isfinite(x), x, np.nan)


def _opt(x: float) -> float | None:
    return None if x != x else x


@dataclass
class _Targets:
    """``TargetAt`` for every member: NaN for None, an object array of problems (None: ok)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    problem: np.ndarray
    source: np.ndarray

    @property
    def band(self) -> np.ndarray:
        return ~np.isnan(self.low) | ~np.isnan(self.high)

    @property
    def ok(self) -> np.ndarray:
        """No problem and a level (or a band) to judge against."""
        return np.equal(self.problem, None) & (~np.isnan(self.value) | self.band)

    def at(self, i: int) -> TargetAt:
        return TargetAt(
            value=_opt(float(self.value[i])),
            low=_opt(float(self.low[i])),
            high=_opt(float(self.high[i])),
            source=str(self.source[i]),
            problem=self.problem[i],
        )


class _Series:
    """Position lookups in one KPI's members x periods arrays, and its targets per period."""

    def __init__(self, kpi: KPI, m: Members, ctx: Context) -> None:
        self.kpi, self.m, self.ctx = kpi, m, ctx
        self.ords = m.periods.asi8
        fys = ctx.fiscal_year_start
        self.values = _finite(_accumulated(m.values, m.periods, kpi, fys))
        self.data = m.targets
        self.acc_data = (
            _accumulated(m.targets, m.periods, kpi, fys)
            if kpi.accumulate and m.targets is not None
            else m.targets
        )
        self.n = len(m.groups)
        self._cache: dict[tuple[int | None, bytes], _Targets] = {}
        # A target that no period changes (no schedule, no running total, no value in the
        # data's target column) is resolved once, not once per history period.
        tgt = kpi.target
        self.period_free = (
            not (tgt is not None and tgt.schedule)
            and not kpi.accumulate
            and (m.targets is None or not np.isfinite(m.targets).any())
        )

    def pos(self, q: pd.Period) -> int:
        """Position of period ``q`` in the periods, -1 when it is not one of them."""
        i = int(np.searchsorted(self.ords, q.ordinal))
        return i if i < len(self.ords) and self.ords[i] == q.ordinal else -1

    def column(self, a: np.ndarray | None, q: pd.Period) -> np.ndarray:
        """Each member's value in period ``q`` (NaN when none)."""
        j = self.pos(q)
        if a is None or j < 0:
            return np.full(self.n, np.nan)
        return _finite(a[:, j])

    def targets(self, q: pd.Period, baseline: np.ndarray) -> _Targets:
        """The target of every member in period ``q``, by precedence (``resolve_target``)."""
        key = (None if self.period_free else q.ordinal, baseline.tobytes())
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = _resolve(self.kpi, q, self.ctx, baseline, self, self.m)
        return got


def _resolve(
    kpi: KPI, q: pd.Period, ctx: Context, baseline: np.ndarray, s: _Series, m: Members
) -> _Targets:
    """Target in period ``q`` for every member: data column, member map, schedule, the YAML.

    The data's target column comes first when ``data.target_column`` names it, or when
    kpis.yaml writes no target for the KPI (nor a ``targets_by`` value for the member);
    a column only detected in the data never replaces the reviewed YAML target.
    """
    n = s.n
    value, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    problem = np.full(n, None, dtype=object)
    source = np.full(n, "target", dtype=object)
    tgt = kpi.target
    # The KPI's own target (the same for every member, except a change from each baseline).
    if tgt is None:
        problem[:] = "no target is defined"
    else:
        scheduled = None
        for key, val in (tgt.schedule or {}).items():
            try:
                if P.parse(key, ctx.grain, ctx.fiscal_year_start) == q:
                    scheduled = val
                    break
            except ValueError:
                continue
        if scheduled is not None:
            value[:], source[:] = scheduled, "schedule"
        elif tgt.schedule and tgt.value is None and tgt.change is None and not tgt.is_band:
            # No period here: the why adds it ("the schedule has no target for 2026-10").
            problem[:] = "the schedule has no target"
        elif tgt.is_band:
            level = (
                tgt.min
                if (kpi.direction == "higher" and tgt.min is not None) or tgt.max is None
                else tgt.max
            )
            value[:], source[:] = level, "band"
            if tgt.min is not None:
                low[:] = tgt.min
            if tgt.max is not None:
                high[:] = tgt.max
        elif tgt.change is not None:
            change = tgt.change_amount
            assert change is not None  # tgt.change is set
            amount, relative = change
            value = baseline * (1 + amount / 100.0) if relative else baseline + amount
            source[:] = "change"
            problem[np.isnan(baseline)] = "a change target needs a baseline value"
        elif tgt.value is not None:
            value[:] = _prorate(kpi, np.array([tgt.value], dtype="float64"), q, ctx)[0]
        else:
            problem[:] = "no target is defined"
    member = ~np.isnan(m.member_targets)
    if member.any():
        value[member] = _prorate(kpi, m.member_targets[member], q, ctx)
        low[member] = high[member] = np.nan
        problem[member], source[member] = None, "targets_by"
    j = s.pos(q)
    if s.data is not None and j >= 0:
        yaml_target = member | (tgt is not None)
        use = np.isfinite(s.data[:, j]) & (ctx.target_column_named | ~yaml_target)
        if use.any():
            # A data target per period accumulates like the actuals do.
            assert s.acc_data is not None
            value[use] = _finite(s.acc_data[use, j])
            low[use] = high[use] = np.nan
            problem[use], source[use] = None, "data"
    return _Targets(value, low, high, problem, source)


@np.errstate(all="ignore")  # huge values overflow to inf, as Python floats do
def resolve_target(
    kpi: KPI,
    p: pd.Period,
    ctx: Context,
    baseline: float | None,
    data_targets: pd.Series | None,
    accumulated_targets: pd.Series | None = None,
) -> TargetAt:
    """Target in period ``p`` for one member (``ctx.member_target``): see ``_resolve``.

    ``accumulated_targets`` is accepted for callers that hold ``accumulated(data_targets)``;
    the running sums are computed from ``data_targets`` either way.
    """
    if data_targets is not None:
        shape = data_targets * np.nan  # the periods of the data targets, no values
    else:
        shape = pd.Series([], dtype="float64", index=pd.PeriodIndex([], freq=p.freq))
    s = _Series(kpi, Members.one(shape, ctx, data_targets=data_targets), ctx)
    return s.targets(p, np.array([np.nan if baseline is None else baseline])).at(0)


def _prorate(kpi: KPI, values: np.ndarray, q: pd.Period, ctx: Context) -> np.ndarray:
    """An accumulate (ytd/qtd) target covers a span: pro-rate it to the periods elapsed."""
    if not kpi.accumulate:
        return values
    span = kpi.accumulate
    per = (kpi.target.per if kpi.target else None) or ("year" if span == "ytd" else "quarter")
    per_period = values / P.span_length(ctx.grain, per)
    elapsed = P.diff(q, P.span_start(q, span, ctx.fiscal_year_start)) + 1
    return per_period * elapsed


def _partial_targets(t: _Targets, prior: _Targets | None, share: float) -> _Targets:
    """The target for the covered share of an in-progress period.

    A total's target scales with the share; a running (ytd/qtd) target adds the share of
    this period's increment to the previous period's target.
    """

    def part(x: np.ndarray, before: np.ndarray | None) -> np.ndarray:
        if before is None:
            return x * share
        return np.where(np.isnan(before), x * share, before + (x - before) * share)

    pv = None
    if prior is not None:
        pv = np.where(np.equal(prior.problem, None), prior.value, np.nan)
    keep = ~np.equal(t.problem, None)  # a target with a problem stays as it is
    return _Targets(
        value=np.where(keep, t.value, part(t.value, pv)),
        low=np.where(keep, t.low, part(t.low, prior.low if prior is not None else None)),
        high=np.where(keep, t.high, part(t.high, prior.high if prior is not None else None)),
        problem=t.problem,
        source=t.source,
    )


def _attainment(a: np.ndarray, t: _Targets, direction: str) -> np.ndarray:
    """A/T (higher is better) or T/A (lower), only where both are positive; bands: 1 inside."""
    with np.errstate(all="ignore"):  # overflow to inf, as Python's float division gives
        below = ~np.isnan(t.low) & (a < t.low)
        above = ~below & ~np.isnan(t.high) & (a > t.high)
        band = np.where(
            below,
            np.where(a > 0, a / t.low, np.nan),  # 0 < actual < low: low > 0
            np.where(above, np.where(t.high > 0, t.high / a, np.nan), 1.0),  # actual > high > 0
        )
        level = np.where(
            np.isnan(t.value) | (a <= 0) | (t.value <= 0),
            np.nan,
            a / t.value if direction == "higher" else t.value / a,
        )
    return np.where(t.band, band, level)


def _is_met(a: np.ndarray, t: _Targets, direction: str) -> np.ndarray:
    band = (np.isnan(t.low) | (a >= t.low)) & (np.isnan(t.high) | (a <= t.high))
    level = a >= t.value if direction == "higher" else a <= t.value
    return np.where(t.band, band, level)


def _one(t: TargetAt) -> _Targets:
    f = lambda x: np.array([np.nan if x is None else x], dtype="float64")  # noqa: E731
    return _Targets(
        f(t.value), f(t.low), f(t.high), np.array([t.problem], object), np.array([t.source], object)
    )


@np.errstate(all="ignore")  # huge values overflow to inf, as Python floats do
def attainment(actual: float, t: TargetAt, direction: str) -> float | None:
    """A/T (higher is better) or T/A (lower), only where both are positive; bands: 1 inside."""
    return _opt(float(_attainment(np.array([actual], dtype="float64"), _one(t), direction)[0]))


@np.errstate(all="ignore")  # huge values overflow to inf, as Python floats do
def is_met(actual: float, t: TargetAt, direction: str) -> bool:
    assert t.is_band or t.value is not None
    return bool(_is_met(np.array([actual], dtype="float64"), _one(t), direction)[0])


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
    return _line(window.index.asi8, window.to_numpy(dtype="float64"), p, horizon)


def _line(ords: np.ndarray, y: np.ndarray, p: pd.Period, horizon: pd.Period) -> float | None:
    # Periods from p, as P.diff counts them (ordinal differences), for the whole window at once.
    x = (ords - p.ordinal).astype("float64")
    slope, intercept = np.polyfit(x, y, 1)
    return _clean(intercept + slope * P.diff(horizon, p))


# Why a member has the status it has: the branches of SPEC §2's rules, in the order tried.
NO_VALUE, NO_TARGET, MET, DUE_PASSED, NOTHING_EXPECTED, PACE, NO_ATTAINMENT, ATTAINMENT = range(8)


@dataclass
class _Judged:
    """The status of every member in one period, with what it was decided on."""

    actual: np.ndarray
    why_none: np.ndarray  # object: the problem or the min_count reason (None: neither)
    count: np.ndarray
    baseline: np.ndarray  # the baseline shown (before pro-rating)
    base_used: np.ndarray  # the baseline progress is measured from (pro-rated when partial)
    target: _Targets
    due: pd.Period | None  # the due period where ``has_due``
    has_due: np.ndarray
    attainment: np.ndarray
    progress: np.ndarray
    expected: np.ndarray
    branch: np.ndarray
    status: np.ndarray  # object: status names


def _judge(
    kpi: KPI, s: _Series, p: pd.Period, coverage: float, problem: str | None, at_risk: float
) -> _Judged:
    """SPEC §2's status rules for every member at once, in period ``p``.

    Called by ``evaluate_members`` only, under its ``np.errstate(all="ignore")`` (huge values
    overflow to inf, as Python floats do): no floating-point state of its own to set."""
    ctx, n = s.ctx, s.n
    g, fys = ctx.grain, ctx.fiscal_year_start
    actual = s.column(s.values, p)
    count = s.column(s.m.counts, p)
    why_none = np.full(n, None, dtype=object)
    min_count = kpi.measure.min_count if kpi.measure else None
    if problem:
        why_none[:] = problem
        actual = np.full(n, np.nan)
    elif min_count:
        few = ~np.isnan(actual) & (np.nan_to_num(count, nan=0.0) < min_count)
        for i in np.flatnonzero(few):
            c = 0 if np.isnan(count[i]) else int(count[i])
            why_none[i] = f"only {c} rows in {P.label(p, g, fys)} (min_count {min_count}) → no_data"
        actual = np.where(few, np.nan, actual)
    # Baseline: a value, else the data's value in the baseline period, else a data column.
    bl = kpi.baseline
    base_period = P.parse(bl.period, g, fys) if bl is not None and bl.period else None
    if bl is not None and bl.value is not None:
        baseline = np.full(n, float(bl.value))
    else:
        baseline = (
            s.column(s.values, base_period) if base_period is not None else np.full(n, np.nan)
        )
        if ctx.data_baseline is not None:
            baseline = np.where(np.isnan(baseline), ctx.data_baseline, baseline)
    t = s.targets(p, baseline)
    base_used = baseline
    if coverage < 1:
        prior = None
        if kpi.accumulate and P.span_start(p, kpi.accumulate, fys) < p:
            prior = s.targets(p - 1, baseline)
        t = _partial_targets(t, prior, coverage)
        if not kpi.accumulate:
            base_used = baseline * coverage  # a total over the same share of a period
    due = P.parse(kpi.target.due, g, fys, end=True) if kpi.target and kpi.target.due else None
    has_due = np.full(n, due is not None)
    if kpi.accumulate and due is None:
        # A year-to-date target is due at the end of its fiscal year (quarter for qtd).
        due = P.span_start(p, kpi.accumulate, fys) + (P.span_length(g, kpi.accumulate) - 1)
        has_due = np.equal(t.problem, None)

    has_actual = ~np.isnan(actual)
    judged = has_actual & t.ok
    att = np.where(judged, _attainment(actual, t, kpi.direction), np.nan)
    moves = judged & ~np.isnan(base_used) & ~np.isnan(t.value) & (t.value != base_used)
    progress = np.where(moves, (actual - base_used) / (t.value - base_used), np.nan)
    expected = np.full(n, np.nan)
    if due is not None and base_period is not None and due > base_period:
        exp = min(1.0, max(0.0, P.diff(p, base_period) / P.diff(due, base_period)))
        expected[judged & has_due] = exp
    met = judged & _is_met(actual, t, kpi.direction)
    passed = has_due & (due is not None and p > due)
    paced = has_due & (due is not None and p <= due) & ~np.isnan(progress) & ~np.isnan(expected)
    # The rules in the order tried (the first that holds decides): assigned from the last
    # to the first, so that an earlier rule overwrites a later one.
    branch = np.full(n, ATTAINMENT, dtype=np.int64)
    branch[np.isnan(att)] = NO_ATTAINMENT
    branch[paced] = PACE
    branch[paced & (expected <= 0)] = NOTHING_EXPECTED
    branch[passed] = DUE_PASSED
    branch[met] = MET
    branch[~t.ok] = NO_TARGET
    branch[~has_actual] = NO_VALUE
    ratio = np.where(branch == PACE, progress / expected, att)
    status = np.full(n, "off_track", dtype=object)
    status[ratio >= at_risk] = "at_risk"
    status[(branch == PACE) & (ratio >= 1)] = "on_track"
    status[branch == NOTHING_EXPECTED] = "on_track"
    status[(branch == DUE_PASSED) | (branch == NO_ATTAINMENT)] = "off_track"
    status[branch == MET] = "met"
    status[branch <= NO_TARGET] = "no_data"
    return _Judged(
        actual, why_none, count, baseline, base_used, t, due, has_due, att, progress,
        expected, branch, status,
    )


@np.errstate(all="ignore")  # huge values overflow to inf, as Python floats do
def evaluate_members(
    kpi: KPI,
    members: Members,
    ctx: Context,
    *,
    problem: str | None = None,
    status_only: bool = False,
    previous_status: bool = False,
) -> list[KPIResult]:
    """Evaluate one KPI for every member at once in ``ctx.period`` (SPEC §2).

    ``ctx`` holds what every member shares (its ``group`` and ``member_target`` are ignored:
    ``members`` has them per row). The arithmetic (running totals, targets, attainment,
    progress, pace, needed, the status rules, deltas) runs on arrays over the members; the
    forecast lines are fitted (``np.polyfit``) per set of members with values in the same
    periods, and the sentences are written per member. ``status_only`` leaves out what the status does not depend on
    (history, deltas, forecast); ``previous_status`` also judges the period before (with that
    period's own target, complete: not pro-rated) and sets ``previous_status`` and
    ``status_change``.
    """
    p = ctx.period
    g, fys = ctx.grain, ctx.fiscal_year_start
    lab = lambda q: P.label(q, g, fys)  # noqa: E731
    s = _Series(kpi, members, ctx)
    n = s.n
    partial = ctx.coverage < 1
    j = _judge(kpi, s, p, ctx.coverage, problem, ctx.at_risk)
    t, actual = j.target, j.actual
    before = _judge(kpi, s, p - 1, 1.0, problem, ctx.at_risk) if previous_status else None
    # Targets of other periods (history, horizon, due) are resolved from the baseline the
    # report period judges progress from.
    base = j.base_used

    due = j.due
    due_label = lab(due) if due is not None else None
    horizon_due = due if due is not None and due > p else p + 1
    horizon_none = p + 1

    # Needed: the run rate still required per remaining period, where the target is missed.
    needed = np.full(n, np.nan)
    if due is not None and P.diff(due, p) > 0:
        remaining = P.diff(due, p)
        open_ = (j.branch > MET) & j.has_due & ~np.isnan(t.value)
        if open_.any():
            if kpi.accumulate:
                t_due = s.targets(due, base).value
                needed = np.where(open_, (t_due - actual) / remaining, np.nan)
            else:
                needed = np.where(open_, (t.value - actual) / remaining, np.nan)

    hist_pos = np.arange(0)
    previous = prev_year = delta = delta_pct = delta_yoy = np.full(n, np.nan)
    forecast = np.full(n, np.nan)
    meets = np.full(n, None, dtype=object)
    if not status_only:
        # The last ``history`` periods up to p (a slice [-history:], as on a list).
        hist_pos = np.arange(int(np.searchsorted(s.ords, p.ordinal, side="right")))
        hist_pos = hist_pos[-ctx.history :]
        previous = s.column(s.values, p - 1)
        prev_year = s.column(s.values, p - P.PERIODS_PER_YEAR[g])
        delta = actual - previous
        delta_pct = np.where(previous != 0, delta / np.abs(previous), np.nan)
        delta_yoy = actual - prev_year
        forecast = _forecasts(s, p, partial, actual, j, horizon_due, horizon_none)
        fc = ~np.isnan(forecast) & np.equal(t.problem, None) & (~np.isnan(t.value) | t.band)
        for horizon, rows in ((horizon_due, fc & j.has_due), (horizon_none, fc & ~j.has_due)):
            if rows.any():
                t_h = s.targets(horizon, base)
                ok = rows & (~np.isnan(t_h.value) | t_h.band)
                hit = _is_met(forecast, t_h, kpi.direction)
                for i in np.flatnonzero(ok):
                    meets[i] = bool(hit[i])

    hist_targets = [s.targets(s.m.periods[q], base).value for q in hist_pos.tolist()]
    hist_labels = [lab(s.m.periods[q]) for q in hist_pos.tolist()]
    p_label = lab(p)
    bl_label = lab(P.parse(kpi.baseline.period, g, fys)) if kpi.baseline and kpi.baseline.period else None

    results: list[KPIResult] = []
    cols = {
        "actual": actual, "count": j.count, "baseline": j.baseline, "target": t.value,
        "low": t.low, "high": t.high, "attainment": j.attainment, "progress": j.progress,
        "expected": j.expected, "needed": needed, "previous": previous, "delta": delta,
        "delta_pct": delta_pct, "delta_yoy": delta_yoy, "forecast": forecast,
    }
    rows = {k: [_opt(x) for x in v.tolist()] for k, v in cols.items()}
    hist_values = s.values[:, hist_pos].tolist() if len(hist_pos) else [[] for _ in range(n)]
    # A target that no period changes is one array for every history period: converted once.
    converted: dict[int, list[float | None]] = {}
    hist_t = []
    for col in hist_targets:
        got = converted.get(id(col))
        if got is None:
            got = converted[id(col)] = [_opt(x) for x in col.tolist()]
        hist_t.append(got)
    forecast_label = {True: lab(horizon_due), False: lab(horizon_none)}
    shared = {
        "id": kpi.id,
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "objective": kpi.objective,
        "owner": kpi.owner,
        "weight": kpi.weight,
        "baseline_period": bl_label,
    }
    for i in range(n):
        r = {k: v[i] for k, v in rows.items()}
        a = r["actual"]
        has_due = bool(j.has_due[i])
        history = [
            {"period": label, "actual": None if v != v else v, "target": targets[i]}
            for label, v, targets in zip(hist_labels, hist_values[i], hist_t, strict=True)
        ]
        if partial and history and history[-1]["period"] == p_label:
            history[-1]["target"] = r["target"]
        # Every field of the result in one dict, validated once (the history points with
        # it): one pydantic call per result rather than one per point and an assignment
        # per field.
        res = {
            **shared,
            "group": members.groups[i],
            "count": int(r["count"]) if r["count"] is not None else None,
            "baseline": r["baseline"],
            "target": r["target"],
            "target_min": r["low"],
            "target_max": r["high"],
            "due": due_label if has_due else None,
            "history": history,
            "status": j.status[i],
        }
        if not status_only:
            res["previous"] = r["previous"]
            if a is not None and r["previous"] is not None:
                res["delta"] = r["delta"]
                res["delta_pct"] = r["delta_pct"]
            if a is not None and r["delta_yoy"] is not None:
                res["delta_yoy"] = r["delta_yoy"]
            res["forecast"] = r["forecast"]
            res["forecast_period"] = forecast_label[has_due]
            res["forecast_meets"] = meets[i]
        branch = int(j.branch[i])
        if branch > NO_TARGET:
            res["actual"] = a
            res["attainment"] = r["attainment"]
            res["score"] = min(a_, SCORE_CAP) if (a_ := r["attainment"]) is not None else None
            res["progress"] = r["progress"]
            res["expected_progress"] = r["expected"]
            res["needed"] = r["needed"]
        elif branch == NO_TARGET:
            res["actual"] = a
        res["why"] = _why(kpi, branch, j, i, ctx.at_risk, p_label, due_label)
        if before is not None:
            res["previous_status"] = before.status[i]
            res["status_change"] = status_change(before.status[i], j.status[i])
        results.append(KPIResult.model_validate(res))
    return results


def _forecasts(
    s: _Series,
    p: pd.Period,
    partial: bool,
    actual: np.ndarray,
    j: _Judged,
    horizon_due: pd.Period,
    horizon_none: pd.Period,
) -> np.ndarray:
    """The forecast of every member with a value: a line through its last 6 values up to ``p``
    (at least 3; a partial period's own total is not a trend and is left out)."""
    n = s.n
    out = np.full(n, np.nan)
    end = int(np.searchsorted(s.ords, p.ordinal, side="right"))
    if partial and s.pos(p) >= 0:
        end -= 1
    lo = max(0, end - FORECAST_WINDOW)
    window = s.values[:, lo:end]
    seen = ~np.isnan(window)
    rows = np.flatnonzero(~np.isnan(actual) & (seen.sum(axis=1) >= FORECAST_MIN_POINTS))
    if not len(rows):
        return out
    x = (s.ords[lo:end] - p.ordinal).astype("float64")
    steps = np.where(j.has_due, P.diff(horizon_due, p), P.diff(horizon_none, p))
    # Members with values in the same periods share the x of their points: np.polyfit fits
    # them together, one least-squares solve with a column per member, which gives each
    # member the numbers it gets fitted alone. A window whose largest value LAPACK would
    # rescale (_FIT_SMALL, _FIT_BIG) is fitted on its own: in a joint solve the other
    # members' values decide the scaling. An infinite value is such a peak, and such a
    # window was always fitted on its own.
    peak = np.where(seen[rows], np.abs(window[rows]), 0.0).max(axis=1)
    scaled = (peak > 0) & ((peak < _FIT_SMALL) | (peak > _FIT_BIG))
    alone = rows[scaled]
    rows = rows[~scaled]
    fits: list[tuple[np.ndarray, np.ndarray]] = []
    if len(rows):
        patterns, which = np.unique(seen[rows], axis=0, return_inverse=True)
        which = which.ravel()
        fits = [(rows[which == k], keep) for k, keep in enumerate(patterns)]
    fits += [(alone[k : k + 1], seen[i]) for k, i in enumerate(alone)]
    for members, keep in fits:
        slope, intercept = np.polyfit(x[keep], window[np.ix_(members, keep)].T, 1)
        out[members] = intercept + slope * steps[members]
    return _finite(out)


def _why(
    kpi: KPI, branch: int, j: _Judged, i: int, thr: float, p_label: str, due_label: str | None
) -> str:
    """The sentence that says why member ``i`` has its status."""
    actual = float(j.actual[i])
    t = j.target.at(i)
    if branch == NO_VALUE:
        return j.why_none[i] or f"no value for {p_label} → no_data"
    if branch == NO_TARGET:
        return f"{t.problem or 'no target'} for {p_label}; status needs a target → no_data"
    if branch == MET:
        return _met_why(actual, t, kpi.direction)
    status = j.status[i]
    if branch == DUE_PASSED:
        cmp = "<" if kpi.direction == "higher" else ">"
        return (
            f"due {due_label} passed without the target met ({num(actual)} {cmp} "
            f"{num(t.value)}) → off_track"
        )
    progress, exp = float(j.progress[i]), float(j.expected[i])
    if branch == NOTHING_EXPECTED:
        return f"progress {progress:.2f}; no progress expected yet at {p_label} → on_track"
    if branch == PACE:
        ratio = progress / exp
        bound = 1.0 if ratio >= 1 else thr
        sign = ">=" if ratio >= bound else "<"
        return (
            f"progress {progress:.2f} of expected {exp:.2f} = {ratio:.2f} "
            f"{sign} {bound:.2f} → {status}"
        )
    if branch == NO_ATTAINMENT:
        return (
            f"{num(actual)} misses the target {num(t.value)}; attainment is undefined "
            "(needs positive actual and target) → off_track"
        )
    ratio = float(j.attainment[i])
    sign = ">=" if ratio >= thr else "<"
    if t.is_band:
        bound = t.low if t.low is not None and actual < t.low else t.high
        frac = f"{num(actual)}/{num(bound)}" if bound == t.low else f"{num(bound)}/{num(actual)}"
        return f"outside the band: attainment {frac} = {ratio:.2f} {sign} {thr:.2f} → {status}"
    frac = (
        f"{num(actual)}/{num(t.value)}"
        if kpi.direction == "higher"
        else f"{num(t.value)}/{num(actual)}"
    )
    return f"attainment {frac} = {ratio:.2f} {sign} {thr:.2f} → {status}"


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
    """Evaluate one KPI (for one group, ``ctx.group``) in ``ctx.period``: the one-member case
    of ``evaluate_members``. ``series`` is indexed by Period; ``counts`` and ``data_targets``
    are read on its periods."""
    members = Members.one(series, ctx, counts, data_targets)
    return evaluate_members(kpi, members, ctx, problem=problem, status_only=status_only)[0]


def weighted_score(results: list[KPIResult]) -> tuple[float | None, float]:
    """Weight-averaged score of the results that have one, and the total weight used."""
    pairs = [(r.score, r.weight) for r in results if r.score is not None and r.weight > 0]
    if not pairs:
        return None, 0.0
    total = sum(w for _, w in pairs)  # > 0: every weight in it is
    return sum(s * w for s, w in pairs) / total, total
