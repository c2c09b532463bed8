"""`kpi init`: options -> kpicli.api.init_project -> what was written, on stderr."""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
from pathlib import Path
from typing import Annotated

import typer

from kpicli.api.init import DEFAULT_EXAMPLE, EXAMPLES, init_project
from kpicli.cli.app import app, guarded, note


def _complete_example(incomplete: str) -> list[str]:
    return [name for name in EXAMPLES if name.startswith(incomplete)]


@app.command()
@guarded
def init(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="Folder to write the starter files into (created if missing).",
            show_default=False,
        ),
    ] = Path("."),
    example: Annotated[
        str,
        typer.Option(
            "--example",
            "-e",
            metavar="|".join(EXAMPLES),
            help="Which example to start from.",
            autocompletion=_complete_example,
        ),
    ] = DEFAULT_EXAMPLE,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite files that already exist.")
    ] = False,
) -> None:
    """Write a starter kpis.yaml and sample data (CSV and Excel) to DIR."""
    done = init_project(directory, example, force=force)
    names = ", ".join(t.name for t in done.written)
    note(f"wrote the {done.example} example to {done.directory}: {names}")
    note(f"next: {done.next_step}")
