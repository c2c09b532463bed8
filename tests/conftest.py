"""Test-wide settings: hypothesis profiles.

* ``ci`` (loaded when ``CI=true``): no example database, so CI never replays a failing
  example saved by an earlier local run, and derandomised (a fixed seed per test), so a CI
  result depends on the code and the library versions only: a rare example found by chance
  cannot fail one run and pass the next. Local runs keep searching at random and are where
  new counterexamples are found (``HYPOTHESIS_PROFILE=thorough`` searches longer).
* ``thorough`` (``HYPOTHESIS_PROFILE=thorough``): the property tests multiply their
  example counts themselves (tests/test_properties.py); the profile only names the run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", database=None, print_blob=True, derandomize=True)
settings.register_profile("thorough")
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
elif os.environ.get("HYPOTHESIS_PROFILE") in ("ci", "thorough"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
