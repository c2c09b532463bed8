"""Mutation testing of the engine: how many small injected bugs do the fast tests catch?

Each mutant changes one thing in one module (stdlib ``ast``, so decorated functions and module
constants such as ``SCORE_CAP`` are mutated too):

* comparisons ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``
* a number constant plus and minus 1
* ``and`` <-> ``or``
* the condition of an ``if``/``while``/conditional expression/comprehension negated
* ``return x`` -> ``return None``

Every worker (``--workers``, default 2) is a long-lived process in its own copy of the source
tree (the copy's ``kpicli`` shadows the installed one through ``PYTHONPATH``); for each mutant
it writes the mutated module, re-imports kpicli and the tests, runs ``pytest -x`` on the chosen
tests in-process, and counts the mutant killed when the tests fail, the import breaks, or the
run exceeds five times the unmutated run (the worker is then restarted). Survivors are written to ``<out>/survivors-<module>.txt``, the
summary to ``<out>/summary-<module>.json``. Mutants listed in ``ACCEPTED`` are equivalent (the
numbers cannot change) and are left out of the score's denominator.

    python tests/mutation/run_mutation.py kpicli/engine/periods.py
    python tests/mutation/run_mutation.py kpicli/engine/evaluate.py --workers 1 --tests \\
        tests/test_engine_status.py tests/test_engine_values_evaluate.py

Slow (every mutant is one pytest process): not part of CI. See tests/mutation/README.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Tests selected per module when --tests is not given: fast and relevant (no corpus, property,
# workbook/xlsx or LibreOffice tests).
DEFAULT_TESTS: dict[str, list[str]] = {
    # Fastest first: with -x a killed mutant stops at its first failing test.
    "kpicli/engine/evaluate.py": [
        "tests/test_engine_values_evaluate.py",
        "tests/test_engine_status.py",
        "tests/test_engine_precedence.py",
        # every member against the member-by-member code of before (a property test)
        "tests/test_evaluate_members.py",
    ],
    "kpicli/engine/aggregate.py": [
        "tests/test_engine_values_aggregate.py",
        "tests/test_engine_aggregate.py",
    ],
    "kpicli/engine/periods.py": [
        "tests/test_engine_values_periods.py",
        "tests/test_engine_status.py",
    ],
}

# Equivalent mutants: the key printed for a survivor -> why no test can tell it apart.
# Key: "<module>::<function>::<source line, stripped>::<mutation>[#n]".
ACCEPTED: dict[str, str] = {
    "periods.py::<module>::@functools.lru_cache(maxsize=4096)::4096 -> 4096 + 1":
        "cache size only: parse returns the same Period whatever the cache holds",
    "periods.py::<module>::@functools.lru_cache(maxsize=4096)::4096 -> 4096 - 1":
        "cache size only: parse returns the same Period whatever the cache holds",
    "periods.py::<module>::@functools.lru_cache(maxsize=8192)::8192 -> 8192 + 1":
        "cache size only: label returns the same text whatever the cache holds",
    "periods.py::<module>::@functools.lru_cache(maxsize=8192)::8192 -> 8192 - 1":
        "cache size only: label returns the same text whatever the cache holds",
    "evaluate.py::_upto::if isinstance(index, pd.PeriodIndex) and index.is_monotonic_increasing:"
    "::negate condition":
        "performance path: the comparison of every period gives the same values as the search",
    "evaluate.py::_upto::if len(index) and index.freq != p.freq:::negate condition":
        "performance path: the comparison of every period gives the same values as the search",
    "evaluate.py::_upto::if len(index) and index.freq != p.freq:::and -> or":
        "performance path: the comparison of every period gives the same values as the search",
    "evaluate.py::_upto::if len(index) and index.freq != p.freq:::!= -> ==":
        "performance path: the comparison of every period gives the same values as the search",
    "evaluate.py::_upto::return series[index <= p]::return x -> return None":
        "reached only for a period of another frequency, whose comparison raises either way",
    "evaluate.py::_upto::return series[index <= p]::<= -> <":
        "reached only for a period of another frequency, whose comparison raises either way",
    "evaluate.py::Context::coverage: float = 1.0::1.0 -> 1.0 + 1":
        "a coverage of 1 or more is a complete period either way (only below 1 is pro-rated)",
    # aggregate.py: performance paths and bookkeeping that give the same numbers
    'aggregate.py::Actuals._rows::bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))::1 -> 1 + 1':
        'one more search bound past the last group: the slices read stop at the last one',
    'aggregate.py::Actuals._rows::first = int(self.periods.asi8[0]) if len(self.periods) else 0::0 -> 0 + 1#2':
        'the first period of an empty table: there are no rows to place',
    'aggregate.py::Actuals._rows::first = int(self.periods.asi8[0]) if len(self.periods) else 0::0 -> 0 - 1#2':
        'the first period of an empty table: there are no rows to place',
    'aggregate.py::Actuals._rows::self._lookup = {k: v for k, v in self._lookup.items() if k[0] != frame}::negate condition':
        'cache housekeeping: which stale lookups are dropped never changes a value',
    'aggregate.py::Actuals._rows::self._lookup = {k: v for k, v in self._lookup.items() if k[0] != frame}::!= -> ==':
        'cache housekeeping: which stale lookups are dropped never changes a value',
    'aggregate.py::Actuals._rows::self._lookup = {k: v for k, v in self._lookup.items() if k[0] != frame}::0 -> 0 + 1':
        'cache housekeeping: which stale lookups are dropped never changes a value',
    'aggregate.py::Actuals._rows::self._lookup = {k: v for k, v in self._lookup.items() if k[0] != frame}::0 -> 0 - 1':
        'cache housekeeping: which stale lookups are dropped never changes a value',
    'aggregate.py::Actuals.series::inside = (at >= 0) & (at < n)::0 -> 0 - 1':
        'positions are always inside the period range (the index is built from the same periods)',
    'aggregate.py::Actuals.series::inside = (at >= 0) & (at < n)::< -> <=':
        'positions are always inside the period range (the index is built from the same periods)',
    'aggregate.py::_aggregate::return g.sum(min_count=0)::0 -> 0 + 1':
        "additive aggregates fill an empty group with 0 afterwards, whatever sum's min_count",
    'aggregate.py::_aggregate::return g.sum(min_count=0)::0 -> 0 - 1':
        "additive aggregates fill an empty group with 0 afterwards, whatever sum's min_count",
    'aggregate.py::_period_offsets::return np.zeros(len(codes), dtype=np.int32), 0, -1::0 -> 0 + 1':
        'the period range of an empty table: there are no rows to place',
    'aggregate.py::_period_offsets::return np.zeros(len(codes), dtype=np.int32), 0, -1::0 -> 0 - 1':
        'the period range of an empty table: there are no rows to place',
    'aggregate.py::_period_offsets::return np.zeros(len(codes), dtype=np.int32), 0, -1::1 -> 1 + 1':
        'the period range of an empty table: there are no rows to place',
    'aggregate.py::_period_offsets::return np.zeros(len(codes), dtype=np.int32), 0, -1::1 -> 1 - 1':
        'the period range of an empty table: there are no rows to place',
    'aggregate.py::_slot_groups::shared = [h for h in distinct if not any(o != h and set(o) & set(h) for o in distinct)]::and -> or':
        'performance grouping: any partition of the label sets into groups of disjoint sets gives the same values',
    'aggregate.py::_slot_groups::shared = [h for h in distinct if not any(o != h and set(o) & set(h) for o in distinct)]::!= -> ==':
        'performance grouping: any partition of the label sets into groups of disjoint sets gives the same values',
    'aggregate.py::_slot_groups::n_labels = int(row_label.max()) + 1 if len(row_label) else 0::1 -> 1 + 1':
        'a larger label-to-slot table: the extra entries are never read (or the table is empty)',
    'aggregate.py::_slot_groups::n_labels = int(row_label.max()) + 1 if len(row_label) else 0::0 -> 0 + 1':
        'a larger label-to-slot table: the extra entries are never read (or the table is empty)',
    'aggregate.py::_slot_groups::n_labels = int(row_label.max()) + 1 if len(row_label) else 0::0 -> 0 - 1':
        'a larger label-to-slot table: the extra entries are never read (or the table is empty)',
    'aggregate.py::_slot_groups::label_slot = np.full(n_labels + 1, -1, dtype=dtype)  # last entry: no label::1 -> 1 + 1':
        'a larger label-to-slot table: the extra entries are never read',
    'aggregate.py::_slot_groups::out.append((label_slot.take(row_label), [slot.get(p.labels, -1) for p in plans]))::1 -> 1 + 1':
        'a plan outside the group is skipped for any negative slot',
    'aggregate.py::_key_index::inside = (keys >= ks.offset) & (keys < ks.offset + ks.size)::< -> <=':
        'a key on the boundary is claimed by the next key set, which is written after this one',
    'aggregate.py::_key_index::gid[inside] = local // max(n_periods, 1) + 1::1 -> 1 - 1':
        'n_periods is at least 1 whenever there are keys',
    'aggregate.py::_key_index::period[inside] = local % max(n_periods, 1) + lo::1 -> 1 - 1':
        'n_periods is at least 1 whenever there are keys',
    'aggregate.py::_present_codes::total = (int(slots.max()) + 1) * size if len(slots) else 0::1 -> 1 + 1':
        'performance path: a larger dense table gives the same codes (or there are no rows)',
    'aggregate.py::_present_codes::total = (int(slots.max()) + 1) * size if len(slots) else 0::0 -> 0 + 1':
        'performance path: a larger dense table gives the same codes (or there are no rows)',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::negate condition':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::<= -> <':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::4 -> 4 + 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::4 -> 4 - 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::1 -> 1 + 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::1 -> 1 - 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::20 -> 20 + 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::if total <= max(4 * n, 1 << 20):::20 -> 20 - 1':
        'performance path: counting densely or hashing gives the same codes',
    'aggregate.py::_present_codes::lookup = np.full(total, -1, dtype=np.int32)::1 -> 1 + 1':
        'entries of the dense table that no row uses are never read',
    'aggregate.py::_present_codes::lookup = np.full(total, -1, dtype=np.int32)::1 -> 1 - 1':
        'entries of the dense table that no row uses are never read',
    'aggregate.py::_present_codes::codes = np.full(n, -1, dtype=np.int32)::1 -> 1 + 1':
        'codes of rows outside every slot are never read (no selection includes them)',
    'aggregate.py::_present_codes::codes = np.full(n, -1, dtype=np.int32)::1 -> 1 - 1':
        'codes of rows outside every slot are never read (no selection includes them)',
    'aggregate.py::_rows::max(int(row_slot.max(initial=0)), *slots) + 2, dtype=bool::0 -> 0 + 1':
        'a larger mask table: the extra entries are False and serve no slot',
    'aggregate.py::_rows::max(int(row_slot.max(initial=0)), *slots) + 2, dtype=bool::0 -> 0 - 1':
        'a larger mask table: the extra entries are False and serve no slot',
    'aggregate.py::_rows::max(int(row_slot.max(initial=0)), *slots) + 2, dtype=bool::2 -> 2 + 1':
        'a larger mask table: the extra entries are False and serve no slot',
    'aggregate.py::compute_actuals::key_sets = [_KeySet(offsets, max(n_periods, 1), 0)]::1 -> 1 + 1':
        "the overall key set's size and offset only number the keys; the period is recovered the same way",
    'aggregate.py::compute_actuals::key_sets = [_KeySet(offsets, max(n_periods, 1), 0)]::1 -> 1 - 1':
        "the overall key set's size and offset only number the keys; the period is recovered the same way",
    'aggregate.py::compute_actuals::key_sets = [_KeySet(offsets, max(n_periods, 1), 0)]::0 -> 0 - 1':
        "the overall key set's size and offset only number the keys; the period is recovered the same way",
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::>= -> >':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::1 -> 1 + 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::1 -> 1 - 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::2 -> 2 + 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::2 -> 2 - 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::31 -> 31 + 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::wide = (len(distinct) + 1) * max(n_periods, 1) >= 2**31::31 -> 31 - 1':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::table, by, n_periods, np.int64 if wide else np.int32::negate condition':
        'int32 or int64 codes: the same numbers below 2**31 keys',
    'aggregate.py::compute_actuals::max(len(members) * n_periods, 1),::1 -> 1 + 1':
        'only differs for an empty table, which has no keys',
    'aggregate.py::compute_actuals::max(len(members) * n_periods, 1),::1 -> 1 - 1':
        'only differs for an empty table, which has no keys',
    'aggregate.py::compute_actuals::key_sets[0].size,::0 -> 0 - 1':
        'key_sets has one element there: [0] and [-1] are the same',
}

_SWAP_CMP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


@dataclass
class Mutant:
    index: int
    line: int
    func: str
    op: str
    key: str


@dataclass
class _Site:
    node: ast.AST
    kind: str  # cmp, const+, const-, boolop, negate, return
    slot: int | str  # cmp: index in ops; negate: the parent's field name
    line: int
    func: str


class _Collector(ast.NodeVisitor):
    """Every mutation site of a module, in a fixed order (the same for every parse)."""

    def __init__(self) -> None:
        self.sites: list[_Site] = []
        self.stack: list[str] = []
        self.skip: set[int] = set()  # ids of nodes never mutated (docstrings, annotations)

    @property
    def func(self) -> str:
        return ".".join(self.stack) or "<module>"

    def _add(self, node: ast.AST, kind: str, slot: int | str = 0) -> None:
        self.sites.append(_Site(node, kind, slot, getattr(node, "lineno", 0), self.func))

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        if not isinstance(node, ast.ClassDef):
            self.visit(node.args)  # defaults are evaluated in the enclosing scope
        self.stack.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_arg(self, node: ast.arg) -> None:  # annotations are not behaviour
        return

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return  # "from __future__ import annotations": nothing to mutate

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            if type(op) in _SWAP_CMP:
                self._add(node, "cmp", i)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        v = node.value
        if isinstance(v, int | float) and not isinstance(v, bool):
            self._add(node, "const+")
            self._add(node, "const-")

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self._add(node, "boolop")
        self.generic_visit(node)

    def _negate(self, node: ast.If | ast.While | ast.IfExp) -> None:
        self._add(node, "negate", "test")
        self.generic_visit(node)

    visit_If = visit_While = visit_IfExp = _negate

    def visit_comprehension(self, node: ast.comprehension) -> None:
        for i in range(len(node.ifs)):
            self.sites.append(_Site(node, "negate", i, node.ifs[i].lineno, self.func))
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        v = node.value
        if v is not None and not (isinstance(v, ast.Constant) and v.value is None):
            self._add(node, "return")
        self.generic_visit(node)


def _sites(tree: ast.Module) -> list[_Site]:
    c = _Collector()
    c.visit(tree)
    return c.sites


def _describe(site: _Site) -> str:
    n = site.node
    if site.kind == "cmp":
        op = type(n.ops[site.slot])  # type: ignore[attr-defined]
        return f"{_CMP_TEXT[op]} -> {_CMP_TEXT[_SWAP_CMP[op]]}"
    if site.kind in ("const+", "const-"):
        sign = "+" if site.kind == "const+" else "-"
        return f"{n.value!r} -> {n.value!r} {sign} 1"  # type: ignore[attr-defined]
    if site.kind == "boolop":
        return "and -> or" if isinstance(n.op, ast.And) else "or -> and"  # type: ignore[attr-defined]
    if site.kind == "negate":
        return "negate condition"
    return "return x -> return None"


def _apply(site: _Site) -> None:
    n = site.node
    if site.kind == "cmp":
        n.ops[site.slot] = _SWAP_CMP[type(n.ops[site.slot])]()  # type: ignore[attr-defined,index]
    elif site.kind == "const+":
        n.value = n.value + 1  # type: ignore[attr-defined]
    elif site.kind == "const-":
        n.value = n.value - 1  # type: ignore[attr-defined]
    elif site.kind == "boolop":
        n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()  # type: ignore[attr-defined]
    elif site.kind == "negate":
        if isinstance(n, ast.comprehension):
            i = int(site.slot)
            n.ifs[i] = ast.UnaryOp(ast.Not(), n.ifs[i])
        else:
            n.test = ast.UnaryOp(ast.Not(), n.test)  # type: ignore[attr-defined]
    else:
        n.value = ast.Constant(None)  # type: ignore[attr-defined]


def enumerate_mutants(module: str, source: str) -> list[Mutant]:
    lines = source.splitlines()
    seen: dict[str, int] = {}
    out = []
    for i, site in enumerate(_sites(ast.parse(source))):
        text = lines[site.line - 1].strip() if 0 < site.line <= len(lines) else ""
        key = f"{Path(module).name}::{site.func}::{text}::{_describe(site)}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += f"#{seen[key]}"
        out.append(Mutant(i, site.line, site.func, _describe(site), key))
    return out


def mutated_source(source: str, index: int) -> str:
    tree = ast.parse(source)
    _apply(_sites(tree)[index])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


# ----------------------------------------------------------------------------- running


def _copy_tree(dest: Path) -> None:
    for name in ("kpicli", "tests", "examples", "schema", "docs"):
        if (ROOT / name).exists():
            shutil.copytree(
                ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)


class _Worker:
    """A long-lived child process in one copy of the tree that runs pytest per mutant.

    Importing pandas and the test modules takes longer than most test selections run, so the
    child keeps them imported: for each mutant it writes the mutated module, forgets the
    imported kpicli and test modules (so every ``from kpicli... import`` sees the mutant) and
    calls ``pytest.main`` again. A mutant that hangs is killed by the parent's timeout and
    the child restarted.
    """

    def __init__(self, copy: Path, module: str, tests: list[str]) -> None:
        self.copy, self.module, self.tests = copy, module, tests
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str] = queue.Queue()

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(self.copy), PYTHONDONTWRITEBYTECODE="1",
                   HYPOTHESIS_PROFILE="mutation")  # tests/conftest.py: deterministic
        env.pop("CI", None)  # a skipped external part must not count as a kill
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", self.module,
             "--tests", *self.tests],
            cwd=self.copy, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        self.lines = queue.Queue()
        out = self.proc.stdout
        assert out is not None
        threading.Thread(target=lambda: [self.lines.put(x) for x in out], daemon=True).start()

    def run(self, index: int, timeout: float) -> tuple[str, float]:
        """``index`` -1 runs the unmutated module. Returns (status, seconds)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        t0 = time.monotonic()
        self.proc.stdin.write(f"{index}\n")
        self.proc.stdin.flush()
        try:
            rc = int(self.lines.get(timeout=timeout).strip())
        except (queue.Empty, ValueError):
            self.stop()
            return "timeout", time.monotonic() - t0
        # 0: passed; 1: a test failed; 2/3: interrupted or internal error (the mutant broke
        # the import): killed; 4/5: usage error or nothing collected: a broken selection
        status = {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(rc, "error")
        return status, time.monotonic() - t0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def serve(module: str, tests: list[str]) -> None:
    """The child side of _Worker: read mutant indexes on stdin, answer pytest's exit code."""
    import pytest

    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as we do
    source = Path(module).read_text(encoding="utf-8")
    stems = {Path(t.split("::")[0]).stem for t in tests} | {"conftest"}
    for line in sys.stdin:
        index = int(line)
        text = source if index < 0 else mutated_source(source, index)
        Path(module).write_text(text, encoding="utf-8")
        for name in list(sys.modules):
            if name.split(".")[0] in {"kpicli", "tests", *stems} or name.startswith("test_"):
                del sys.modules[name]
        rc = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])
        Path(module).write_text(source, encoding="utf-8")
        proto.write(f"{int(rc)}\n")


def _check_copy(copy: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(copy))
    r = subprocess.run([sys.executable, "-c", "import kpicli; print(kpicli.__file__)"],
                       cwd=copy, env=env, capture_output=True, text=True, check=True)
    if not Path(r.stdout.strip()).resolve().is_relative_to(copy.resolve()):
        sys.exit(f"the copy's kpicli is shadowed by {r.stdout.strip()}")


def run(module: str, tests: list[str], workers: int, out: Path, limit: int | None,
        lines: tuple[int, int] | None) -> dict[str, object]:
    source = (ROOT / module).read_text(encoding="utf-8")
    mutants = enumerate_mutants(module, source)
    if lines:
        mutants = [m for m in mutants if lines[0] <= m.line <= lines[1]]
    if limit:
        mutants = mutants[:limit]
    base = Path(tempfile.mkdtemp(prefix="kpicli-mutation-"))
    pool: list[_Worker] = []
    for w in range(workers):
        copy = base / f"w{w}"
        _copy_tree(copy)
        pool.append(_Worker(copy, module, tests))
    _check_copy(pool[0].copy)
    try:
        status, took = pool[0].run(-1, timeout=1800)
        if status != "survived":
            sys.exit(f"the unmutated tests do not pass ({status}): {' '.join(tests)}")
        status, took = pool[0].run(-1, timeout=1800)  # a second run: imports are warm
        timeout = max(20.0, 5 * took)
        print(f"{module}: {len(mutants)} mutants, tests take {took:.1f} s, {workers} workers",
              flush=True)
        todo: queue.Queue[Mutant] = queue.Queue()
        for m in mutants:
            todo.put(m)
        results: dict[int, str] = {}
        lock = threading.Lock()

        def work(worker: _Worker) -> None:
            while True:
                try:
                    m = todo.get_nowait()
                except queue.Empty:
                    return
                st, _ = worker.run(m.index, timeout)
                with lock:
                    results[m.index] = st
                    done = len(results)
                    if st in ("survived", "error") or done % 25 == 0:
                        print(f"  [{done}/{len(mutants)}] {st:8} line {m.line}: {m.key}",
                              flush=True)

        threads = [threading.Thread(target=work, args=(w,)) for w in pool]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for w in pool:
            w.stop()
        shutil.rmtree(base, ignore_errors=True)

    survivors = [m for m in mutants if results.get(m.index) == "survived"]
    errors = [m for m in mutants if results.get(m.index) == "error"]
    equivalent = [m for m in survivors if m.key in ACCEPTED]
    real = [m for m in survivors if m.key not in ACCEPTED]
    killed = len(mutants) - len(survivors) - len(errors)
    scored = len(mutants) - len(errors) - len(equivalent)
    summary = {
        "module": module,
        "tests": tests,
        "mutants": len(mutants),
        "killed": killed,
        "survived": len(survivors),
        "accepted_equivalent": len(equivalent),
        "errors": len(errors),
        "score": killed / max(1, len(mutants) - len(errors)),
        "score_without_equivalent": killed / max(1, scored),
        "survivors": [asdict(m) for m in real],
        "equivalent": [{**asdict(m), "reason": ACCEPTED[m.key]} for m in equivalent],
    }
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(module).stem
    (out / f"summary-{stem}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    with open(out / f"survivors-{stem}.txt", "w", encoding="utf-8") as fh:
        for m in real:
            fh.write(f"{module}:{m.line}: {m.op}  [{m.key}]\n")
        for m in equivalent:
            fh.write(f"{module}:{m.line}: {m.op}  [{m.key}]  (accepted: {ACCEPTED[m.key]})\n")
    return summary

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="+", help="module paths, e.g. kpicli/engine/periods.py")
    ap.add_argument("--tests", nargs="+", help="pytest arguments (default: per module)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "mutation")
    ap.add_argument("--limit", type=int, help="only the first N mutants (a smoke run)")
    ap.add_argument("--lines", help="only mutants on lines A-B")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # a worker
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.modules[0], args.tests)
        return 0
    lines = tuple(int(x) for x in args.lines.split("-")) if args.lines else None
    rows = []
    for module in args.modules:
        if args.list:
            src = (ROOT / module).read_text(encoding="utf-8")
            for m in enumerate_mutants(module, src):
                print(f"{m.index:4} line {m.line:4}  {m.key}")
            continue
        tests = args.tests or DEFAULT_TESTS.get(module)
        if not tests:
            ap.error(f"no default tests for {module}: pass --tests")
        rows.append(run(module, tests, max(1, args.workers), args.out, args.limit, lines))
    if rows:
        print("\n| module | mutants | killed | survived | equivalent | score | score without "
              "equivalent |\n|---|---:|---:|---:|---:|---:|---:|")
        for s in rows:
            print(f"| `{s['module']}` | {s['mutants']} | {s['killed']} | {s['survived']} | "
                  f"{s['accepted_equivalent']} | {s['score']:.0%} | "
                  f"{s['score_without_equivalent']:.0%} |")
        print(f"\nsurvivors: {args.out}/survivors-<module>.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
