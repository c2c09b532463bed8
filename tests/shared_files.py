"""Locate the files of ../shared (official schemas, real-world files) for tests.

They are never copied into the repository: CI places ``shared/`` beside the clone, so
tests read ``<repo root>/../shared`` (or ``$KPICLI_SHARED`` when set, for a checkout that
lives elsewhere). Absent, a test skips with a reason; with ``CI=true`` it fails instead,
so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.external import missing

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("KPICLI_SHARED") or REPO.parent / "shared")


def require_external(path: Path, what: str) -> Path:
    """``path`` if it exists; else skip (fail when CI=true) naming what is missing."""
    if path.exists():
        return path
    missing(f"{what} not found at {path}")
    return path  # not reached: missing() skips or fails


def shared_file(*parts: str) -> Path:
    return require_external(shared_dir().joinpath(*parts), "/".join(parts))
