"""The Typer application, global options and the error boundary shared by all commands.

Also the one place that decides colour (``color_enabled``) and builds rich consoles
(``make_console``) for every command, and the shell-completion options.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
import contextlib
import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from kpicli import __version__

# Global flags that may also follow the command (`kpi validate f.yaml --no-color`).
GLOBAL_FLAGS = ("--quiet", "-q", "--no-color", "--verbose", "-v", "--debug")
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


class KpiGroup(TyperGroup):
    """The root command: global flags written after the command are moved before it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(self, ctx, list(args)))


def hoist_global_flags(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """``[validate, f.yaml, --no-color]`` -> ``[--no-color, validate, f.yaml]``.

    Only the flags in GLOBAL_FLAGS move, never the value of an option that takes one
    (``--period -v`` stays), nothing after ``--``, and not when the command has an option of
    that name itself (``report --no-color`` is report's own).
    """
    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--":
            return args
        if not tok.startswith("-"):
            break
        i += 2 if tok == "--limit" else 1
    else:
        return args
    command = group.get_command(ctx, args[i])
    if command is None:
        return args
    own: set[str] = set()
    takes_value: set[str] = set()
    for p in getattr(command, "params", []):
        names = [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
        own.update(names)
        if getattr(p, "param_type_name", "") == "option" and not (
            getattr(p, "is_flag", False) or getattr(p, "count", False)
        ):
            takes_value.update(getattr(p, "opts", []))
    hoisted: list[str] = []
    kept: list[str] = []
    rest = iter(args[i + 1 :])
    for tok in rest:
        if tok == "--":
            kept += [tok, *rest]
            break
        if tok in takes_value:
            kept.append(tok)
            value = next(rest, None)  # the option's value stays with it, whatever it looks like
            if value is not None:
                kept.append(value)
        elif tok in GLOBAL_FLAGS and tok not in own:
            hoisted.append(tok)
        else:
            kept.append(tok)
    return args[:i] + hoisted + [args[i]] + kept


app = typer.Typer(
    name="kpi",
    cls=KpiGroup,
    help="KPI scorecards from YAML definitions and Excel/CSV data: report, validate, explain.",
    no_args_is_help=True,
    # Our own --show-completion SHELL / --install-completion below: Typer's ignore an argument.
    add_completion=False,
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


def _completion_setup() -> None:
    """Register Typer's completion classes (what `add_completion=True` would have done):
    the scripts below call back into `kpi` with Typer's protocol."""
    from typer._completion_classes import completion_init

    completion_init()


def _show_completion(value: str | None) -> None:
    if value is None:
        return
    shell = value.strip().lower()
    if shell not in SHELLS:
        fail(f"--show-completion: unknown shell {value!r}; use bash, zsh, fish or powershell")
    _completion_setup()
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="kpi", complete_var="_KPI_COMPLETE", shell=shell))
    raise typer.Exit()


def _install_completion(value: bool) -> None:
    if not value:
        return
    _completion_setup()
    from typer._completion_shared import install

    shell, path = install(prog_name="kpi", complete_var="_KPI_COMPLETE")
    typer.echo(f"{shell} completion installed in {path}; it takes effect in a new shell")
    raise typer.Exit()


# Completion requests (_KPI_COMPLETE=complete_bash ...) are answered before any option is
# parsed, so the completion classes must be registered when the app is built.
_completion_setup()


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
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            callback=_install_completion,
            is_eager=True,
            help="Install completion for the current shell.",
        ),
    ] = False,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            callback=_show_completion,
            is_eager=True,
            help="Print the completion script for SHELL (bash, zsh, fish, powershell), e.g. "
            "kpi --show-completion bash > /etc/bash_completion.d/kpi",
        ),
    ] = None,
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
    """Whether a command colours what it writes to ``stream`` (default stdout).

    --no-color and NO_COLOR always win; then FORCE_COLOR (an explicit request, even on a
    dumb terminal or a pipe); then a terminal that is not TERM=dumb. Every command asks
    this, and rich consoles come from :func:`make_console`, so they all agree.
    """
    if OPTIONS.no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if dumb_terminal():
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def dumb_terminal() -> bool:
    """TERM=dumb (Emacs shells, some CI runners): no colours, no cursor movement."""
    return os.environ.get("TERM", "").strip().lower() in ("dumb", "unknown")


def make_console(stream: Any = None, *, plain: bool = False) -> Any:
    """The rich Console every command prints through: colour as :func:`color_enabled` says
    (never with ``plain``, for text written to a file), no markup or highlighting of user
    text, and a wide page when not on a terminal."""
    from rich.console import Console

    out = stream or sys.stdout
    color = not plain and color_enabled(out)
    tty = bool(getattr(out, "isatty", lambda: False)())
    return Console(
        file=out,
        # Colour forces terminal codes; otherwise rich asks the stream (a spinner needs it).
        force_terminal=True if color else None,
        no_color=not color,
        # rich turns colour off by itself on TERM=dumb; FORCE_COLOR means colour anyway.
        color_system="standard" if color and dumb_terminal() else "auto",
        highlight=False,
        emoji=False,
        markup=False,
        # Piped output is read in files and CI logs: use a wide page unless COLUMNS says.
        width=None if tty else _columns(),
    )


def _columns() -> int:
    try:
        return max(60, int(os.environ.get("COLUMNS", "160")))
    except ValueError:
        return 160


def note(message: str) -> None:
    """A message for the person, on stderr (stdout carries results only)."""
    if not OPTIONS.quiet:
        from kpicli.writers.sanitize import printable

        typer.echo(printable(message), err=True)


def fail(message: str, code: int = 2) -> None:
    # Messages quote file names, column headers and cells: their control characters (escape
    # sequences) are shown as symbols, never sent to the terminal.
    from kpicli.writers.sanitize import printable

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
