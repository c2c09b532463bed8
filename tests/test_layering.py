"""The architecture is checked, not remembered: import directions, no import cycles, and a
light `kpi --help`."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "kpicli"


def imports_of(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:
            continue  # `if TYPE_CHECKING:` blocks cost nothing at run time
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PKG / layer).rglob("*.py"))


def test_model_imports_nothing_from_engine_io_cli_and_no_pandas_at_import() -> None:
    for path in modules("model"):
        for name in imports_of(path):
            assert not name.startswith(("kpicli.engine", "kpicli.readers", "kpicli.writers",
                                        "kpicli.definitions", "kpicli.cli", "kpicli.api",
                                        "typer", "rich")), f"{path.name} imports {name}"
        for name in imports_of(path, top_level_only=True):
            assert not name.startswith(("pandas", "numpy", "openpyxl")), f"{path.name}: {name}"


def test_engine_imports_neither_typer_rich_readers_writers_nor_cli() -> None:
    for path in modules("engine"):
        for name in imports_of(path):
            assert not name.startswith(("typer", "rich", "kpicli.readers", "kpicli.writers",
                                        "kpicli.definitions", "kpicli.cli", "kpicli.api")), (
                f"{path.name} imports {name}"
            )


# Readers, definitions and writers sit side by side under the api: none of them reaches up
# (cli, api, typer), and writers render a result without reading data or recomputing it.
SIDEWAYS = {
    "readers": ("kpicli.writers", "kpicli.definitions"),
    "definitions": ("kpicli.readers", "kpicli.writers", "kpicli.engine"),
    "writers": ("kpicli.readers", "kpicli.definitions", "kpicli.engine"),
}
# The one way into the engine the loader takes: the rule catalogue (data, light at import),
# from which every Finding takes its severity and letter (E001 and E002 are the loader's).
ALLOWED = {"definitions": ("kpicli.engine.rules.catalogue",)}


@pytest.mark.parametrize("layer", sorted(SIDEWAYS))
def test_readers_definitions_writers_stay_in_their_lane(layer: str) -> None:
    assert modules(layer), f"kpicli/{layer}/ has no modules"
    banned = ("kpicli.cli", "kpicli.api", "kpicli.validation", "typer", *SIDEWAYS[layer])
    for path in modules(layer):
        for name in imports_of(path):
            if name in ALLOWED.get(layer, ()):
                continue
            assert not name.startswith(banned), f"{layer}/{path.name} imports {name}"


# The CLI is glue: options -> one api call -> a writer -> exit code. It reads no data, loads
# no KPI file and computes nothing itself, so it imports the api, the result models it hands
# to writers, the writers, and the small shared modules (errors, limits, paths); `kpicli`
# itself only for __version__ and the examples folder (kpi init).
CLI_MAY_IMPORT = ("kpicli.api", "kpicli.model", "kpicli.writers", "kpicli.errors",
                  "kpicli.limits", "kpicli.paths", "kpicli.cli")


def test_cli_imports_only_the_api_models_writers_and_shared_modules() -> None:
    assert modules("cli"), "kpicli/cli/ has no modules"
    for path in modules("cli"):
        for name in kpicli_imports(path):
            allowed = name == "kpicli" or any(
                name == ok or name.startswith(ok + ".") for ok in CLI_MAY_IMPORT
            )
            assert allowed, (
                f"cli/{path.name} imports {name}: the CLI calls kpicli.api and renders with "
                "kpicli.writers; move the orchestration into kpicli/api/"
            )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs, at any depth (function bodies too), but not `if TYPE_CHECKING:`
    blocks: they are never executed, so they cannot take part in an import cycle."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def kpicli_imports(path: Path, known: set[str] | None = None) -> set[str]:
    """The kpicli modules ``path`` imports at run time (module level or inside functions),
    relative imports resolved; ``from pkg import mod`` names the module ``pkg.mod``."""
    known = known if known is not None else set(all_modules())
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            targets = [
                f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin
                for a in node.names
            ]
        for target in targets:
            while target and target not in known:  # kpicli.api.load.read_table -> the module
                target = target.rpartition(".")[0]
            if target and target != this:
                found.add(target)
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    mods = all_modules()
    known = set(mods)
    return {name: kpicli_imports(path, known) for name, path in mods.items()}


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (each module importing the next, the last the first), or
    [] when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        return list(err.args[1])
    return []


def collapse(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The graph between the direct members of ``package`` (its modules and subpackages)."""

    def member(name: str) -> str | None:
        if not name.startswith(package + "."):
            return None
        return package + "." + name[len(package) + 1 :].split(".")[0]

    out: dict[str, set[str]] = {}
    for a, targets in graph.items():
        ma = member(a)
        if ma is None:
            continue
        out.setdefault(ma, set())
        for b in targets:
            mb = member(b)
            if mb is not None and mb != ma:
                out[ma].add(mb)
    return out


def test_no_import_cycles_between_modules() -> None:
    """A module never imports (directly or through others) a module that imports it back,
    not even inside a function: each layer and module can be read, tested and moved alone."""
    found = cycle(import_graph())
    assert found == [], " -> ".join(found)


def test_no_import_cycles_between_packages() -> None:
    """Nor do the packages at any level (api, cli, engine, readers ...; engine.expr and
    engine's other modules) depend on each other in a circle."""
    graph = import_graph()
    packages = [module_name(p.parent / "__init__.py") for p in PKG.rglob("__init__.py")]
    found = {pkg: cycle(collapse(graph, pkg)) for pkg in sorted(packages)}
    assert {pkg: " -> ".join(c) for pkg, c in found.items() if c} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    found = cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert set(found) == {"a", "b", "c"} and found[0] == found[-1]
    modules_only = {"x.y.m": {"x.z"}, "x.z": {"x.y.n"}, "x.y.n": set()}
    assert cycle(modules_only) == []  # no module imports itself back ...
    assert set(cycle(collapse(modules_only, "x"))) == {"x.y", "x.z"}  # ... but x.y and x.z do


def test_the_old_io_package_is_gone() -> None:
    assert not (PKG / "io").exists(), "kpicli/io/ was split into readers/, definitions/, writers/"


HEAVY = ("pandas", "numpy", "openpyxl", "pyarrow", "python_calamine", "fastexcel", "sqlglot",
         "duckdb", "psycopg", "pyspark", "py4j")


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["report", "--help"], ["diff", "--help"], ["template", "--help"], ["rules"],
     ["schema"]],
)
def test_light_commands_import_no_heavy_modules(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from kpicli.cli import app\n"
        "try:\n"
        f"    app({argv!r}, prog_name='kpi', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if argv[0] in ("rules", "schema") and "No such command" in proc.stderr + proc.stdout:
        pytest.skip(f"`kpi {argv[0]}` is not registered")
    assert proc.stderr.strip().endswith("[]"), proc.stderr[-2000:]
