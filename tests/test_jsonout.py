"""The one-pass JSON writer gives exactly the text of json.dumps over the rounded values."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.writers.jsonout import _tidy, dumps

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


@settings(max_examples=300, deadline=None)
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
