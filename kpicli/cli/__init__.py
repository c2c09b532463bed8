"""Command-line interface: Typer commands that only glue options to the Python API."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

from kpicli.cli.app import app

__all__ = ["COMMAND_MODULES", "app", "main"]

# Every command and the module that registers it on ``app`` when imported; the modules are
# imported in this order (the order of `kpi --help`). tests/test_startup.py checks the table
# against what the modules register.
COMMAND_MODULES: dict[str, str] = {
    "diff": "kpicli.cli.diff",
    "init": "kpicli.cli.init",
    "report": "kpicli.cli.report",
    "show": "kpicli.cli.report",
    "template": "kpicli.cli.template",
    "validate": "kpicli.cli.validate",
    "rules": "kpicli.cli.validate",
    "schema": "kpicli.cli.validate",
}


def _register_commands() -> None:
    """Import the command modules: all of them, or in the `kpi` process only the one whose
    command its command line names (kpicli.entry.COMMAND; Typer builds the options of the
    registered commands only, and the other modules stay unimported)."""
    entry = sys.modules.get("kpicli.entry")
    wanted = COMMAND_MODULES.get(getattr(entry, "COMMAND", None) or "")
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        if wanted is None or module == wanted:
            importlib.import_module(module)


_register_commands()


def main(*, one_shot: bool = False) -> None:
    """Run the command line.

    ``one_shot`` is for the ``kpi`` process itself (kpicli.entry): the garbage collector is
    managed for a single command and the process leaves with os._exit once every output is
    complete. Library callers and tests get an ordinary SystemExit.
    """
    from kpicli.cli.app import OPTIONS

    OPTIONS.one_shot = one_shot
    try:
        app(prog_name="kpi")
    except KeyboardInterrupt:
        sys.stderr.write("kpi: interrupted\n")
        sys.exit(130)
    except SystemExit as exc:
        if not one_shot:
            raise
        _exit(exc)
    if one_shot:
        _exit(SystemExit(0))


def _exit(exc: SystemExit) -> None:
    """Leave without tearing the interpreter down, once every output is complete.

    The command has returned: files are written and renamed into place, spinners stopped.
    Only the standard streams may hold unwritten text, so they are flushed here; the
    interpreter's own teardown (garbage-collecting every pandas, pyarrow and pydantic object,
    about a tenth of a second after a big report) is skipped with os._exit. Under --debug, a
    tracer or coverage measurement, the normal exit runs so that atexit handlers still report.
    """
    from kpicli.cli.app import OPTIONS

    if OPTIONS.debug or sys.gettrace() is not None or "coverage" in sys.modules:
        raise exc
    code = exc.code
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`kpi report | head`): stop quietly, as other tools do.
        os._exit(141)
    except OSError as err:
        sys.stderr.write(f"kpi: error: cannot write the output: {err.strerror or err}\n")
        code = 2
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code or 0)
