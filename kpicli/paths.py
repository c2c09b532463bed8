"""How file paths are shown in findings and messages.

Contract: a path is shown relative to the current working directory when it lies inside it,
and absolute otherwise, whatever it was relative to when it was opened (a KPI file's
``data.path`` is relative to the KPI file). Editor links, CI annotations (GitHub, SARIF,
JUnit) and people all resolve paths from where the command ran, so that is the only
reference point that works for every reader of the output.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shown_path"]


def shown_path(path: str | Path, cwd: str | Path | None = None) -> str:
    """``team/data.csv`` for a file inside the working directory, ``/abs/path`` outside it.

    Symbolic links are not resolved (the user's names are kept); ``.`` and ``..`` parts are
    normalised away.
    """
    here = os.path.abspath(cwd if cwd is not None else os.getcwd())
    full = os.path.abspath(os.path.join(here, os.fspath(path)))
    try:
        rel = os.path.relpath(full, here)
    except ValueError:  # another drive on Windows
        return full
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return full
    return rel
