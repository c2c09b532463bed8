"""The Typer application, global options and the error boundary shared by all commands."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer

from kpicli import __version__

app = typer.Typer(
    name="kpi",
    help="KPI scorecards from YAML definitions and Excel/CSV data: report, validate, explain.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Options:
    quiet: bool = False
    no_color: bool = False
    debug: bool = False
    verbose: bool = False
    # The `kpi` process itself (kpicli.entry), as opposed to tests or a library caller.
    one_shot: bool = False


OPTIONS = Options()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kpi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the result; no notes.")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colours (also: NO_COLOR variable).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Explain what was read.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            metavar="NAME=N",
            help="Change an input limit for this run, e.g. rows=20M, columns=5000, "
            "file-size=4GB, kpi-file-size, yaml-depth, yaml-nodes, unzipped-size; none "
            "switches one off (also: KPI_LIMITS variable). Repeatable.",
        ),
    ] = None,
) -> None:
    from kpicli import limits

    try:
        limits.configure(*(limit or []))
    except ValueError as exc:
        fail(f"--limit: {exc}" if limit and not str(exc).startswith(limits.ENV) else str(exc))
    OPTIONS.quiet = quiet
    OPTIONS.no_color = no_color or bool(os.environ.get("NO_COLOR"))
    OPTIONS.debug = debug
    OPTIONS.verbose = verbose


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR."""
    if OPTIONS.no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def note(message: str) -> None:
    """A message for the person, on stderr (stdout carries results only)."""
    if not OPTIONS.quiet:
        from kpicli.io.sanitize import printable

        typer.echo(printable(message), err=True)


def fail(message: str, code: int = 2) -> None:
    # Messages quote file names, column headers and cells: their control characters (escape
    # sequences) are shown as symbols, never sent to the terminal.
    from kpicli.io.sanitize import printable

    typer.echo(f"kpi: error: {printable(message)}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def heavy_imports() -> Iterator[None]:
    """Import the data stack (pandas, pyarrow, the engine) with the garbage collector paused.

    Imports create hundreds of thousands of long-lived objects and no garbage; the collector
    would traverse them again and again (tens of milliseconds, a large share of a small
    report's run time). Afterwards they are frozen: later collections skip them.
    """
    if not OPTIONS.one_shot:  # a long-lived process (tests) keeps its collector as it is
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Turn KpiError (and unexpected errors) into one clear line and exit 2."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kpicli.errors import KpiError

        if OPTIONS.one_shot:
            # kpicli.entry paused the collector while Typer loaded and parsed the command
            # line; the command runs with it (see heavy_imports for the data stack).
            gc.freeze()
            gc.enable()
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
            raise
        except KpiError as exc:
            if OPTIONS.debug:
                raise
            fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            # The reader of our output went away (`kpi report | head`): stop quietly, with
            # the status of a process ended by SIGPIPE, as other command-line tools do.
            if not OPTIONS.one_shot:
                raise typer.Exit(141) from None
            with contextlib.suppress(OSError):
                sys.stderr.flush()
            os._exit(141)
        except MemoryError:
            if OPTIONS.debug:
                raise
            fail("out of memory; the input is too large for this machine")
        except Exception as exc:  # the last line of defence: never a traceback by default
            if OPTIONS.debug:
                raise
            if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
                fail(f"cannot write the output: {exc.strerror or exc}")
            fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
        return None

    return wrapper  # type: ignore[return-value]


# A full disk, a quota, an I/O error or a file too big while writing the result (stdout or -o):
# the command ran, the output could not be kept.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}
