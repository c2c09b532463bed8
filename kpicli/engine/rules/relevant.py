"""R rules (relevant): every KPI serves an objective, every objective has a few KPIs, not
only lagging ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpicli.engine.rules.catalogue import MAX_KPIS_PER_OBJECTIVE, check
from kpicli.engine.rules.context import RuleContext, RuleHit, kpi_path, text_id, unique
from kpicli.engine.rules.example import OBJECTIVE, Example, kpi_file


def _kpis_by_objective(ctx: RuleContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for _, raw in ctx.raw_kpis:
        ref = text_id(raw.get("objective"))
        if ref is not None:
            out.setdefault(ref, []).append(raw)
    return out


def _kpis_on_delight(n: int) -> Example:
    kpis = "".join(
        f"  - {{id: k{i}, name: Support measure {i}, objective: delight}}\n" for i in range(1, n + 1)
    )
    return Example(OBJECTIVE + "kpis:\n" + kpis)


@check("R401", bad=kpi_file(top=OBJECTIVE), good=kpi_file("objective: delight", top=OBJECTIVE))
def check_linked(ctx: RuleContext) -> Iterator[RuleHit]:
    ids = unique([x for _, raw in ctx.raw_objectives if (x := text_id(raw.get("id")))])
    choices = f" (one of: {', '.join(ids[:6])})" if ids else ""
    for i, kpi in ctx.kpis:
        if kpi.objective is None:
            yield RuleHit(
                "R401", kpi_path(i),
                f"KPI {kpi.id!r} is not linked to an objective: add objective: <id>{choices} so "
                "it is clear what it serves",
                kpi.id,
                context={"objectives": ids},
            )


@check(
    "R402",
    bad=kpi_file("objective: delight", top=OBJECTIVE + "  - id: grow\n    title: Grow in the EU\n"),
    good=kpi_file("objective: delight", top=OBJECTIVE),
)
def check_objective_has_kpi(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        if not linked.get(obj.id):
            yield RuleHit(
                "R402", ("objectives", j),
                f"objective {obj.id!r} has no KPI: link one with objective: {obj.id}, or remove "
                "the objective",
                context={"objective": obj.id},
            )


@check(
    "R403",
    bad=kpi_file("objective: delight", "kind: lagging", top=OBJECTIVE),
    good=kpi_file(
        "objective: delight", "kind: lagging", top=OBJECTIVE,
        more="  - {id: first_response, name: First response time, objective: delight, "
        "kind: leading}\n",
    ),
)
def check_leading(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        kpis = linked.get(obj.id, [])
        if kpis and all(raw.get("kind") == "lagging" for raw in kpis):
            ids = ", ".join(str(raw.get("id")) for raw in kpis[:5])
            yield RuleHit(
                "R403", ("objectives", j),
                f"objective {obj.id!r} is measured only by lagging KPIs ({ids}): add a leading "
                "KPI (kind: leading) that predicts it, so problems show before the results do",
                context={"objective": obj.id, "lagging": [str(raw.get("id")) for raw in kpis]},
            )


@check(
    "R404",
    bad=_kpis_on_delight(MAX_KPIS_PER_OBJECTIVE + 1),
    good=_kpis_on_delight(MAX_KPIS_PER_OBJECTIVE),
)
def check_too_many(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        n = len(linked.get(obj.id, []))
        if n > MAX_KPIS_PER_OBJECTIVE:
            yield RuleHit(
                "R404", ("objectives", j),
                f"objective {obj.id!r} has {n} KPIs: more than {MAX_KPIS_PER_OBJECTIVE} dilutes "
                "focus; keep the few that decide it, or split the objective",
                context={"objective": obj.id, "kpis": n, "max": MAX_KPIS_PER_OBJECTIVE},
            )

