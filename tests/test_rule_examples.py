"""Every catalogue rule's examples run: ``bad`` gives a finding of that rule, ``good`` none.

A rule without examples fails here unless it is listed in NO_EXAMPLE with the reason no
small text file can make it fire (the catalogue's ``untestable`` must say so too).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kpicli.api import build_report, validate_files
from kpicli.engine.rules import CATALOGUE, Example, Rule
from tests.helpers import write_csv, write_kpis

TODAY = dt.date(2026, 6, 15)  # T503 and D604 compare against today

NO_EXAMPLE = {
    "D600": "row-level checks are skipped only for Parquet or a database aggregated by "
    "DuckDB/PostgreSQL, binary sources that a text example cannot be",
    "D608": "a formula cell without a cached value exists only in a workbook (binary)",
}


def _rule_ids(rule_filter: str) -> list[str]:
    rules = sorted(CATALOGUE.values(), key=lambda r: r.id)
    if rule_filter == "examples":
        return [r.id for r in rules if r.id not in NO_EXAMPLE]
    return [r.id for r in rules]


def _found(tmp_path: Path, rule: Rule, example: Example) -> list[str]:
    """The messages of ``rule``'s findings on ``example`` (a kpis.yaml and its data.csv)."""
    write_kpis(tmp_path, example.kpis)
    if example.data is not None:
        write_csv(tmp_path, example.data)
    if rule.found_by == "report":
        findings = build_report(tmp_path / "kpis.yaml", today=TODAY).findings
    else:
        result = validate_files([tmp_path / "kpis.yaml"], select=[rule.id], today=TODAY)
        findings = result.findings
    return [f.message for f in findings if f.rule == rule.id]


@pytest.mark.parametrize("rule_id", _rule_ids("all"))
def test_every_rule_has_a_failing_and_a_passing_example_or_a_reason(rule_id: str) -> None:
    rule = CATALOGUE[rule_id]
    if rule_id in NO_EXAMPLE:
        assert rule.untestable, f"{rule_id} is listed without examples: say why in the catalogue"
        assert rule.bad is None and rule.good is None, f"{rule_id} has examples now: unlist it"
    else:
        assert rule.untestable is None, f"{rule_id}: add it to NO_EXAMPLE with the reason"
        assert rule.bad is not None, f"{rule_id} has no failing (bad) example"
        assert rule.good is not None, f"{rule_id} has no passing (good) example"


@pytest.mark.parametrize("rule_id", _rule_ids("examples"))
def test_bad_example_fires_the_rule(tmp_path: Path, rule_id: str) -> None:
    rule = CATALOGUE[rule_id]
    assert rule.bad is not None
    assert _found(tmp_path, rule, rule.bad), f"{rule_id}: its bad example gives no {rule_id}"


@pytest.mark.parametrize("rule_id", _rule_ids("examples"))
def test_good_example_does_not_fire_the_rule(tmp_path: Path, rule_id: str) -> None:
    rule = CATALOGUE[rule_id]
    assert rule.good is not None
    found = _found(tmp_path, rule, rule.good)
    assert not found, f"{rule_id}: its good example still gives {found}"


def test_examples_are_in_docs_rules_md() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in CATALOGUE.values():
        for example in (rule.bad, rule.good):
            if example is not None:
                assert example.kpis.strip() in text, rule.id
        if rule.untestable:
            assert rule.untestable in text, rule.id
