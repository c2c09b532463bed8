"""R rules (relevant): every KPI serves an objective, every objective has a few KPIs, not
only lagging ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpicli.engine.rules.catalogue import MAX_KPIS_PER_OBJECTIVE, check
from kpicli.engine.rules.context import RuleContext, RuleHit, kpi_path, text_id, unique


def _kpis_by_objective(ctx: RuleContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for _, raw in ctx.raw_kpis:
        ref = text_id(raw.get("objective"))
        if ref is not None:
            out.setdefault(ref, []).append(raw)
    return out


@check(
    "R401",
    bad="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - id: csat
    name: Customer satisfaction
""",
    good="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - id: csat
    name: Customer satisfaction
    objective: delight
""",
)
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
            )


@check(
    "R402",
    bad="""\
objectives:
  - id: delight
    title: Delight our customers
  - id: grow
    title: Grow in the EU
kpis:
  - id: csat
    name: Customer satisfaction
    objective: delight
""",
    good="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - id: csat
    name: Customer satisfaction
    objective: delight
""",
)
def check_objective_has_kpi(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        if not linked.get(obj.id):
            yield RuleHit(
                "R402", ("objectives", j),
                f"objective {obj.id!r} has no KPI: link one with objective: {obj.id}, or remove "
                "the objective",
            )


@check(
    "R403",
    bad="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - id: csat
    name: Customer satisfaction
    objective: delight
    kind: lagging
""",
    good="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - id: csat
    name: Customer satisfaction
    objective: delight
    kind: lagging
  - id: first_response
    name: First response time
    objective: delight
    kind: leading
""",
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
            )


@check(
    "R404",
    bad="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - {id: k1, name: Support measure 1, objective: delight}
  - {id: k2, name: Support measure 2, objective: delight}
  - {id: k3, name: Support measure 3, objective: delight}
  - {id: k4, name: Support measure 4, objective: delight}
  - {id: k5, name: Support measure 5, objective: delight}
  - {id: k6, name: Support measure 6, objective: delight}
  - {id: k7, name: Support measure 7, objective: delight}
  - {id: k8, name: Support measure 8, objective: delight}
""",
    good="""\
objectives:
  - id: delight
    title: Delight our customers
kpis:
  - {id: k1, name: Support measure 1, objective: delight}
  - {id: k2, name: Support measure 2, objective: delight}
  - {id: k3, name: Support measure 3, objective: delight}
  - {id: k4, name: Support measure 4, objective: delight}
  - {id: k5, name: Support measure 5, objective: delight}
  - {id: k6, name: Support measure 6, objective: delight}
  - {id: k7, name: Support measure 7, objective: delight}
""",
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
            )

