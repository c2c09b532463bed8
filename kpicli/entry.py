"""The ``kpi`` console script (and ``python -m kpicli``): one command in one process.

Imported before anything heavy so that the garbage collector can be paused while Typer and
the command modules load (they create many long-lived objects and no garbage); the command
resumes it (kpicli.cli.app.guarded, heavy_imports). Tests and library callers use
kpicli.cli.main / the api directly and keep an ordinary collector and exit.

The process runs one command: when the command line names it, kpicli.cli registers only that
command (``COMMAND``, read by kpicli.cli when it loads): Typer then builds one command's
options instead of every command's, and the other command modules are never imported. A
process that runs a command also keeps the memory the command frees for reuse
(:func:`keep_freed_memory`).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping

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


# glibc's mallopt() parameters (<malloc.h>) and the values the `kpi` process sets.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
MALLOC_OPTIONS = (
    # Blocks up to 32 MB (the most glibc allows here) come from the heap, where a freed block
    # is reused, instead of a mapping of their own that is unmapped when freed.
    (M_MMAP_THRESHOLD, 32 * 1024 * 1024),
    # Freed memory at the top of the heap stays for reuse (a C int: 2 GB is in effect never;
    # kpicli's explicit release after reading a file still hands memory back).
    (M_TRIM_THRESHOLD, 2**31 - 1),
    # One arena for every thread: pyarrow's parser threads free their buffers where the
    # engine's arrays are then allocated, rather than into arenas of their own.
    (M_ARENA_MAX, 1),
)


def _user_tuned_malloc(env: Mapping[str, str]) -> bool:
    """Whether the environment already tunes glibc's malloc (MALLOC_ARENA_MAX,
    MALLOC_TRIM_THRESHOLD_ and the other MALLOC_ variables, or GLIBC_TUNABLES)."""
    return "glibc.malloc" in env.get("GLIBC_TUNABLES", "") or any(
        k.startswith("MALLOC_") for k in env
    )


def keep_freed_memory() -> bool:
    """Make malloc reuse the memory a command frees instead of handing it back to the
    system and faulting it in again (every page zeroed by the kernel) a moment later.

    For the `kpi` process, which runs one command and exits: set before the data stack loads
    and before any thread starts. Measured on the benchmark's 1M-row files (31 alternating
    runs, twice): a records CSV 753 -> 650 and 703 -> 647 ms with 13-16 MB less peak memory,
    a long CSV 517 -> 503 and 490 -> 469 ms, 5,000 fewer page faults each; a 100k-row workbook
    takes the same time with 7-20 MB more peak memory (its reading thread's buffers share
    the one arena). True when glibc took the settings; anywhere else (no
    mallopt: macOS, Windows, musl) nothing changes, and a user's own malloc settings in the
    environment win (then nothing is set).
    """
    if not sys.platform.startswith("linux") or _user_tuned_malloc(os.environ):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all([mallopt(param, value) == 1 for param, value in MALLOC_OPTIONS])


def main() -> None:
    global COMMAND
    gc.disable()
    # Pydantic looks for plugins (installed packages' entry points) when kpicli's models are
    # built, a scan of every installed distribution's metadata that grows with the
    # environment. kpicli's models are internal: the `kpi` process does not load plugins,
    # unless PYDANTIC_DISABLE_PLUGINS is set (to "" or to named plugins) by the user.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    COMMAND = command_word(sys.argv[1:])
    if COMMAND is not None:
        keep_freed_memory()
    from kpicli.cli import main as run

    run(one_shot=True)
