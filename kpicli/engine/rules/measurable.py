"""M rules (measurable) that need no data: something to measure, an aggregate that fits the
unit, no secret in data.url. The M rules that look at the data are in rules/data.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

from kpicli.engine.rules.catalogue import check
from kpicli.engine.rules.context import (
    ROW_AGGREGATES,
    RuleContext,
    RuleHit,
    effective_aggregate,
    kpi_path,
    unit_kind,
)
from kpicli.engine.rules.data import unmatched_kpis
from kpicli.engine.rules.example import kpi_file, monthly


@check(
    "M201",
    bad=kpi_file(kpi="backlog", name="Open ticket backlog", data=monthly("open_tickets", 120, 95)),
    good=kpi_file("measure: {column: open_tickets}", kpi="backlog", name="Open ticket backlog",
             data=monthly("open_tickets", 120, 95)),
)
def check_something_to_measure(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.formula is not None and not kpi.formula.strip():
            yield RuleHit(
                "M201", kpi_path(i, "formula"),
                "formula is empty: write arithmetic over other KPI ids, or replace it with "
                "measure: {column: ...}",
                kpi.id,
                context={"field": "formula"},
            )
        elif kpi.measure is not None and kpi.measure.column is not None and not (
            kpi.measure.column.strip()
        ):
            yield RuleHit(
                "M201", kpi_path(i, "measure", "column"),
                "measure.column is empty: name the data column to measure, or leave it out to "
                "use the KPI id",
                kpi.id,
                context={"field": "measure.column"},
            )
    if ctx.table is None:
        return
    yield from unmatched_kpis(ctx)




@check(
    "M202",
    bad=kpi_file("unit: percent", "measure: {column: csat, aggregate: sum}"),
    good=kpi_file("unit: percent", "measure: {column: csat, aggregate: mean}"),
)
def check_aggregate_fits_unit(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.formula is not None:
            continue
        kind = unit_kind(kpi.unit)
        agg, source = effective_aggregate(kpi, ctx.settings)
        path = (
            kpi_path(i, "measure", "aggregate") if source == "measure"
            else ("defaults", "aggregate") if source == "defaults" else kpi_path(i, "unit")
        )
        unit = (kpi.unit or "").strip()
        if agg == "sum" and kind in ("percent", "ratio"):
            yield RuleHit(
                "M202", path,
                f"aggregate sum adds up {unit} values, which gives a meaningless total: use "
                "aggregate: mean (or median), or a formula over two count KPIs "
                "(e.g. resolved / received * 100)",
                kpi.id,
                context={"aggregate": "sum", "unit": unit},
            )
        elif agg in ROW_AGGREGATES and kind in ("percent", "ratio", "currency", "duration"):
            yield RuleHit(
                "M202", path,
                f"aggregate {agg} gives a number of rows, but the unit is {unit}: set unit: count, "
                "or aggregate the values with sum, mean or median",
                kpi.id,
                context={"aggregate": agg, "unit": unit},
            )
        if kpi.accumulate and kind in ("percent", "ratio"):
            yield RuleHit(
                "M202", kpi_path(i, "accumulate"),
                f"accumulate: {kpi.accumulate} sums {unit} values over the year or quarter: "
                "remove accumulate, or track the underlying counts instead",
                kpi.id,
                context={"accumulate": kpi.accumulate, "unit": unit},
            )



@check(
    "M207",
    bad=kpi_file(top='data: {url: "postgresql://kpi:s3cret@db.example.com/support"}\n'),
    good=kpi_file(top='data: {url: "postgresql://kpi@db.example.com/support"}\n'),
)
def check_data_url_secret(ctx: RuleContext) -> Iterator[RuleHit]:

    from kpicli.model.dataurl import url_problem

    spec = ctx.settings.data
    if spec is None:
        return
    url, field = spec.url, "url"
    if url is None and spec.url_env:
        url, field = os.environ.get(spec.url_env), "url_env"
    problem = url_problem(url) if url else None
    if problem and ("password" in problem or "secret" in problem):
        yield RuleHit("M207", ("data", field), problem, None, context={"field": field})

