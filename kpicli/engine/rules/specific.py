"""S rules (specific): a clear name, a description, an owner and a unit."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kpicli.engine.rules.catalogue import check
from kpicli.engine.rules.context import RuleContext, RuleHit, kpi_path
from kpicli.engine.rules.example import kpi_file

VAGUE_WORDS = {
    "sales", "performance", "quality", "revenue", "growth", "efficiency", "effectiveness",
    "kpi", "kpis", "metric", "metrics", "measure", "score", "scores", "result", "results",
    "productivity", "success", "progress", "output", "value", "improvement", "health",
    "status", "numbers", "stats", "data", "target", "goal", "goals", "index",
}
FILLER_WORDS = {
    "total", "overall", "general", "our", "the", "a", "an", "team", "company", "business",
    "key", "main", "good", "better", "improve", "improved", "increase", "of", "and", "&",
    "in", "for", "new", "my", "kpi", "level",
}


def vague_name(name: str) -> str | None:
    """Why a KPI name is too short or too vague, or None when it is specific enough."""
    text = name.strip()
    words = [w for w in re.split(r"[^\w%&]+", text.lower()) if w]
    meaningful = [w for w in words if w not in FILLER_WORDS]
    if words and (not meaningful or all(w in VAGUE_WORDS for w in meaningful)):
        return "too vague"
    if len(text) < 4 or (len(words) <= 1 and len(text) < 8):
        return "too short"
    return None


@check(
    "S101",
    bad=kpi_file(kpi="sales", name="Sales"),
    good=kpi_file(kpi="sales", name="Net new MRR from EU customers"),
)
def check_names(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        why = vague_name(kpi.name)
        if why:
            yield RuleHit(
                "S101", kpi_path(i, "name"),
                f"name {kpi.name!r} is {why}: say what is measured, of what and how, e.g. "
                "'Median first-response time (hours)' instead of 'Performance'",
                kpi.id,
                context={"name": kpi.name, "why": why},
            )


@check(
    "S102",
    bad=kpi_file("description: Survey score"),
    good=kpi_file("description: Share of survey answers rating 4 or 5 out of 5"),
)
def check_descriptions(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        words = len((kpi.description or "").split())
        if kpi.description is None or not kpi.description.strip():
            yield RuleHit(
                "S102", kpi_path(i),
                f"KPI {kpi.id!r} has no description: add description: with what it measures "
                "and why it matters (five words or more)",
                kpi.id,
                context={"words": 0},
            )
        elif words < 5:
            yield RuleHit(
                "S102", kpi_path(i, "description"),
                f"description has {words} word{'s' if words != 1 else ''}: say what is measured "
                "and why it matters in at least five words",
                kpi.id,
                context={"words": words},
            )


def _unset(ctx: RuleContext, rule: str, key: str, how: str) -> Iterator[RuleHit]:
    """``rule`` for each KPI whose text field ``key`` is missing or blank; ``how`` to fix it."""
    for i, kpi in ctx.kpis:
        if not (getattr(kpi, key) or "").strip():
            path = kpi_path(i, key) if key in ctx.raw_kpi(i) else kpi_path(i)
            yield RuleHit(
                rule, path, f"KPI {kpi.id!r} has no {key}: {how}", kpi.id, context={"missing": key}
            )


@check("S103", bad=kpi_file(), good=kpi_file("owner: Support lead"))
def check_owners(ctx: RuleContext) -> Iterator[RuleHit]:
    yield from _unset(ctx, "S103", "owner", "add owner: with the person or role accountable for it")


@check("S104", bad=kpi_file(), good=kpi_file("unit: percent"))
def check_units(ctx: RuleContext) -> Iterator[RuleHit]:
    yield from _unset(
        ctx, "S104", "unit",
        "add unit: percent, count, currency:EUR, hours, days, points, ratio or another word",
    )
