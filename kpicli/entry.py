"""The ``kpi`` console script (and ``python -m kpicli``): one command in one process.

Imported before anything heavy so that the garbage collector can be paused while Typer and
the command modules load (they create many long-lived objects and no garbage); the command
resumes it (kpicli.cli.app.guarded, heavy_imports). Tests and library callers use
kpicli.cli.main / the api directly and keep an ordinary collector and exit.

The process runs one command: when the command line names it, kpicli.cli registers only that
command (``COMMAND``, read by kpicli.cli when it loads): Typer then builds one command's
options instead of every command's, and the other command modules are never imported.
"""

from __future__ import annotations

import gc
import os
import sys

# The command this process runs, when its command line names a known one; None: every
# command is registered (``kpi``, ``kpi --help``, completion, a misspelt command).
COMMAND: str | None = None

# Root options that are not a command word and would print the whole group's help or
# answer a completion request: every command must be registered for them.
_WHOLE_GROUP = ("-h", "--help", "--install-completion", "--show-completion")


def command_word(args: list[str]) -> str | None:
    """The command named on the command line (``kpi -q report ...`` -> ``report``), or None
    when there is none or an option before it needs every command (``kpi --help report``).

    Skips the root flags and ``--limit VALUE`` as kpicli.cli.app.hoist_global_flags does.
    """
    if os.environ.get("_KPI_COMPLETE"):
        return None  # Typer's completion protocol: it lists every command
    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--" or tok.split("=", 1)[0] in _WHOLE_GROUP:
            return None
        if not tok.startswith("-"):
            return tok
        i += 2 if tok == "--limit" else 1
    return None


def main() -> None:
    global COMMAND
    gc.disable()
    # Pydantic looks for plugins (installed packages' entry points) when kpicli's models are
    # built, a scan of every installed distribution's metadata that grows with the
    # environment. kpicli's models are internal: the `kpi` process does not load plugins,
    # unless PYDANTIC_DISABLE_PLUGINS is set (to "" or to named plugins) by the user.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    COMMAND = command_word(sys.argv[1:])
    from kpicli.cli import main as run

    run(one_shot=True)
