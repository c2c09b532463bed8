"""`kpi diff`: options -> kpicli.api.diff -> a diff writer -> exit status (1: a status flips)."""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kpicli.cli.app import app, fail, guarded, note


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


@app.command()
@guarded
def diff(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="OLD.yaml NEW.yaml; with --git only the working file (default kpis.yaml).",
            metavar="OLD.yaml NEW.yaml",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", help="Data file or glob (repeatable); default: NEW's data.path."
        ),
    ] = None,
    no_data: Annotated[
        bool, typer.Option("--no-data", help="Compare the definitions only, not statuses.")
    ] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Compare every member of this data column.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", "-p", help="Period to compare, e.g. 2026-10. Default: latest."),
    ] = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.text,
    git: Annotated[
        str | None,
        typer.Option(
            "--git", metavar="REV", help="Compare the file with its version at a git revision."
        ),
    ] = None,
) -> None:
    """What a definition change does: changed fields with lines, and the statuses it flips.

    Exit status: 0 no status changes, 1 a KPI's status would change, 2 an error.
    """
    from kpicli.api import diff as compute
    from kpicli.writers.diffout import render_diff

    paths = list(files or [])
    if git is not None:
        if len(paths) > 1:
            fail("with --git give one file (the working copy), not two")
        old, new = None, paths[0] if paths else Path("kpis.yaml")
    else:
        if len(paths) != 2:
            fail("give two files, OLD.yaml NEW.yaml (or --git REV [FILE])")
        old, new = paths
    if no_data and data:
        fail("--no-data and --data exclude each other")
    result = compute(old, new, data, git=git, use_data=not no_data, period=period, by=by)
    sys.stdout.write(render_diff(result, fmt.value))
    if result.status_changed:
        note(f"{result.old} → {result.new}: a KPI status would change (exit 1)")
        raise typer.Exit(1)
