"""Test-wide settings and the helpers every test module shares.

Hypothesis profiles:

* ``dev`` (the default on a developer's machine): a quarter of each property test's examples
  (``examples(n)`` in tests/budget.py), so a local run stays quick; local runs search at
  random and keep an example database, so a counterexample found once is tried again first.
* ``ci`` (loaded when ``CI=true``): every example (``examples(n) == n``), no example database,
  so CI never replays a failing example saved by an earlier local run, and derandomised (a
  fixed seed per test), so a CI result depends on the code and the library versions only: a
  rare example found by chance cannot fail one run and pass the next.
* ``thorough`` (``HYPOTHESIS_PROFILE=thorough``): ten times the examples, at random.
* ``mutation`` (set by tests/mutation/run_mutation.py): the same examples every run, no
  database and no health checks, so a test fails only because of the mutant (never because
  a loaded machine made an example slow, or an earlier mutant's failure was replayed).

``HYPOTHESIS_PROFILE`` names any of them explicitly (``HYPOTHESIS_PROFILE=ci`` locally runs
what CI runs).

Fixtures (the functions of tests/helpers.py, which helpers and Hypothesis tests import):

* ``invoke("report", path, "-f", "json")``: run ``kpi`` in-process through Typer's CliRunner
  with a neutral environment (not inside GitHub Actions, no NO_COLOR/FORCE_COLOR); the result
  unpacks as ``code, out, err`` and has click's Result attributes and ``.json()``.
* ``kpi_file(text, name="kpis.yaml")`` and ``csv_file(text_or_rows, name="data.csv")``:
  write a KPI file or a CSV into the test's tmp_path and return its path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import Ran, write_csv, write_kpis
from tests.helpers import invoke as _invoke

settings.register_profile("dev", max_examples=25)
settings.register_profile("ci", database=None, print_blob=True, derandomize=True)
settings.register_profile("thorough", max_examples=1000)
settings.register_profile(
    "mutation", database=None, derandomize=True, deadline=None,
    suppress_health_check=list(HealthCheck),
)
if os.environ.get("HYPOTHESIS_PROFILE") in ("dev", "ci", "thorough", "mutation"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
elif os.environ.get("CI") == "true":
    settings.load_profile("ci")
else:
    settings.load_profile("dev")


@pytest.fixture
def invoke() -> Callable[..., Ran]:
    return _invoke


@pytest.fixture
def kpi_file(tmp_path: Path) -> Callable[..., Path]:
    """``kpi_file(text, name="kpis.yaml")``: the KPI file written into tmp_path."""

    def write(text: str, name: str = "kpis.yaml") -> Path:
        return write_kpis(tmp_path, text, name)

    return write


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """``csv_file(text_or_rows, name="data.csv")``: the CSV written into tmp_path."""

    def write(content: str | Sequence[Sequence[object]], name: str = "data.csv") -> Path:
        return write_csv(tmp_path, content, name)

    return write


# One Spark session for the whole run (tests/spark_helpers.py), started only when a Spark
# test asks for it.
from tests.spark_helpers import COMPARED as _SPARK_COMPARED  # noqa: E402
from tests.spark_helpers import STARTUP as _SPARK_STARTUP  # noqa: E402
from tests.spark_helpers import spark  # noqa: E402, F401


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if "seconds" in _SPARK_STARTUP:
        terminalreporter.write_line(
            f"Spark {_SPARK_STARTUP['version']} local session started in "
            f"{_SPARK_STARTUP['seconds']:.1f} s (one for the whole run); conformance: "
            f"{sum(_SPARK_COMPARED.values()):,} values equal to the pandas path in "
            f"{len(_SPARK_COMPARED)} cases"
        )
