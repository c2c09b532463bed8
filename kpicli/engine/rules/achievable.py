"""A rules (achievable): a target on the right side of the baseline, asking for a change,
within 0-100 for percentages, and present at all. A304 (pace) needs data: rules/data.py."""

from __future__ import annotations

from collections.abc import Iterator

from kpicli.engine.rules.catalogue import check
from kpicli.engine.rules.context import (
    RuleContext,
    RuleHit,
    YamlPath,
    direction_note,
    fmt,
    kpi_path,
    level_target,
    schedule_items,
    target_field_path,
    unit_kind,
)
from kpicli.engine.rules.example import kpi_file
from kpicli.model.values import parse_number

BASELINE = "baseline: {value: 78, period: 2026-01}"


@check(
    "A301",
    bad=kpi_file(BASELINE, "target: {value: 70, due: 2026-12}"),
    good=kpi_file(BASELINE, "target: {value: 85, due: 2026-12}"),
)
def check_target_side(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        b = kpi.baseline.value if kpi.baseline else None
        if b is None or kpi.target is None:
            continue
        higher = kpi.direction == "higher"
        note = direction_note(ctx, i)
        change = kpi.target.change_amount
        if change is not None:
            amount, relative = change
            if amount != 0 and (amount < 0) == higher:
                shown = f"{amount:+g}{'%' if relative else ''}"
                yield RuleHit(
                    "A301", target_field_path(ctx, i, "change"),
                    f"change {shown} moves the KPI {'down' if amount < 0 else 'up'} but direction "
                    f"is {kpi.direction}{note}: flip the sign of the change, or set direction: "
                    f"{'lower' if higher else 'higher'} if {'smaller' if higher else 'bigger'} "
                    "is better",
                    kpi.id,
                    context={"change": shown, "direction": kpi.direction},
                )
            continue
        level = level_target(kpi)
        if level is None:
            continue
        name, value = level
        if value != b and (value < b) == higher:
            yield RuleHit(
                "A301", target_field_path(ctx, i, name),
                f"target {fmt(value)} is {'below' if value < b else 'above'} the baseline "
                f"{fmt(b)} but direction is {kpi.direction}{note}: set a target "
                f"{'above' if higher else 'below'} {fmt(b)}, or set direction: "
                f"{'lower' if higher else 'higher'} if {'smaller' if higher else 'bigger'} is better",
                kpi.id,
                context={"target": value, "baseline": b, "direction": kpi.direction},
            )


@check(
    "A302",
    bad=kpi_file(BASELINE, "target: {value: 78, due: 2026-12}"),
    good=kpi_file(BASELINE, "target: {value: 85, due: 2026-12}"),
)
def check_target_equals_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        b = kpi.baseline.value if kpi.baseline else None
        t = kpi.target
        if t is None:
            continue
        change = t.change_amount
        if change is not None and change[0] == 0:
            yield RuleHit(
                "A302", target_field_path(ctx, i, "change"),
                "change 0 asks for no change: set the improvement wanted, or use a band "
                "{min: ...} to hold the level",
                kpi.id,
                context={"change": 0},
            )
            continue
        level = t.value
        if level is None and b is not None and not (t.min is not None and t.max is not None):
            level = t.min if t.min is not None else t.max
        if b is not None and level is not None and level == b:
            yield RuleHit(
                "A302", target_field_path(ctx, i, "value" if t.value is not None else
                                           ("min" if t.min is not None else "max")),
                f"target {fmt(level)} equals the baseline: it is met from the start; ask for an "
                "improvement, or use a band {min: ...} if holding the level is the goal",
                kpi.id,
                context={"target": level, "baseline": b},
            )


@check(
    "A303",
    bad=kpi_file("unit: percent", "target: {value: 120, due: 2026-12}"),
    good=kpi_file("unit: percent", "target: {value: 95, due: 2026-12}"),
)
def check_percent_targets(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if unit_kind(kpi.unit) != "percent":
            continue
        t = kpi.target
        candidates: list[tuple[YamlPath, str, float]] = []
        if t is not None:
            for name in ("value", "min", "max"):
                v = getattr(t, name)
                if v is not None:
                    candidates.append((target_field_path(ctx, i, name), f"target {name}", v))
            change = t.change_amount
            b = kpi.baseline.value if kpi.baseline else None
            if change is not None and b is not None:
                amount, relative = change
                level = b * (1 + amount / 100) if relative else b + amount
                candidates.append((target_field_path(ctx, i, "change"), "the changed target", level))
        for path, period, v in schedule_items(ctx, i):
            candidates.append((path, f"scheduled target for {period}", v))
        raw_by = ctx.raw_kpi(i).get("targets_by")
        if isinstance(raw_by, dict):
            for col, members in raw_by.items():
                if not isinstance(members, dict):
                    continue
                for member, value in members.items():
                    try:
                        v = parse_number(value)
                    except ValueError:
                        continue
                    path = kpi_path(i, "targets_by", col, member)
                    candidates.append((path, f"target for {col} {member}", v))
        for path, what, v in candidates:
            if not 0 <= v <= 100:
                yield RuleHit(
                    "A303", path,
                    f"{what} is {fmt(v)}, outside 0–100 for a percent KPI: write percentages on "
                    "the 0–100 scale (85 or \"85%\"), or change the unit if this is not a percent",
                    kpi.id,
                    context={"value": v, "what": what},
                )


@check("A305", bad=kpi_file(), good=kpi_file("target: {value: 85, due: 2026-12}"))
def check_has_target(ctx: RuleContext) -> Iterator[RuleHit]:
    data_spec = ctx.settings.data
    if data_spec is not None and data_spec.target_column:
        return
    if ctx.table is not None:
        from kpicli.model.table import TARGET

        if TARGET in ctx.table.frame.columns:
            return
    for i, kpi in ctx.kpis:
        if kpi.target is None and not kpi.targets_by:
            yield RuleHit(
                "A305", kpi_path(i),
                f"KPI {kpi.id!r} has no target, so it gets no status: add target: (e.g. "
                "{value: 90, due: 2026-12}), a schedule, targets_by, or a target column in the data",
                kpi.id,
            )

