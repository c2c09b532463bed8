"""The `kpi` process keeps the memory a command frees for reuse (kpicli.entry.keep_freed_memory):
a block freed and asked for again is not faulted in a second time, and `kpi --help` (no
command) leaves malloc as it is. Each case runs in its own process, as `kpi` does."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Allocate 8 MB with malloc, touch every page, free it, allocate and touch 8 MB again: the
# page faults of the second touch say whether the freed block was reused.
PROBE = textwrap.dedent(
    """
    import ctypes, resource, sys
    import kpicli.entry as E
    kept = E.keep_freed_memory() if sys.argv[1] == "keep" else None
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 8 << 20
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
    """
)


def _probe(mode: str) -> tuple[str, int]:
    # glibc's defaults: no malloc tuning of the environment this suite runs in
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not GLIBC, reason="malloc's options are glibc's (Linux); elsewhere unchanged")
def test_a_freed_block_is_reused_instead_of_faulted_in_again() -> None:
    kept, faults = _probe("keep")
    assert kept == "True"
    assert faults < 256  # 8 MB is 2,048 pages: at most a few are new
    plain, faults_plain = _probe("plain")
    assert plain == "None"
    assert faults_plain > 1024  # glibc's defaults hand the block back: faulted in again


def test_keep_freed_memory_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    import kpicli.entry as E

    monkeypatch.setattr(sys, "platform", "darwin")
    assert E.keep_freed_memory() is False


def test_only_a_process_that_runs_a_command_changes_malloc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    import kpicli.cli
    import kpicli.entry as E

    # main() tunes the process it runs in: keep this one (pytest's) as it is.
    monkeypatch.setattr(gc, "disable", lambda: None)
    monkeypatch.setattr(E, "COMMAND", E.COMMAND)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    calls: list[bool] = []
    monkeypatch.setattr(E, "keep_freed_memory", lambda: calls.append(True) or True)
    monkeypatch.setattr(kpicli.cli, "main", lambda one_shot: None)
    for argv, expected in ((["kpi", "--help"], []), (["kpi", "report", "k.yaml"], [True])):
        calls.clear()
        monkeypatch.setattr(sys, "argv", argv)
        E.main()
        assert calls == expected, argv


@pytest.mark.parametrize(
    "env",
    [
        {"MALLOC_ARENA_MAX": "4"},
        {"MALLOC_MMAP_THRESHOLD_": "65536"},
        {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"},
    ],
)
def test_a_users_own_malloc_settings_win(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpicli.entry as E

    assert E._user_tuned_malloc(env) is True
    assert E._user_tuned_malloc({"GLIBC_TUNABLES": "glibc.pthread.rseq=0", "PATH": "/b"}) is False
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert E.keep_freed_memory() is False  # nothing set: the user's settings stand
