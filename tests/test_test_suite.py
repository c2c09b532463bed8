"""The test suite keeps its own rules: a broken import of kpicli fails (never skips), one
shared way to run `kpi`, and example budgets that follow the Hypothesis profile."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import settings

from tests.hypothesis_budget import CI_EXAMPLES, examples

TESTS = Path(__file__).resolve().parent


def suite_modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _calls(path: Path, attribute: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
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


def test_example_budget_follows_the_profile() -> None:
    loaded = settings.default.max_examples
    assert examples(300) == max(5, 300 * loaded // CI_EXAMPLES)
    assert examples(1) == 5  # never fewer than five


def test_profiles_are_fast_locally_and_full_in_ci() -> None:
    assert settings.get_profile("dev").max_examples < settings.get_profile("ci").max_examples
    assert settings.get_profile("ci").max_examples == CI_EXAMPLES
    assert settings.get_profile("ci").derandomize
    assert settings.get_profile("ci").database is None
