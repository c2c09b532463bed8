"""E rules: the file cannot be used as written (ignore ids, duplicate ids, references,
formulas and filters). E001 (YAML syntax) and most E002 findings come from the loader,
kpicli.definitions.load; their examples are declared here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpicli.engine.rules.catalogue import CATALOGUE, check, examples, is_rule_selector
from kpicli.engine.rules.context import (
    RuleContext,
    RuleHit,
    did_you_mean,
    kpi_path,
    text_id,
    unique,
)
from kpicli.engine.rules.example import OBJECTIVE, Example, kpi_file


# E001 is found by the YAML loader (kpicli.definitions.yamlfile) before any rule runs.
def _resolution_rate(formula: str) -> Example:
    return kpi_file(
        f"formula: {formula}", kpi="resolution_rate", name="Resolution rate",
        more="  - {id: resolved, name: Tickets resolved}\n"
        "  - {id: received, name: Tickets received}\n",
    )


examples(
    "E001",
    bad=kpi_file("target: {value: 85, due: 2026-12"),
    good=kpi_file("target: {value: 85, due: 2026-12}"),
)


@check(
    "E002",
    bad=kpi_file("tagret: {value: 85, due: 2026-12}"),
    good=kpi_file("target: {value: 85, due: 2026-12}"),
)
def check_ignore_ids(ctx: RuleContext) -> Iterator[RuleHit]:
    """Most E002 findings come from the loader; this checks the rule ids in ``ignore:``."""
    known = list(CATALOGUE)
    for i, raw in ctx.raw_kpis:
        ignore = raw.get("ignore")
        if not isinstance(ignore, list):
            continue
        for j, item in enumerate(ignore):
            if not isinstance(item, str) or is_rule_selector(item):
                continue
            yield RuleHit(
                "E002", kpi_path(i, "ignore", j),
                f"ignore names unknown rule {item!r}{did_you_mean(item.upper(), known)}; "
                "`kpi rules` lists the rule ids",
                text_id(raw.get("id")),
                context={"rule": item},
            )



@check(
    "E003",
    bad=kpi_file(more="  - id: csat\n    name: Net promoter score\n"),
    good=kpi_file(more="  - id: nps\n    name: Net promoter score\n"),
)
def check_duplicate_ids(ctx: RuleContext) -> Iterator[RuleHit]:
    for what, items in (("KPI", ctx.raw_kpis), ("objective", ctx.raw_objectives)):
        section = "kpis" if what == "KPI" else "objectives"
        first: dict[str, int] = {}
        for i, raw in items:
            rid = text_id(raw.get("id"))
            if rid is None:
                continue
            if rid in first:
                yield RuleHit(
                    "E003", (section, i, "id"),
                    f"duplicate {what} id {rid!r}: an earlier {what} already uses it; give each "
                    f"{what} a unique id",
                    rid if what == "KPI" else None,
                    related=(section, first[rid], "id"), related_label="first used",
                    context={"id": rid, "kind": what},
                )
            else:
                first[rid] = i


@check(
    "E004",
    bad=kpi_file("objective: delihgt", top=OBJECTIVE),
    good=kpi_file("objective: delight", top=OBJECTIVE),
)
def check_objective_refs(ctx: RuleContext) -> Iterator[RuleHit]:
    ids = [x for _, raw in ctx.raw_objectives if (x := text_id(raw.get("id")))]
    for i, raw in ctx.raw_kpis:
        ref = text_id(raw.get("objective"))
        if ref is None or ref in ids:
            continue
        if ids:
            hint = did_you_mean(ref, ids) or f"; known objectives: {', '.join(unique(ids)[:8])}"
            fix = "fix the id, or add the objective under objectives:"
        else:
            hint, fix = "", "no objectives are defined; add it under objectives: with an id and title"
        yield RuleHit(
            "E004", kpi_path(i, "objective"),
            f"objective {ref!r} is not defined{hint}; {fix}",
            text_id(raw.get("id")),
            context={"objective": ref},
        )


def has_expressions(ctx: RuleContext, *, filters: bool = True) -> bool:
    """Whether any KPI has a formula (or a where filter): the parser (and pandas) load only then."""
    for _, raw in ctx.raw_kpis:
        if isinstance(raw.get("formula"), str):
            return True
        measure = raw.get("measure")
        if filters and isinstance(measure, dict) and isinstance(measure.get("where"), str):
            return True
    return False


@check(
    "E005",
    bad=_resolution_rate("resolved / recieved * 100"),
    good=_resolution_rate("resolved / received * 100"),
)
def check_formulas(ctx: RuleContext) -> Iterator[RuleHit]:
    if not has_expressions(ctx, filters=False):
        return
    from kpicli.engine.formula_graph import formula_graph

    graph = formula_graph(
        (
            (kid, formula, i)
            for i, raw in ctx.raw_kpis
            if isinstance(formula := raw.get("formula"), str) and formula.strip()
            and (kid := text_id(raw.get("id"))) is not None
        ),
        (kid for _, raw in ctx.raw_kpis if (kid := text_id(raw.get("id")))),
    )
    where: dict[str, int] = {}
    for entry in graph.entries:
        if entry.error is not None:
            continue  # E006 reports it
        where.setdefault(entry.kpi, entry.where)
        for name in entry.unknown:
            hint = did_you_mean(name, list(graph.spelling))
            yield RuleHit(
                "E005", kpi_path(entry.where, "formula"),
                f"formula names {name!r}, which is not a KPI id{hint}; formulas combine other KPIs "
                "by id (write ids containing - or . with _ or in backticks)",
                entry.kpi,
                context={"unknown": [name]},
            )
    for cycle in graph.cycles():
        path = cycle.path
        head = path[0]
        yield RuleHit(
            "E005", kpi_path(where[head], "formula"),
            f"formulas form a cycle: {' → '.join(path)}; a KPI cannot be computed from itself — "
            "measure one of them from the data (measure:) instead of a formula",
            head,
            context={"cycle": list(path)},
        )


@check(
    "E006",
    bad=_resolution_rate("resolved / * 100"),
    good=_resolution_rate("resolved / received * 100"),
)
def check_expressions(ctx: RuleContext) -> Iterator[RuleHit]:
    if not has_expressions(ctx):
        return
    from kpicli.engine.expr import ExpressionError, parse_expression

    for i, raw in ctx.raw_kpis:
        kid = text_id(raw.get("id"))
        formula = raw.get("formula")
        if isinstance(formula, str) and formula.strip():
            try:
                parse_expression(formula, "formula")
            except ExpressionError as exc:
                yield RuleHit(
                    "E006", kpi_path(i, "formula"),
                    f"formula cannot be read: {_expr_problem(exc)}; write arithmetic over KPI "
                    "ids such as `support_cost / tickets_resolved`",
                    kid,
                    context={"formula": formula},
                )
        measure = raw.get("measure")
        cond = measure.get("where") if isinstance(measure, dict) else None
        if isinstance(cond, str):
            try:
                parse_expression(cond, "filter")
            except ExpressionError as exc:
                yield RuleHit(
                    "E006", kpi_path(i, "measure", "where"),
                    f"where filter cannot be read: {_expr_problem(exc)}; write a condition "
                    "such as \"channel == 'email' and region in ['EU', 'UK']\"",
                    kid,
                    context={"filter": cond},
                )
                continue
            if ctx.table is not None and not formula:
                # With data, the filter must also apply to it (its columns exist, its values
                # compare): the report refuses the KPI otherwise, with the same rule.
                from kpicli.engine.expr import evaluate_filter

                try:
                    evaluate_filter(cond, ctx.table.frame)
                except ExpressionError as exc:
                    yield RuleHit(
                        "E006", kpi_path(i, "measure", "where"),
                        f"where filter cannot be applied to the data: {_expr_problem(exc)}; "
                        "name columns as they are in the data",
                        kid,
                        context={"filter": cond},
                    )


def _expr_problem(exc: Any) -> str:
    offset = getattr(exc, "offset", None)
    msg = getattr(exc, "message", None) or str(exc)
    return f"{msg} (at character {offset + 1})" if isinstance(offset, int) and offset else msg

