"""The one-pass JSON writer gives exactly the text of json.dumps over the rounded values."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.writers.jsonout import _tidy, dumps
from tests.hypothesis_budget import examples

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
documents = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=examples(300), deadline=None)
@given(documents)
def test_dumps_equals_the_standard_library_over_tidied_values(doc: object) -> None:
    assert dumps(doc) == json.dumps(_tidy(doc), indent=2, ensure_ascii=False)


def test_rounding_and_special_values_by_hand() -> None:
    assert dumps(0.1 + 0.2) == "0.3"
    assert dumps(1 / 3) == "0.333333333333"
    assert dumps([math.nan, math.inf, -math.inf]) == "[\n  null,\n  null,\n  null\n]"
    assert dumps({"a": {}, "b": [], "c": "é\n\u001b"}) == (
        '{\n  "a": {},\n  "b": [],\n  "c": "é\\n\\u001b"\n}'
    )
    assert dumps(True) == "true" and dumps(3) == "3" and dumps(1e22) == "1e+22"


# Few distinct floats and keys, so that a document repeats them (as a report does: a target
# in every history point): each is written once and reused, which must not mix up 0.0 and
# -0.0 (equal as numbers, different texts) or keys that are equal as numbers (True, 1, 1.0).
repeated = st.recursive(
    st.sampled_from([0.0, -0.0, 1.0, 1, True, False, 0.1 + 0.2, math.nan, -1.5, "x", None]),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    | st.dictionaries(st.sampled_from([True, 1, 1.0, None, 0, -0.0]), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=examples(300), deadline=None)
@given(repeated)
def test_repeated_floats_and_keys_keep_their_own_text(doc: object) -> None:
    assert dumps(doc) == json.dumps(_tidy(doc), indent=2, ensure_ascii=False)


def test_zero_and_negative_zero_by_hand() -> None:
    assert dumps([0.0, -0.0, 0.0, 2.5, 2.5]) == "[\n  0.0,\n  -0.0,\n  0.0,\n  2.5,\n  2.5\n]"
    assert dumps([{1: 0.0}, {True: -0.0}, {"1": 1}]) == (
        '[\n  {\n    "1": 0.0\n  },\n  {\n    "true": -0.0\n  },\n  {\n    "1": 1\n  }\n]'
    )
