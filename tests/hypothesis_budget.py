"""How many examples a property test tries under the loaded Hypothesis profile.

A test written with ``@settings(max_examples=examples(300))`` tries 300 examples in CI (the
``ci`` profile), a quarter locally (``dev``, the default on a developer's machine) and ten
times as many with ``HYPOTHESIS_PROFILE=thorough``: the profiles in tests/conftest.py set the
scale, a test only says how many examples it deserves in CI.
"""

from __future__ import annotations

from hypothesis import settings

CI_EXAMPLES = 100  # the max_examples of the ci profile (Hypothesis' own default)


def examples(n: int) -> int:
    """``n`` scaled by the loaded profile: its max_examples relative to CI's, at least 5."""
    return max(5, n * settings.default.max_examples // CI_EXAMPLES)
