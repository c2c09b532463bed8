"""The test suite keeps its own rules: a broken import of kpicli fails (never skips), one
shared way to run `kpi` and to write KPI files and CSVs, and example budgets that follow the
Hypothesis profile."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from hypothesis import settings

from tests.hypothesis_budget import CI_EXAMPLES, examples

TESTS = Path(__file__).resolve().parent


def suite_modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The module's syntax tree, parsed once for all the checks here (the suite is ~20,000
    lines: parsing and walking it is most of these tests' time)."""
    return ast.parse(path.read_text(encoding="utf-8"))


@functools.cache
def _all_calls(path: Path) -> tuple[ast.Call, ...]:
    return tuple(node for node in ast.walk(_tree(path)) if isinstance(node, ast.Call))


def _calls(path: Path, attribute: str) -> list[ast.Call]:
    return [
        node
        for node in _all_calls(path)
        if (
            (isinstance(node.func, ast.Attribute) and node.func.attr == attribute)
            or (isinstance(node.func, ast.Name) and node.func.id == attribute)
        )
    ]


def test_no_test_skips_when_kpicli_itself_does_not_import() -> None:
    offenders = []
    for path in suite_modules():
        for call in _calls(path, "importorskip"):
            name = call.args[0] if call.args else None
            if isinstance(name, ast.Constant) and str(name.value).split(".")[0] == "kpicli":
                offenders.append(f"{path.name}:{call.lineno}")
    assert offenders == [], f"a broken import of kpicli must fail, not skip: {offenders}"


def test_kpi_runs_through_the_shared_invoke() -> None:
    """tests/helpers.py is the one place that builds a CliRunner (tests/conftest.py offers it
    as the `invoke` fixture): a neutral environment for every in-process run."""
    builders = [
        f"{path.relative_to(TESTS)}:{call.lineno}"
        for path in suite_modules()
        if path.name != "helpers.py"
        for call in _calls(path, "CliRunner")
    ]
    assert builders == []


def _data_file_name(node: ast.expr, names: dict[str, str]) -> str | None:
    """The file name of ``folder / "x.csv"`` (or of a variable assigned one), when it is a
    CSV or a KPI file."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and isinstance(node.right, ast.Constant)
        and isinstance(node.right.value, str)
        and node.right.value.endswith((".csv", "kpis.yaml"))
    ):
        return node.right.value
    return None


def test_kpi_files_and_csvs_are_written_through_the_helpers() -> None:
    """tests/helpers.py's write_kpis / write_csv (the kpi_file / csv_file fixtures) write every
    KPI file and CSV a test makes, not ``(tmp_path / "data.csv").write_text(...)`` copies
    (a file rewritten from its own text in place may stay)."""
    offenders = []
    for path in suite_modules():
        if path.name in ("helpers.py", "make_test_data.py"):  # the helpers; the data generator
            continue
        for func in ast.walk(_tree(path)):
            if not isinstance(func, ast.FunctionDef):
                continue
            names: dict[str, str] = {}
            nodes = list(ast.walk(func))
            for node in nodes:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    name = _data_file_name(node.value, names)
                    if isinstance(target, ast.Name) and name:
                        names[target.id] = name
            for call in _calls_in(nodes, "write_text"):
                receiver = call.func.value  # type: ignore[attr-defined]
                rewrites_itself = isinstance(receiver, ast.Name) and any(
                    isinstance(n, ast.Attribute)
                    and n.attr == "read_text"
                    and isinstance(n.value, ast.Name)
                    and n.value.id == receiver.id
                    for arg in call.args
                    for n in ast.walk(arg)
                )
                if _data_file_name(receiver, names) and not rewrites_itself:
                    offenders.append(f"{path.relative_to(TESTS)}:{call.lineno}")
    assert offenders == [], f"write KPI files and CSVs with tests/helpers.py: {offenders}"


def _calls_in(nodes: list[ast.AST], attribute: str) -> list[ast.Call]:
    return [
        node
        for node in nodes
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
    ]


def test_example_budget_follows_the_profile() -> None:
    loaded = settings.default.max_examples
    assert examples(300) == max(5, 300 * loaded // CI_EXAMPLES)
    assert examples(1) == 5  # never fewer than five


def test_profiles_are_fast_locally_and_full_in_ci() -> None:
    assert settings.get_profile("dev").max_examples < settings.get_profile("ci").max_examples
    assert settings.get_profile("ci").max_examples == CI_EXAMPLES
    assert settings.get_profile("ci").derandomize
    assert settings.get_profile("ci").database is None
