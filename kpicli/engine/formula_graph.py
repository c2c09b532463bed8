"""The formula dependency graph: which KPIs each formula uses, the order in which formulas can
be computed, and the cycles that stop them.

One graph, built with the standard library's graphlib, serves both readers of formulas: the
E005 rule (kpicli.engine.rules.structural: unknown names, cycles) and aggregation
(kpicli.engine.aggregate.formula_order: evaluation order, why a formula has no value).

Contract: pure (the expression parser, and with it pandas, is imported only when a graph is
built); deterministic (ties are broken by the place of a formula in the file, never by hash
order); cycles are named from their member that comes first in the file, in the direction
"uses": ``a → b → a`` when a's formula uses b.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any


@dataclass(frozen=True)
class FormulaEntry:
    """One formula as written: its KPI, where it is (the caller's index), what it names."""

    kpi: str
    where: Any
    unknown: tuple[str, ...] = ()  # names that are no KPI id, sorted
    error: Any = None  # the ExpressionError when the formula cannot be read


@dataclass(frozen=True)
class Cycle:
    """Formulas that use each other, and one cycle through them: ``[a, b, a]``."""

    members: frozenset[str]
    path: list[str]


@dataclass
class FormulaGraph:
    entries: list[FormulaEntry]
    spelling: dict[str, str]  # every name a formula may use -> the KPI id it means
    formulas: set[str] = field(default_factory=set)  # every KPI with a formula, read or not
    uses: dict[str, set[str]] = field(default_factory=dict)  # readable formula -> KPI ids named
    position: dict[str, int] = field(default_factory=dict)  # readable formula -> first place

    def _sorter(
        self, nodes: Iterable[str], sources: Collection[str] = (),
        groups: Mapping[str, Cycle] | None = None,
    ) -> TopologicalSorter:
        """A sorter over ``nodes`` (each after the formulas it uses among them); the ``sources``
        keep no edges, as if they used nothing, and the members of a group none between them."""
        keep = set(nodes)
        groups = groups or {}
        ts: TopologicalSorter = TopologicalSorter()
        for n in sorted(keep, key=self.position.__getitem__):
            used = [] if n in sources else sorted(
                d for d in self.uses[n]
                if d in keep and (n not in groups or groups.get(d) is not groups[n])
            )
            ts.add(n, *used)
        return ts

    def cycles(self, nodes: Iterable[str] | None = None) -> list[Cycle]:
        """The groups of readable formulas (default: all) that use each other, earliest in
        the file first: each with one cycle through them (the one graphlib finds), from the
        formula on that cycle that comes first in the file.

        graphlib reports one cycle at a time; each is contracted into one node until none is
        left, so a group is everything that lies on intertwined cycles (a strongly connected
        component, or one formula that uses itself) and is reported once.
        """
        keep = set(self.position if nodes is None else nodes)
        rep = {n: n for n in keep}  # formula -> the node it was contracted into
        merged: set[str] = set()  # contracted nodes (cycles found)
        while True:
            ts: TopologicalSorter = TopologicalSorter()
            for n in sorted(keep, key=self.position.__getitem__):
                ts.add(rep[n])
                for d in sorted(self.uses[n]):
                    if d in keep and not (rep[d] == rep[n] and rep[n] in merged):
                        ts.add(rep[n], rep[d])
            try:
                ts.prepare()
            except CycleError as exc:
                found = set(exc.args[1])
                head = min(found, key=self.position.__getitem__)
                rep = {n: head if r in found else r for n, r in rep.items()}
                merged.add(head)
            else:
                break
        out: list[Cycle] = []
        for head in sorted(merged, key=self.position.__getitem__):
            members = frozenset(n for n, r in rep.items() if r == head)
            try:
                self._sorter(members).prepare()
            except CycleError as exc:
                # graphlib walks from a formula to those that use it: reverse for "uses".
                path = list(reversed(exc.args[1][1:]))
                start = min(range(len(path)), key=lambda j: self.position[path[j]])
                path = path[start:] + path[:start]
                out.append(Cycle(members, [*path, path[0]]))
        return out

    def order(self, blocked: Collection[str]) -> tuple[list[str], list[Cycle], list[str]]:
        """(the formulas that can be computed, each after the formulas it uses, earlier in
        the file first among those ready; the cycles; the formulas that cannot be computed,
        in the same order, each cycle's members together along its path).

        ``blocked``: formulas with a problem of their own (unknown names); they and the
        unreadable ones are neither computed nor in the cycles or the last list. A formula
        cannot be computed when it is on a cycle or uses, directly or not, a blocked or
        unreadable formula or one on a cycle.
        """
        free = [n for n in self.position if n not in blocked]
        cycles = self.cycles(free)
        cycle_of = {n: c for c in cycles for n in c.members}
        # Without the edges inside each cycle the graph is acyclic (its condensation).
        sources = set(blocked)
        # Each formula settles with the first formula in the file that needs it: then the
        # order reads as the file does (a formula's inputs just before it).
        first = dict(self.position)
        for n in reversed(list(self._sorter(self.position, sources, cycle_of).static_order())):
            for d in () if n in sources else self.uses[n]:
                if d in first and (n not in cycle_of or cycle_of.get(d) is not cycle_of[n]):
                    first[d] = min(first[d], first[n])
        ts = self._sorter(self.position, sources, cycle_of)
        ts.prepare()
        ok: dict[str, bool] = {}
        ordered: list[str] = []
        failed: list[str] = []
        ready: list[tuple[int, int, str]] = []
        while ts.is_active():
            for n in ts.get_ready():
                heapq.heappush(ready, (first[n], self.position[n], n))
            *_, n = heapq.heappop(ready)
            ts.done(n)
            # A KPI without a formula is measured: always there; a formula is there if computed.
            ok[n] = n not in blocked and n not in cycle_of and all(
                ok.get(d, d not in self.formulas) for d in self.uses[n]
            )
            if ok[n]:
                ordered.append(n)
            elif n in cycle_of:
                c = cycle_of[n]
                failed += [m for m in dict.fromkeys([*c.path, *sorted(c.members)]) if m not in failed]
            elif n not in blocked:
                failed.append(n)
        return ordered, cycles, failed


def formula_graph(formulas: Iterable[tuple[str, str, Any]], ids: Iterable[str]) -> FormulaGraph:
    """The graph of ``formulas`` — (KPI id, formula text, where it is) in file order — over
    the KPI ids ``ids`` (formulas write ids containing ``-`` or ``.`` with ``_`` or in
    backticks: kpicli.engine.expr.formula_namespace)."""
    from kpicli.engine.expr import ExpressionError, formula_namespace, parse_expression

    graph = FormulaGraph([], formula_namespace(ids))
    for kid, text, where in formulas:
        graph.formulas.add(kid)
        try:
            names = parse_expression(text, "formula").names
        except ExpressionError as exc:
            graph.entries.append(FormulaEntry(kid, where, error=exc))
            continue
        unknown = tuple(sorted(n for n in names if n not in graph.spelling))
        graph.entries.append(FormulaEntry(kid, where, unknown))
        graph.uses.setdefault(kid, set()).update(
            graph.spelling[n] for n in names if n in graph.spelling
        )
        graph.position.setdefault(kid, len(graph.position))
    return graph
