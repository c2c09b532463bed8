"""Command-line interface: Typer commands that only glue options to the Python API."""

from __future__ import annotations

import sys

# Importing the command modules registers their commands on ``app``.
from kpicli.cli import diff as _diff  # noqa: F401
from kpicli.cli import init as _init  # noqa: F401
from kpicli.cli import report as _report  # noqa: F401
from kpicli.cli import validate as _validate  # noqa: F401
from kpicli.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="kpi")
    except KeyboardInterrupt:
        sys.stderr.write("kpi: interrupted\n")
        sys.exit(130)
