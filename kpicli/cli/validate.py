"""`kpi validate`, `kpi rules` and `kpi schema`: options -> one kpicli.api call -> a writer."""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kpicli.cli.app import app, color_enabled, fail, guarded, note


class FindingsFormat(str, Enum):
    auto = "auto"
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    sarif = "sarif"


class RulesFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def resolve_format(fmt: FindingsFormat) -> str:
    """``auto`` is ``github`` inside GitHub Actions, else ``text``."""
    if fmt is FindingsFormat.auto:
        actions = os.environ.get("GITHUB_ACTIONS", "").strip().lower()
        return "github" if actions not in ("", "0", "false", "no") else "text"
    return fmt.value


@app.command()
@guarded
def validate(
    kpis: Annotated[
        list[str] | None,
        typer.Argument(
            help="KPI definition files (default: kpis.yaml; - reads standard input).",
            show_default=False,
            metavar="KPIS",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", metavar="PATH",
            help="Data file or glob (repeatable); also runs the data-backed rules.",
        ),
    ] = None,
    fmt: Annotated[
        FindingsFormat,
        typer.Option(
            "--format", "-f",
            help="text, json, github (workflow annotations), junit or sarif; auto = github "
            "inside GitHub Actions, else text.",
        ),
    ] = FindingsFormat.auto,
    no_data: Annotated[
        bool,
        typer.Option("--no-data", help="Definition rules only: do not read the file's data.path."),
    ] = False,
    skip_missing_data: Annotated[
        bool,
        typer.Option(
            "--skip-missing-data",
            help="When the file's data.path names no existing file, check the definitions only "
            "(with a note) instead of reporting M206; for hooks where data is not committed.",
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", metavar="RULES", help="Only these rule ids or prefixes, e.g. S,T501 (repeatable)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="RULES", help="Skip these rule ids or prefixes, e.g. R403 (repeatable)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the findings to this file."),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", hidden=True, help="Pretend today is this ISO date (for tests)."),
    ] = None,
) -> None:
    """Check KPI definitions against the SMART rules (exit 1 on errors; see `kpi rules`)."""
    import datetime as dt

    from kpicli import __version__
    from kpicli.api.rules import rule_catalogue
    from kpicli.api.validate import validate_files
    from kpicli.errors import KpiError
    from kpicli.writers.findings import render, summary_line

    kind = resolve_format(fmt)
    when = None
    if today:
        try:
            when = dt.date.fromisoformat(today)
        except ValueError:
            raise KpiError(f"--today: {today!r} is not a date like 2026-05-01") from None
    paths = kpis or ["kpis.yaml"]
    if no_data and data:
        raise KpiError("--no-data and --data contradict each other; give one of them")
    result = validate_files(
        paths, data, select, ignore, strict, today=when, with_data=not no_data,
        skip_missing_data=skip_missing_data, list_inputs=output is not None,
    )
    for fr in result.files:
        for message in fr.notes:
            note(message)
    color = kind == "text" and output is None and color_enabled(sys.stdout)
    text = render(kind, result, rule_catalogue(), color=color, version=__version__)
    if output is not None:
        from kpicli.writers.atomic import write_text_atomic

        write_text_atomic(output, text, result.inputs)
        note(f"wrote {output}: {summary_line(result)}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
        if kind != "text":
            note(summary_line(result, color=color_enabled(sys.stderr)))
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command()
@guarded
def rules(
    fmt: Annotated[
        RulesFormat,
        typer.Option("--format", "-f", help="text, json, or markdown (as in docs/rules.md)."),
    ] = RulesFormat.text,
) -> None:
    """The validation rule catalogue: id, SMART letter, default severity, summary."""
    from kpicli.api.rules import rule_catalogue, rules_markdown
    from kpicli.writers.rules import render_rules_json, render_rules_text

    if fmt is RulesFormat.markdown:
        sys.stdout.write(rules_markdown())
    elif fmt is RulesFormat.json:
        sys.stdout.write(render_rules_json(rule_catalogue()))
    else:
        sys.stdout.write(render_rules_text(rule_catalogue(), color=color_enabled(sys.stdout)))


@app.command()
@guarded
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the schema to this file."),
    ] = None,
) -> None:
    """JSON Schema of kpis.yaml, for editor completion and checks."""
    from kpicli.api.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return
    from kpicli.writers.atomic import write_text_atomic

    if output.suffix.lower() in (".yaml", ".yml"):
        fail(f"refusing to write the schema to {output}: that looks like a KPI file; use .json")
    write_text_atomic(output, text)
    note(f"wrote {output}")
