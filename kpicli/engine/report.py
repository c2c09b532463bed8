"""Build the Report: aggregate, evaluate every KPI (and group), score, collect findings."""

from __future__ import annotations

import datetime as dt
import difflib

import numpy as np
import pandas as pd

from kpicli.engine import coverage as C
from kpicli.engine import periods as P
from kpicli.engine.aggregate import OVERALL, compute_actuals, default_aggregate
from kpicli.engine.evaluate import Context, Members, evaluate_members, num, weighted_score
from kpicli.engine.quality import series_findings, table_findings, target_column_findings
from kpicli.engine.rules.catalogue import finding
from kpicli.errors import KpiError
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Finding, KPIResult, Report, ScoreLine
from kpicli.model.table import Table


def _score_line(id_: str, title: str | None, results: list[KPIResult]) -> ScoreLine:
    score, weight = weighted_score(results)
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return ScoreLine(
        id=id_, title=title, score=score, weight=weight, kpis=len(results), statuses=statuses
    )


def check_breakdown(table: Table, by: str) -> None:
    if by not in table.frame.columns or by.startswith("_"):
        cols = table.data_columns
        close = difflib.get_close_matches(by, cols, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise KpiError(
            f"cannot break down by {by!r}: no such column in the data; {hint}"
            f"columns: {', '.join(cols) or '(none)'}"
        )


def resolve_period(
    text: str | None,
    actuals_periods: pd.PeriodIndex,
    latest: pd.Period | None,
    grain: str,
    fys: int,
    read: str = "",
) -> pd.Period:
    if text is None:
        if latest is None:
            where = f" (read: {read})" if read else ""
            raise KpiError(
                f"the data{where} has no values for any KPI; check the KPI file's measures "
                "against the data's columns (kpi validate --data ...)"
            )
        return latest
    try:
        p = P.parse(text, grain, fys)
    except ValueError as exc:
        raise KpiError(f"--period {text!r}: {exc}") from None
    if len(actuals_periods) and not (actuals_periods.min() <= p <= actuals_periods.max()):
        first = P.label(actuals_periods.min(), grain, fys)
        last = P.label(actuals_periods.max(), grain, fys)
        raise KpiError(f"--period {text!r} is outside the data, which covers {first} to {last}")
    return p


def build_report(
    model: KPIFile,
    table: Table,
    *,
    period: str | None = None,
    by: str | None = None,
    history: int = 12,
    today: dt.date | None = None,
    sources: list[str] | None = None,
) -> Report:
    """The whole scorecard for one period; pure apart from reading ``today``'s date."""
    today = today or dt.date.today()
    grain, fys = model.period, model.fiscal_year_start
    if by is None and model.breakdown:
        by = model.breakdown[0]
    if by is not None:
        check_breakdown(table, by)
    C.check_grain(table.native_grain, grain)
    actuals = compute_actuals(model, table, grain, by)
    overall = actuals.values.xs(OVERALL, level=0) if len(actuals.values) else actuals.values
    filled: list[pd.Period] = []
    if len(overall):
        has = overall.notna().any(axis=1)
        f = P.freq(grain, fys)
        filled = [pd.Period(ordinal=int(o), freq=f) for o in overall.index[has.to_numpy()]]
    latest = max(filled) if filled else None
    notes = list(table.notes)
    end = C.data_end(table, grain, fys)
    lab = lambda q: P.label(q, grain, fys)  # noqa: E731
    if period is None and latest is not None and C.period_coverage(latest, end) < 1:
        # The latest period is in progress: report the latest complete one (SPEC §3).
        complete = [q for q in filled if q < latest]
        assert end is not None
        if complete:
            notes.append(
                f"{lab(latest)} is in progress: data through {end.isoformat()}; reporting "
                f"{lab(max(complete))}; --period {lab(latest)} for the partial period"
            )
            latest = max(complete)
    read = ", ".join(
        f"{s.path} sheet {s.sheet!r}, header row {s.header_row}" if s.sheet else s.path
        for s in table.sources[:3]
    )
    p = resolve_period(period, actuals.periods, latest, grain, fys, read)
    # Findings that depend on the sheet read name it (kpicli may have chosen it itself).
    from_sheet = any(s.sheet for s in table.sources)
    cover = C.period_coverage(p, end)
    if cover < 1:
        assert end is not None
        notes.append(
            f"{lab(p)} is in progress: data through {end.isoformat()} ({cover:.0%} of the "
            f"period); sum and count KPIs are judged against their target pro-rated to "
            f"{cover:.0%}, and their forecast leaves this period out"
        )
    at_risk = model.defaults.thresholds.at_risk
    named_target = bool(model.data is not None and model.data.target_column)

    groups = [OVERALL] + sorted(g for g in actuals.groups if g != OVERALL)
    names: list[str | None] = [None if g == OVERALL else g for g in groups]
    # Every member of a KPI at once (engine.evaluate.evaluate_members); the report lists the
    # results member by member, the KPIs in file order within each.
    per_kpi: list[list[KPIResult]] = []
    for kpi in model.kpis:
        thr = kpi.thresholds.at_risk if kpi.thresholds else at_risk
        plan = kpi.targets_by.get(by, {}) if kpi.targets_by and by is not None else {}
        member_targets = np.array(
            [
                np.nan if g == OVERALL or plan.get(g) is None else float(plan[g])
                for g in groups
            ],
            dtype="float64",
        )
        ctx = Context(
            period=p,
            grain=grain,
            fiscal_year_start=fys,
            at_risk=thr,
            history=history,
            data_baseline=actuals.baselines.get((kpi.id, OVERALL)),
            coverage=cover if C.additive(kpi, default_aggregate(kpi, model)) else 1.0,
            target_column_named=named_target,
        )
        members = Members(
            periods=actuals.periods,
            values=actuals.matrix(kpi.id, groups),
            groups=names,
            member_targets=member_targets,
            counts=actuals.matrix(kpi.id, groups, "counts"),
            targets=actuals.matrix(kpi.id, groups, "targets"),
        )
        # The previous period's status goes through the very same rules, with that period's
        # target (schedule, data column, pro-rated year to date ...).
        evaluated = evaluate_members(
            kpi, members, ctx, problem=actuals.problems.get(kpi.id), previous_status=True
        )
        if ctx.coverage < 1:
            for res in evaluated:
                if res.actual is not None and res.target is not None:
                    res.why = (
                        f"{lab(p)} is in progress ({ctx.coverage:.0%} covered): target "
                        f"pro-rated to {num(res.target)}; {res.why}"
                    )
        per_kpi.append(evaluated)
    results: list[KPIResult] = [r[i] for i in range(len(groups)) for r in per_kpi]

    top = [r for r in results if r.group is None]
    objectives = []
    for obj in model.objectives:
        objectives.append(_score_line(obj.id, obj.title, [r for r in top if r.objective == obj.id]))
    perspectives = []
    persp = {o.id: o.perspective for o in model.objectives if o.perspective}
    for name in dict.fromkeys(persp.values()):
        members = [r for r in top if r.objective and persp.get(r.objective) == name]
        perspectives.append(_score_line(name, name.title(), members))
    group_lines = []
    if by is not None:
        of_group: dict[str | None, list[KPIResult]] = {}
        for r in results:  # one pass over the results, not one per member
            of_group.setdefault(r.group, []).append(r)
        for g in groups[1:]:
            group_lines.append(_score_line(g, g, of_group.get(g, [])))
        ranked = sorted(group_lines, key=lambda s: (s.score is None, -(s.score or 0), s.id))
        for i, line in enumerate(ranked, 1):
            line.rank = i if line.score is not None else None
        group_lines = ranked
    score, _ = weighted_score(top)

    findings: list[Finding] = list(table.findings) + list(actuals.findings)
    for kid, problem in actuals.problems.items():
        findings.append(
            finding(
                problem.rule,
                f"{kid}: {problem}" + (f" (read: {read})" if from_sheet else ""),
                location=kid,
                kpi=kid,
                context=problem.context,
            )
        )
    findings += table_findings(table, model, today)
    findings += target_column_findings(table, model)
    findings += series_findings(actuals, model, p, {r.id for r in top})
    return Report(
        title=model.title,
        period=P.label(p, grain, fys),
        previous_period=P.label(p - 1, grain, fys),
        grain=grain,
        period_complete=cover >= 1,
        period_coverage=round(cover, 4),
        score=score,
        group_by=by,
        kpis=results,
        objectives=objectives,
        perspectives=perspectives,
        groups=group_lines,
        findings=findings,
        sources=sources or [s.path for s in table.sources],
        periods=[P.label(q, grain, fys) for q in actuals.periods],
        notes=notes,
    )
