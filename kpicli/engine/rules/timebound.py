"""T rules (time-bound): a due period, after the baseline, not yet past; a change target
has a baseline to change from."""

from __future__ import annotations

from collections.abc import Iterator

from kpicli.engine.rules.catalogue import check
from kpicli.engine.rules.context import (
    RuleContext,
    RuleHit,
    kpi_path,
    period_span,
    target_base,
    target_field_path,
)
from kpicli.engine.rules.example import kpi_file
from kpicli.model.kpifile import KPI


def _is_per_period(kpi: KPI) -> bool:
    t = kpi.target
    if t is None:
        return True
    return t.is_band or t.schedule is not None or (t.per is not None and kpi.accumulate is not None)


@check(
    "T501",
    bad=kpi_file("target: {value: 85}"),
    good=kpi_file("target: {value: 85, due: 2026-12}"),
)
def check_due(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.target is None or _is_per_period(kpi) or kpi.target.due is not None:
            continue
        yield RuleHit(
            "T501", target_base(ctx, i),
            "target has no due period: add due: (e.g. {value: 90, due: 2026-12}) to make it "
            "time-bound, or write it as a band {min: ...} / {max: ...} if it holds every period",
            kpi.id,
        )


@check(
    "T502",
    bad=kpi_file("baseline: {value: 78, period: 2026-06}", "target: {value: 85, due: 2026-03}"),
    good=kpi_file("baseline: {value: 78, period: 2026-06}", "target: {value: 85, due: 2026-12}"),
)
def check_due_after_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        due = kpi.target.due if kpi.target else None
        start = kpi.baseline.period if kpi.baseline else None
        if due is None or start is None:
            continue
        due_end = period_span(due, fys)[1]
        base_end = period_span(start, fys)[1]
        if due_end <= base_end:
            same = due_end == base_end
            yield RuleHit(
                "T502", kpi_path(i, "target", "due"),
                f"due period {due} is {'the same as' if same else 'before'} the baseline period "
                f"{start}: there is no time to reach the target; set due: to a period after "
                f"{start}, or correct baseline.period",
                kpi.id, related=kpi_path(i, "baseline", "period"), related_label="baseline",
                context={"due": str(due), "baseline": str(start)},
            )


@check(
    "T503",
    bad=kpi_file("target: {value: 85, due: 2025-12}"),
    good=kpi_file("target: {value: 85, due: 2030-12}"),
)
def check_due_past(ctx: RuleContext) -> Iterator[RuleHit]:
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        due = kpi.target.due if kpi.target else None
        if due is None:
            continue
        end = period_span(due, fys)[1]
        if end < ctx.today:
            yield RuleHit(
                "T503", kpi_path(i, "target", "due"),
                f"due period {due} ended on {end.isoformat()}, before today "
                f"({ctx.today.isoformat()}): set the next due period, or retire the KPI",
                kpi.id,
                context={
                    "due": str(due), "ended": end.isoformat(), "today": ctx.today.isoformat(),
                },
            )


@check(
    "T504",
    bad=kpi_file("target: {change: +5%, due: 2026-12}"),
    good=kpi_file("baseline: {value: 78, period: 2026-01}", "target: {change: +5%, due: 2026-12}"),
)
def check_change_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.target is None or kpi.target.change is None:
            continue
        b = kpi.baseline
        if b is None or (b.value is None and b.period is None):
            yield RuleHit(
                "T504", target_field_path(ctx, i, "change"),
                f"change {kpi.target.change} is relative to a baseline, but KPI {kpi.id!r} has "
                "none: add baseline: {value: ..., period: ...}, or give the target as a value",
                kpi.id,
                context={"change": str(kpi.target.change)},
            )

