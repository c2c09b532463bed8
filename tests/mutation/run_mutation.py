"""Mutation testing of the engine: how many small injected bugs do the fast tests catch?

Each mutant changes one thing in one module (stdlib ``ast``, so decorated functions and module
constants such as ``SCORE_CAP`` are mutated too):

* comparisons ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``
* a number constant plus and minus 1
* ``and`` <-> ``or``
* the condition of an ``if``/``while``/conditional expression/comprehension negated
* ``return x`` -> ``return None``

Every worker (``--workers``, default 2) runs in its own copy of the source tree (the copy's
``kpicli`` shadows the installed one through ``PYTHONPATH``); for each mutant it writes the
mutated module, runs ``pytest -x`` on the chosen tests, and counts the mutant killed when the
tests fail (or time out). Survivors are written to ``<out>/survivors-<module>.txt``, the
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
    "kpicli/engine/evaluate.py": [
        "tests/test_engine_status.py",
        "tests/test_engine_precedence.py",
        "tests/test_engine_values_evaluate.py",
    ],
    "kpicli/engine/aggregate.py": [
        "tests/test_engine_aggregate.py",
        "tests/test_engine_values_aggregate.py",
    ],
    "kpicli/engine/periods.py": [
        "tests/test_engine_values_periods.py",
        "tests/test_engine_status.py",
    ],
}

# Equivalent mutants: the key printed for a survivor -> why no test can tell it apart.
# Key: "<module>::<function>::<source line, stripped>::<mutation>[#n]".
ACCEPTED: dict[str, str] = {}

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


def _pytest(copy: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    env.pop("CI", None)  # a skipped external part must not fail a mutant
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p",
           "no:randomly", *tests]
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0
    # 0: passed; 5: nothing collected (a broken selection: treat as an error, not a survivor)
    status = {0: "survived", 1: "killed", 2: "killed"}.get(r.returncode, "error")
    return status, time.monotonic() - t0


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
    copies = []
    for w in range(workers):
        copy = base / f"w{w}"
        _copy_tree(copy)
        copies.append(copy)
    _check_copy(copies[0])
    status, took = _pytest(copies[0], tests, timeout=1800)
    if status != "survived":
        shutil.rmtree(base, ignore_errors=True)
        sys.exit(f"the unmutated tests do not pass ({status}): {' '.join(tests)}")
    timeout = max(30.0, 4 * took)
    print(f"{module}: {len(mutants)} mutants, tests take {took:.1f} s, {workers} workers",
          flush=True)
    todo: queue.Queue[Mutant] = queue.Queue()
    for m in mutants:
        todo.put(m)
    results: dict[int, str] = {}
    lock = threading.Lock()

    def worker(copy: Path) -> None:
        target = copy / module
        while True:
            try:
                m = todo.get_nowait()
            except queue.Empty:
                return
            target.write_text(mutated_source(source, m.index), encoding="utf-8")
            st, _ = _pytest(copy, tests, timeout)
            target.write_text(source, encoding="utf-8")
            with lock:
                results[m.index] = st
                done = len(results)
                if st == "survived" or done % 25 == 0:
                    print(f"  [{done}/{len(mutants)}] {st:8} line {m.line}: {m.key}", flush=True)

    threads = [threading.Thread(target=worker, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
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
    args = ap.parse_args(argv)
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
