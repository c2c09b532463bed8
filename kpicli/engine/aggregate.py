"""Per-KPI, per-period (and per-group) aggregation of the measurement table; formula KPIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpicli.engine import periods as P
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import BASELINE, DATE, TARGET, VALUE, Table
from kpicli.model.table import KPI as KPI_COL

OVERALL = ""  # group key of the whole population (no breakdown)
_PCT = re.compile(r"^p(\d{1,3})$")
_ADDITIVE = {"sum", "count", "nunique"}


def default_aggregate(kpi: KPI, model: KPIFile | None = None) -> str:
    """The aggregate a KPI uses: its own, the file default, else sum for counts and money."""
    if kpi.measure is not None and kpi.measure.aggregate:
        return kpi.measure.aggregate
    if model is not None and model.defaults.aggregate:
        return model.defaults.aggregate
    unit = (kpi.unit or "").strip().lower()
    if unit in {"count", "number", "#"} or unit.startswith(("currency", "eur", "usd", "gbp")):
        return "sum"
    return "mean"


def normalise_label(text: object) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text)).strip().casefold()


@dataclass
class Actuals:
    """Aggregated values: index (group, period ordinal) → one column per KPI id."""

    grain: str
    fiscal_year_start: int
    by: str | None
    values: pd.DataFrame
    counts: pd.DataFrame
    targets: pd.DataFrame
    periods: pd.PeriodIndex
    baselines: dict[tuple[str, str], float] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return list(self.values.index.get_level_values(0).unique())

    def series(self, kpi_id: str, group: str = OVERALL, frame: str = "values") -> pd.Series:
        """One KPI's values over all periods of the data, indexed by Period (NaN where none)."""
        df = getattr(self, frame)
        if kpi_id not in df.columns:
            return pd.Series(np.nan, index=self.periods, dtype="float64")
        try:
            s = df[kpi_id].xs(group, level=0)
        except KeyError:
            return pd.Series(np.nan, index=self.periods, dtype="float64")
        s = s.reindex(self.periods.asi8)
        s.index = self.periods
        return s.astype("float64")


def _aggregate(values: pd.Series, keys: list[pd.Series], how: str) -> pd.Series:
    g = values.groupby(keys, observed=True, sort=False)
    m = _PCT.match(how)
    if m:
        return g.quantile(int(m.group(1)) / 100.0)
    if how == "count":
        return g.count()
    if how == "nunique":
        return g.nunique()
    if how == "sum":
        return g.sum(min_count=0)
    return getattr(g, how)()


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def compute_actuals(
    model: KPIFile,
    table: Table,
    grain: str | None = None,
    by: str | None = None,
) -> Actuals:
    """Aggregate every KPI per period (and per member of ``by``); then evaluate formulas.

    Rules (SPEC §2 "aggregates"): percentiles interpolate linearly; ``count`` counts non-empty
    cells; a period with rows of the KPI but none passing ``where`` gives 0 for count/sum and
    no value for the other aggregates; a period with no rows of the KPI has no value.
    """
    grain = grain or model.period
    fys = model.fiscal_year_start
    frame = table.frame
    f = P.freq(grain, fys)
    period = frame[DATE].dt.to_period(f)
    ordinals = pd.Series(period.array.asi8, index=frame.index)
    if len(frame):
        lo, hi = int(ordinals.min()), int(ordinals.max())
        all_periods = pd.period_range(pd.Period(ordinal=lo, freq=f), periods=hi - lo + 1, freq=f)
    else:
        all_periods = pd.PeriodIndex([], freq=f)

    group_keys: list[tuple[str, pd.Series | None]] = [(OVERALL, None)]
    if by is not None:
        group_col = frame[by].astype("string").fillna("(blank)").str.strip()
        group_keys.append((by, group_col))

    long = table.layout == "long"
    if long:
        codes, uniques = pd.factorize(frame[KPI_COL], sort=False)
        norm_uniques = [normalise_label(u) for u in uniques]

    values_cols: dict[str, pd.Series] = {}
    count_cols: dict[str, pd.Series] = {}
    target_cols: dict[str, pd.Series] = {}
    baselines: dict[tuple[str, str], float] = {}
    problems: dict[str, str] = {}
    findings: list[Finding] = []

    def keys_for(mask: np.ndarray | None) -> list[list[pd.Series]]:
        out = []
        for _name, gcol in group_keys:
            o = ordinals if mask is None else ordinals[mask]
            if gcol is None:
                g = pd.Series(OVERALL, index=o.index, dtype="string")
            else:
                g = gcol if mask is None else gcol[mask]
            out.append([g, o])
        return out

    def stack(parts: list[pd.Series]) -> pd.Series:
        s = pd.concat(parts) if parts else pd.Series(dtype="float64")
        if len(s):
            s.index = s.index.set_names(["group", "period"])
        return s

    for kpi in model.kpis:
        if kpi.formula is not None:
            continue
        how = default_aggregate(kpi, model)
        if long:
            wanted = {
                normalise_label(x)
                for x in (kpi.measure.column if kpi.measure else None, kpi.id, kpi.name)
                if x
            }
            hit = [i for i, u in enumerate(norm_uniques) if u in wanted]
            if not hit:
                problems[kpi.id] = (
                    f"no rows for {kpi.measure.column if kpi.measure and kpi.measure.column else kpi.id!r} "
                    f"in the data's KPI column"
                )
                continue
            base = np.isin(codes, hit)
            raw = frame[VALUE]
        else:
            col = (kpi.measure.column if kpi.measure and kpi.measure.column else None) or kpi.id
            if col not in frame.columns:
                problems[kpi.id] = f"column {col!r} is not in the data"
                continue
            base = np.ones(len(frame), dtype=bool)
            raw = frame[col]
        mask = base
        where = kpi.measure.where if kpi.measure else None
        if where:
            from kpicli.engine.expr import ExpressionError, evaluate_filter

            try:
                passed = evaluate_filter(where, frame).to_numpy(dtype=bool, na_value=False)
            except ExpressionError as exc:
                problems[kpi.id] = f"filter cannot be applied: {exc}"
                continue
            mask = base & passed
        vals = raw if how in ("count", "nunique") else _numeric(raw)
        v_parts, c_parts, t_parts = [], [], []
        for (gname, gcol), keys, base_keys in zip(
            group_keys, keys_for(mask), keys_for(base), strict=True
        ):
            del gname, gcol
            present = (
                pd.Series(1, index=base_keys[1].index)
                .groupby(base_keys, observed=True, sort=False)
                .size()
                .index
            )
            sel = vals[mask]
            agg = _aggregate(sel, keys, how).reindex(present)
            if how in _ADDITIVE:
                agg = agg.fillna(0.0)
            v_parts.append(agg.astype("float64"))
            c_parts.append(
                sel.groupby(keys, observed=True, sort=False)
                .count()
                .reindex(present)
                .fillna(0)
                .astype("float64")
            )
            if long and TARGET in frame.columns:
                tsel = frame[TARGET][mask]
                tg = tsel.groupby(keys, observed=True, sort=False)
                t = tg.sum(min_count=1) if how in _ADDITIVE else tg.mean()
                t_parts.append(t.reindex(present).astype("float64"))
        values_cols[kpi.id] = stack(v_parts)
        count_cols[kpi.id] = stack(c_parts)
        if t_parts:
            target_cols[kpi.id] = stack(t_parts)
        if long and BASELINE in frame.columns:
            b = frame.loc[base, BASELINE].dropna()
            if len(b):
                baselines[(kpi.id, OVERALL)] = float(b.iloc[0])

    values = pd.DataFrame(values_cols)
    counts = pd.DataFrame(count_cols)
    targets = pd.DataFrame(target_cols)
    if values.empty:
        idx = pd.MultiIndex.from_arrays([[], []], names=["group", "period"])
        values = pd.DataFrame(index=idx)
        counts = pd.DataFrame(index=idx)
    values = _with_formulas(model, values, problems)
    return Actuals(
        grain=grain,
        fiscal_year_start=fys,
        by=by,
        values=values,
        counts=counts.reindex(index=values.index),
        targets=targets.reindex(index=values.index),
        periods=all_periods,
        baselines=baselines,
        problems=problems,
        findings=findings,
    )


def formula_order(model: KPIFile) -> tuple[list[KPI], dict[str, str]]:
    """Formula KPIs in dependency order, and the ones that cannot be computed (with why)."""
    from kpicli.engine.expr import ExpressionError, formula_namespace, parse_expression

    spelling = formula_namespace(k.id for k in model.kpis)
    formulas = {k.id: k for k in model.kpis if k.formula is not None}
    deps: dict[str, set[str]] = {}
    problems: dict[str, str] = {}
    for kid, kpi in formulas.items():
        try:
            expr = parse_expression(kpi.formula or "", "formula")
        except ExpressionError as exc:
            problems[kid] = f"formula cannot be read: {exc}"
            continue
        unknown = sorted(n for n in expr.names if n not in spelling)
        if unknown:
            problems[kid] = f"formula names unknown KPI {', '.join(map(repr, unknown))}"
            continue
        deps[kid] = {spelling[n] for n in expr.names}
    order: list[KPI] = []
    state: dict[str, int] = {}

    def visit(kid: str, trail: list[str]) -> bool:
        if state.get(kid) == 2:
            return True
        if state.get(kid) == 1:
            cycle = " → ".join([*trail[trail.index(kid) :], kid])
            for k in trail[trail.index(kid) :]:
                problems.setdefault(k, f"formulas form a cycle: {cycle}")
            return False
        state[kid] = 1
        ok = True
        for d in deps.get(kid, ()):
            if d in formulas and (d in problems or not visit(d, [*trail, kid])):
                ok = False
        state[kid] = 2
        if ok and kid not in problems:
            order.append(formulas[kid])
        elif kid not in problems:
            problems[kid] = "formula depends on a KPI that cannot be computed"
        return ok

    for kid in formulas:
        if kid in deps:
            visit(kid, [])
    return order, problems


def _with_formulas(model: KPIFile, values: pd.DataFrame, problems: dict[str, str]) -> pd.DataFrame:
    """Evaluate formula KPIs column-wise on the aggregated frame (ratios of sums)."""
    if not any(k.formula is not None for k in model.kpis):
        return values
    from kpicli.engine.expr import ExpressionError, formula_namespace, parse_expression

    order, bad = formula_order(model)
    problems.update(bad)
    if not order:
        return values
    spelling = formula_namespace(k.id for k in model.kpis)
    cols = dict(values.items())
    for kpi in order:
        expr = parse_expression(kpi.formula or "", "formula")
        ns = {}
        for name in expr.names:
            kid = spelling[name]
            ns[name] = cols.get(kid, pd.Series(np.nan, index=values.index, dtype="float64"))
        try:
            result = expr.evaluate(ns)
        except ExpressionError as exc:
            problems[kpi.id] = f"formula cannot be evaluated: {exc}"
            continue
        if not isinstance(result, pd.Series):
            result = pd.Series(float(result), index=values.index)
        cols[kpi.id] = result.astype("float64").replace([np.inf, -np.inf], np.nan)
    return pd.DataFrame(cols, index=values.index)
