"""The architecture is checked, not remembered: import directions and a light `kpi --help`."""

from __future__ import annotations

import ast
import subprocess
import sys
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


@pytest.mark.parametrize("layer", sorted(SIDEWAYS))
def test_readers_definitions_writers_stay_in_their_lane(layer: str) -> None:
    assert modules(layer), f"kpicli/{layer}/ has no modules"
    banned = ("kpicli.cli", "kpicli.api", "kpicli.validation", "typer", *SIDEWAYS[layer])
    for path in modules(layer):
        for name in imports_of(path):
            assert not name.startswith(banned), f"{layer}/{path.name} imports {name}"


def test_the_old_io_package_is_gone() -> None:
    assert not (PKG / "io").exists(), "kpicli/io/ was split into readers/, definitions/, writers/"


HEAVY = ("pandas", "numpy", "openpyxl", "pyarrow", "python_calamine", "sqlglot", "duckdb",
         "psycopg")


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
