"""`kpi template`: options -> kpicli.api.template_plan -> the workbook writer."""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
from pathlib import Path
from typing import Annotated

import typer

from kpicli.cli.app import app, guarded, note


@app.command()
@guarded
def template(
    kpis: Annotated[Path, typer.Argument(help="KPI definition file.")] = Path("kpis.yaml"),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")
    ] = Path("entry.xlsx"),
    periods: Annotated[
        str | None,
        typer.Option(
            "--periods",
            metavar="A..B",
            help="Period columns, e.g. 2026-01..2026-12. Default: this fiscal year.",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="One row per KPI and member of this column.")
    ] = None,
    members: Annotated[
        str | None,
        typer.Option(
            "--members",
            metavar="A,B,C",
            help="Members for --by. Default: from the data, else targets_by.",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Data to take --by members from; overrides data.path."),
    ] = None,
) -> None:
    """A data-entry workbook: one row per KPI (and member), one column per period."""
    from kpicli.api import template_plan
    from kpicli.errors import KpiError
    from kpicli.writers.template import write_template

    if output.suffix.lower() != ".xlsx":
        raise KpiError(f"-o {output}: the template is an Excel workbook; name it *.xlsx")
    plan = template_plan(
        kpis,
        periods=periods,
        by=by,
        members=members.split(",") if members else None,
        data=data,
    )
    write_template(plan, output, inputs=[Path(p) for p in plan.inputs])
    series = len({r.label for r in plan.rows})
    who = f" ({series} series × {len(plan.members)} members of {plan.by})" if plan.by else ""
    note(
        f"wrote {output}: {len(plan.rows)} rows{who}, periods {plan.periods[0]}.."
        f"{plan.periods[-1]} ({plan.periods_source})"
    )
    if plan.by:
        note(f"members of {plan.by}: {plan.members_source}")
    for s in plan.skipped:
        note(f"not in the template: {s.kpi}: {s.reason}")
