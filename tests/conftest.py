"""Test-wide settings: hypothesis profiles.

* ``ci`` (loaded when ``CI=true``): no example database, so CI never replays a failing
  example saved by an earlier local run, and derandomised (a fixed seed per test), so a CI
  result depends on the code and the library versions only: a rare example found by chance
  cannot fail one run and pass the next. Local runs keep searching at random and are where
  new counterexamples are found (``HYPOTHESIS_PROFILE=thorough`` searches longer).
* ``thorough`` (``HYPOTHESIS_PROFILE=thorough``): the property tests multiply their
  example counts themselves (tests/test_properties.py); the profile only names the run.
* ``mutation`` (set by tests/mutation/run_mutation.py): the same examples every run, no
  database and no health checks, so a test fails only because of the mutant (never because
  a loaded machine made an example slow, or an earlier mutant's failure was replayed).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", database=None, print_blob=True, derandomize=True)
settings.register_profile("thorough")
settings.register_profile(
    "mutation", database=None, derandomize=True, deadline=None,
    suppress_health_check=list(HealthCheck),
)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
elif os.environ.get("HYPOTHESIS_PROFILE") in ("ci", "thorough", "mutation"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


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
