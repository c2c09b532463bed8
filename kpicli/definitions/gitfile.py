"""Read a file as it was at a git revision, through the ``git`` program (no git library).

Contract: :func:`read_at_revision` returns the text of ``git show REV:PATH`` where PATH is the
file's path from the repository root (``git rev-parse --show-prefix`` run in the file's
folder, plus its name), and the label ``REV:PATH`` to show in messages. Every failure (no git,
not a repository, unknown revision, file absent at that revision, not UTF-8) is a KpiError
that says which of these it was. Nothing from the user reaches a shell: arguments are passed
as a list, and a revision that starts with ``-`` is refused (it would be read as an option).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from kpicli.errors import KpiError

__all__ = ["read_at_revision"]

_TIMEOUT = 60  # seconds; a local `git show` of one file takes milliseconds


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise KpiError("--git needs the git program, which is not installed (not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise KpiError(f"git {' '.join(args[:2])} did not answer in {_TIMEOUT} s") from None
    except OSError as exc:
        raise KpiError(f"cannot run git: {exc.strerror or exc}") from None


def _first_line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else ""


def read_at_revision(path: str | Path, rev: str) -> tuple[str, str]:
    """``(text, "REV:path/from/root")`` of ``path`` at git revision ``rev``."""
    p = Path(path)
    if not rev or rev.startswith("-"):
        raise KpiError(f"--git {rev!r}: not a revision; give a commit, branch or tag such as HEAD")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise KpiError(f"--git: folder {folder} of {path} does not exist")
    top = _git(["rev-parse", "--show-prefix"], folder)
    if top.returncode != 0:
        raise KpiError(
            f"--git: {folder.resolve()} is not inside a git repository "
            f"({_first_line(top.stderr) or 'git rev-parse failed'})"
        )
    prefix = top.stdout.decode("utf-8", "surrogateescape").strip()
    inside = f"{prefix}{p.name}"
    known = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], folder)
    if known.returncode != 0:
        raise KpiError(
            f"--git {rev!r}: unknown revision in this repository; give a commit, branch or tag "
            "(git log --oneline lists them)"
        )
    shown = f"{rev}:{inside}"
    out = _git(["show", f"{rev}:{inside}"], folder)
    if out.returncode != 0:
        raise KpiError(
            f"--git: {inside} does not exist at {rev} ({_first_line(out.stderr) or 'git show failed'})"
        )
    raw = out.stdout
    if b"\x00" in raw[:8192]:
        raise KpiError(f"{shown} is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig"), shown
    except UnicodeDecodeError:
        raise KpiError(f"{shown} is not valid UTF-8; save the file as UTF-8") from None
