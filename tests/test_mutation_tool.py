"""The mutation-testing script's mutator (tests/mutation/run_mutation.py), without running it.

Each operator produces exactly the intended change, decorated functions and module constants
are mutated, annotations and docstrings are not.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent / "mutation" / "run_mutation.py"
spec = importlib.util.spec_from_file_location("run_mutation", SCRIPT)
assert spec is not None and spec.loader is not None
mut = importlib.util.module_from_spec(spec)
sys.modules["run_mutation"] = mut  # dataclasses look their module up
spec.loader.exec_module(mut)

SOURCE = '''"""Doc 1."""
import functools
CAP = 1.2


@functools.lru_cache
def f(x: int = 3) -> int:
    """Doc."""
    if x < 2 and x != 0:
        return x
    return [y for y in range(x) if y >= 1][0] if x else -1
'''


def test_every_operator_once() -> None:
    ms = mut.enumerate_mutants("m.py", SOURCE)
    ops = [(m.line, m.func, m.op) for m in ms]
    assert ops == [
        (3, "<module>", "1.2 -> 1.2 + 1"),
        (3, "<module>", "1.2 -> 1.2 - 1"),
        (7, "<module>", "3 -> 3 + 1"),  # a default: evaluated at definition
        (7, "<module>", "3 -> 3 - 1"),
        (9, "f", "negate condition"),
        (9, "f", "and -> or"),
        (9, "f", "< -> <="),
        (9, "f", "2 -> 2 + 1"),
        (9, "f", "2 -> 2 - 1"),
        (9, "f", "!= -> =="),
        (9, "f", "0 -> 0 + 1"),
        (9, "f", "0 -> 0 - 1"),
        (10, "f", "return x -> return None"),
        (11, "f", "return x -> return None"),
        (11, "f", "negate condition"),  # the conditional expression
        (11, "f", "negate condition"),  # the comprehension's if
        (11, "f", ">= -> >"),
        (11, "f", "1 -> 1 + 1"),
        (11, "f", "1 -> 1 - 1"),
        (11, "f", "0 -> 0 + 1"),  # the subscript
        (11, "f", "0 -> 0 - 1"),
        (11, "f", "1 -> 1 + 1"),  # -1 is -(1)
        (11, "f", "1 -> 1 - 1"),
    ]
    keys = [m.key for m in ms]
    assert len(set(keys)) == len(keys)  # duplicates on one line get #2, #3
    assert "m.py::f::return [y for y in range(x) if y >= 1][0] if x else -1::1 -> 1 + 1#2" in keys


def test_mutated_source_changes_one_thing() -> None:
    base = ast.dump(ast.parse(SOURCE))
    ms = mut.enumerate_mutants("m.py", SOURCE)
    texts = {m.op: mut.mutated_source(SOURCE, m.index) for m in ms[:7]}
    assert "CAP = 2.2" in texts["1.2 -> 1.2 + 1"]
    assert "if not (x < 2 and x != 0):" in texts["negate condition"]
    assert "if x < 2 or x != 0:" in texts["and -> or"]
    assert "if x <= 2 and x != 0:" in texts["< -> <="]
    assert "@functools.lru_cache" in texts["< -> <="]
    for t in texts.values():
        assert ast.dump(ast.parse(t)) != base
    ret = next(m for m in ms if m.op == "return x -> return None")
    assert "return None" in mut.mutated_source(SOURCE, ret.index)


def test_accepted_equivalents_name_real_mutants() -> None:
    """Every accepted equivalent matches a mutant of today's source (none goes stale)."""
    root = SCRIPT.parents[2]
    keys = set()
    for module in mut.DEFAULT_TESTS:
        src = (root / module).read_text(encoding="utf-8")
        keys |= {m.key for m in mut.enumerate_mutants(module, src)}
    stale = [k for k in mut.ACCEPTED if k not in keys]
    assert not stale
    assert all(reason.strip() for reason in mut.ACCEPTED.values())
