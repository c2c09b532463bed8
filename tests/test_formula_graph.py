"""The formula dependency graph (engine/formula_graph.py): order, cycles, failed formulas,
and that validate (E005) and report (aggregate.formula_order) read the same cycles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kpicli.api import validate_files
from kpicli.engine.aggregate import formula_order
from kpicli.engine.formula_graph import formula_graph
from kpicli.model.kpifile import KPIFile
from tests.helpers import write_kpis


def graph(*formulas: tuple[str, str], measured: tuple[str, ...] = ("m",)):
    ids = [kid for kid, _ in formulas] + list(measured)
    return formula_graph(((kid, text, i) for i, (kid, text) in enumerate(formulas)), ids)


def test_order_puts_inputs_first_and_otherwise_keeps_the_file_order() -> None:
    g = graph(("pct", "conv * 100"), ("conv", "o / m"), ("o", "m + 1"), ("c", "2"))
    ordered, cycles, failed = g.order(blocked=set())
    assert ordered == ["o", "conv", "pct", "c"]
    assert cycles == [] and failed == []


def test_cycles_start_at_the_member_first_in_the_file_and_follow_uses() -> None:
    g = graph(("z", "a + 1"), ("b", "c"), ("a", "b"), ("c", "a"), ("s", "s + m"))
    cycles = g.cycles()
    assert [c.path for c in cycles] == [["b", "c", "a", "b"], ["s", "s"]]
    assert cycles[0].members == {"a", "b", "c"}


def test_intertwined_cycles_are_one_group() -> None:
    # a <-> b and b <-> c share b: one group, reported once, named from a.
    g = graph(("a", "b"), ("b", "a + c"), ("c", "b"))
    (cycle,) = g.cycles()
    assert cycle.members == {"a", "b", "c"} and cycle.path[0] == cycle.path[-1] == "a"


def test_what_cannot_be_computed() -> None:
    g = graph(("x", "y"), ("y", "x"), ("z", "x * 2"), ("u", "nope + m"), ("w", "u"),
              ("bad", "1 +"), ("v", "bad + 1"), ("ok", "m + 1"))
    assert [e.kpi for e in g.entries if e.unknown] == ["u"]
    assert [e.kpi for e in g.entries if e.error is not None] == ["bad"]
    ordered, cycles, failed = g.order(blocked={"u"})
    assert ordered == ["ok"]
    assert [c.path for c in cycles] == [["x", "y", "x"]]
    assert failed == ["x", "y", "z", "w", "v"]


def test_report_and_validate_name_the_same_cycle(tmp_path: Path) -> None:
    # z uses the cycle and comes first: both commands name it from b, its first member.
    text = """\
kpis:
  - {id: z, name: Uses the cycle, formula: a + 1}
  - {id: b, name: Second, formula: c}
  - {id: a, name: First, formula: b}
  - {id: c, name: Third, formula: a}
"""
    path = write_kpis(tmp_path, text)
    result = validate_files([path], select=["E005"], today=dt.date(2026, 6, 15))
    (found,) = [f for f in result.findings if f.rule == "E005"]
    assert found.line == 3 and "formulas form a cycle: b → c → a → b;" in found.message
    import yaml

    _, problems = formula_order(KPIFile.model_validate(yaml.safe_load(text)))
    assert problems["a"] == problems["b"] == problems["c"] == "formulas form a cycle: b → c → a → b"
    assert problems["z"] == "formula depends on a KPI that cannot be computed"
    assert list(problems) == ["b", "c", "a", "z"]


IDS = [f"k{i}" for i in range(6)]


@st.composite
def formula_files(draw: st.DrawFn) -> list[tuple[str, str]]:
    out = []
    for kid in IDS:
        if draw(st.booleans()):
            names = draw(st.lists(st.sampled_from([*IDS, "m", "zz"]), min_size=1, max_size=3))
            out.append((kid, " + ".join(names)))
    return out


@given(formula_files())
def test_every_formula_is_computed_after_its_inputs_or_said_why(formulas: list[tuple[str, str]]) -> None:
    g = graph(*formulas, measured=("m", *(k for k in IDS if k not in dict(formulas))))
    blocked = {e.kpi for e in g.entries if e.unknown}
    ordered, cycles, failed = g.order(blocked)
    on_cycle = {n for c in cycles for n in c.members}
    # each formula lands in exactly one place
    assert sorted([*ordered, *failed, *blocked]) == sorted(dict(formulas))
    assert on_cycle <= set(failed)
    done: set[str] = set()
    for n in ordered:
        assert all(d in done or d not in g.formulas for d in g.uses[n]), (n, ordered)
        done.add(n)
    for c in cycles:
        # a path along "uses" edges through the group, closed, from its first node in the file
        assert c.path[0] == c.path[-1] == min(c.path, key=g.position.__getitem__)
        assert set(c.path) <= c.members
        assert all(b in g.uses[a] for a, b in zip(c.path, c.path[1:], strict=False))
    # the same graph built again gives the same answers (no hash order)
    assert graph(*formulas, measured=("m", *(k for k in IDS if k not in dict(formulas)))).order(
        blocked
    ) == (ordered, cycles, failed)
