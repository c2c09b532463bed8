"""The `kpi` process leaves fast (no interpreter teardown) but never before its output is
complete: stdout flushed, files renamed into place; failures while writing are one clear error."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
SALES = ROOT / "examples" / "sales" / "kpis.yaml"


def _kpi(*args: str, fsize: int | None = None, **kw: object) -> subprocess.CompletedProcess[bytes]:
    def limit() -> None:  # runs in the child before exec
        if fsize is not None:
            # Writing past the limit fails with EFBIG instead of killing the process.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw}
    return subprocess.run(
        [sys.executable, "-m", "kpicli", *args],
        preexec_fn=limit,
        timeout=120,
        check=False,
        **streams,  # type: ignore[arg-type]
    )


def test_large_output_through_a_pipe_is_complete() -> None:
    expected = invoke("report", str(SALES), "--by", "rep", "--format", "json")
    assert expected.exit_code == 0
    done = _kpi("report", str(SALES), "--by", "rep", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 100_000  # far more than a pipe buffer
    assert json.loads(done.stdout) == json.loads(expected.stdout)


def test_output_file_is_complete_and_in_place(tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    done = _kpi("report", str(SALES), "-o", str(out))
    assert done.returncode == 0, done.stderr
    expected = invoke("report", str(SALES), "--format", "markdown")
    assert out.read_text(encoding="utf-8") == expected.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["review.md"]


def test_a_failing_file_write_keeps_the_old_file_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("old report\n")
    done = _kpi("report", str(SALES), "--format", "json", "-o", str(out), fsize=2000)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.startswith("kpi: error: cannot write ") and "the existing file is unchanged" in err
    assert "Traceback" not in err and "--debug" not in err
    assert out.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def _with_failing_stdout(where: str, error: str) -> subprocess.CompletedProcess[bytes]:
    # How much a pipe buffers, and whether a file-size limit reaches stdout, differ between
    # machines; so the child's stdout fails the way a closed pipe or a full disk does,
    # deterministically, on write or on the final flush.
    child = f"""
import errno, io, sys
class Failing(io.TextIOWrapper):
    def {where}(self, *args):
        raise {error}
sys.stdout = Failing(io.BytesIO())
sys.argv = ["kpi", "report", {str(SALES)!r}, "--format", "json"]
from kpicli.entry import main
main()
"""
    return subprocess.run(
        [sys.executable, "-c", child], capture_output=True, timeout=120, check=False
    )


@pytest.mark.parametrize("where", ["write", "flush"])
def test_a_reader_that_goes_away_ends_kpi_quietly(where: str) -> None:
    # `kpi report | head -c 10`: the status of a process ended by SIGPIPE, nothing on stderr.
    done = _with_failing_stdout(where, 'BrokenPipeError(errno.EPIPE, "Broken pipe")')
    assert done.returncode == 141, done.stderr
    assert done.stderr == b""


@pytest.mark.parametrize("where", ["write", "flush"])
def test_stdout_that_cannot_be_written_is_one_clear_error(where: str) -> None:
    done = _with_failing_stdout(where, 'OSError(errno.ENOSPC, "No space left on device")')
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err == "kpi: error: cannot write the output: No space left on device\n"


def test_debug_keeps_the_ordinary_exit() -> None:
    # Under --debug the interpreter exits normally (atexit handlers, tracebacks): same result.
    done = _kpi("--debug", "report", str(SALES), "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout)["schema"] == "kpicli.report/1"
