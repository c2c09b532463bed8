"""The ``kpi`` console script (and ``python -m kpicli``): one command in one process.

Imported before anything heavy so that the garbage collector can be paused while Typer and
the command modules load (they create many long-lived objects and no garbage); the command
resumes it (kpicli.cli.app.guarded, heavy_imports). Tests and library callers use
kpicli.cli.main / the api directly and keep an ordinary collector and exit.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from kpicli.cli import main as run

    run(one_shot=True)
