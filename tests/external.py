"""Tests that need a real external part (LibreOffice, a browser, a database server, the shared
real-world files): skip with a reason on a machine without it, but fail under CI (``CI=true``),
where ``.ci/run`` installs and starts every such part, so a missing one never passes silently."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> None:
    """Skip the calling test with ``reason`` — or fail it when running in CI."""
    if in_ci():
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)
