"""Every Finding comes from its catalogue rule: one place decides a rule's severity and letter.

kpicli.engine.rules.catalogue.finding builds every Finding; a rule whose problem comes in two
strengths declares both, and a severity the catalogue does not declare is refused. The ast
scan keeps any module from building a Finding of its own again.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from kpicli.engine.rules import CATALOGUE, finding
from tests.helpers import invoke

PKG = Path(__file__).resolve().parent.parent / "kpicli"
# The catalogue builds Findings; the model defines the class.
BUILDERS = {PKG / "engine" / "rules" / "catalogue.py", PKG / "model" / "results.py"}


def _finding_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(
            func, ast.Attribute) else None
        if name == "Finding" or (
            name in ("model_construct", "model_validate", "model_validate_json")
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "Finding"
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_catalogue_builds_findings() -> None:
    offenders = [
        f"{path.relative_to(PKG.parent)}:{line}"
        for path in sorted(PKG.rglob("*.py"))
        if path not in BUILDERS
        for line in _finding_calls(path)
    ]
    assert offenders == [], f"build findings with catalogue.finding(): {offenders}"


def test_the_scan_sees_a_direct_finding() -> None:
    # The scan above must be able to fail: it finds both spellings in a module's text.
    src = PKG / "engine" / "rules" / "catalogue.py"
    assert _finding_calls(src), "the catalogue's own Finding(...) call is not seen"


def test_every_rule_declares_its_usual_severity_first() -> None:
    for rule in CATALOGUE.values():
        assert rule.severities and rule.severities[0] == rule.severity, rule.id
        assert set(rule.severities) <= {"error", "warning", "info"}, rule.id


def test_finding_takes_severity_and_letter_from_the_catalogue() -> None:
    f = finding("D601", "column 'x' has 1 value that is not a number")
    assert (f.rule, f.severity, f.letter) == ("D601", "warning", "D")
    assert finding("E002", "bad key").letter == "E"


def test_a_declared_second_strength_is_accepted() -> None:
    # D610: rows skipped while reading; total rows (nothing lost) are info.
    assert CATALOGUE["D610"].severities == ("warning", "info")
    assert finding("D610", "2 total rows skipped", severity="info").severity == "info"


@pytest.mark.parametrize(("rule", "severity"), [("D601", "info"), ("E001", "warning"),
                                                 ("D611", "error")])
def test_an_undeclared_severity_is_refused(rule: str, severity: str) -> None:
    with pytest.raises(ValueError, match=rule):
        finding(rule, "message", severity=severity)  # type: ignore[arg-type]


def test_context_is_made_json_safe() -> None:
    import datetime as dt

    import numpy as np

    f = finding("D602", "2 entries appear more than once (5 rows)", context={
        "duplicate_groups": np.int64(2),
        "share": np.float64(0.5),
        "flag": np.bool_(True),
        "missing": float("nan"),
        "periods": ("2026-08", np.int32(3), None),
        "day": dt.date(2026, 3, 31),
    })
    assert f.context == {"duplicate_groups": 2, "share": 0.5, "flag": True, "missing": None,
                         "periods": ["2026-08", 3, None], "day": "2026-03-31"}
    assert type(f.context["duplicate_groups"]) is int  # type: ignore[index]
    assert type(f.context["flag"]) is bool  # type: ignore[index]
    assert finding("D602", "no facts").context is None


def test_kpi_rules_json_lists_each_rules_severities() -> None:
    doc = {r["id"]: r for r in json.loads(invoke("rules", "--format", "json").stdout)}
    assert doc["D610"]["severities"] == ["warning", "info"]
    assert doc["D601"]["severities"] == ["warning"]
    assert all(r["severities"][0] == r["severity"] for r in doc.values())
