"""`kpi report` and `kpi validate --data` name the same rule for the same problem.

The report's engine describes a KPI it cannot compute with a typed problem (its catalogue rule
and a message); validate finds the same problem with its data-backed rules. Each case below is
one broken input; both commands must report exactly the expected rule ids (E and M letters),
with the same facts (the findings' context).
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import CsvFile, KpiFile, invoke

LONG = "month,kpi,value\n2026-01,Revenue,100\n2026-02,Revenue,110\n2026-01,Visits,10\n"
RECORDS = "date,revenue,visits,channel\n2026-01-05,100,10,web\n2026-02-05,110,12,shop\n"
BASE = """version: 1
title: Rule agreement
period: month
kpis:
  - id: revenue
    name: Monthly revenue in euros
    unit: count
    measure: {column: revenue, aggregate: sum}
    target: 100
"""


def _kpi(kid: str, body: str) -> str:
    lines = [f"  - id: {kid}", f"    name: The {kid} figure per month", "    unit: count"]
    return "\n".join([*lines, *("    " + b for b in body.strip().splitlines()), "    target: 10"])


CASES = [
    ("long: measure label missing", LONG, _kpi("web-visits", "measure: {column: Visitz}"), {"M203"}),
    ("long: nothing named, no label", LONG, _kpi("signups", ""), {"M201"}),
    ("records: column missing", RECORDS, _kpi("cost", "measure: {column: cost}"), {"M203"}),
    ("records: nothing named, no column", RECORDS, _kpi("signups", ""), {"M201"}),
    ("formula: unknown KPI", RECORDS, _kpi("ratio", "formula: revenue / visitz"), {"E005"}),
    (
        "formula: cycle",
        RECORDS,
        _kpi("a1", "formula: b1 * 2") + "\n" + _kpi("b1", "formula: a1 / 2"),
        {"E005"},
    ),
    (
        "filter: unknown column",
        RECORDS,
        _kpi("webrev", "measure: {column: revenue, where: \"chanel == 'web'\"}"),
        {"E006"},
    ),
]


def _contexts(findings: list[dict[str, object]]) -> list[object]:
    return [f["context"] for f in findings if str(f["rule"])[0] in "EM"]


def _rules(findings: list[dict[str, object]]) -> set[str]:
    return {str(f["rule"]) for f in findings if str(f["rule"])[0] in "EM"}


@pytest.mark.parametrize(("name", "data", "extra", "expected"), CASES, ids=[c[0] for c in CASES])
def test_report_and_validate_agree(
    kpi_file: KpiFile, csv_file: CsvFile, name: str, data: str, extra: str, expected: set[str]
) -> None:
    kpis = kpi_file(BASE + extra + "\n")
    csv = csv_file(data)
    validated = invoke("validate", kpis, "--data", csv, "-f", "json")
    reported = invoke("report", kpis, "--data", csv, "-f", "json")
    assert reported.exit_code == 0, reported.output
    from_validate = _rules(json.loads(validated.stdout)["findings"])
    from_report = _rules(json.loads(reported.stdout)["findings"])
    assert from_validate == expected, name
    assert from_report == expected, name
    # ... and the same facts: every context validate gives, the report gives too.
    said = _contexts(json.loads(reported.stdout)["findings"])
    for context in _contexts(json.loads(validated.stdout)["findings"]):
        assert context in said, (name, context, said)


@pytest.mark.parametrize(("name", "data", "extra", "expected"), CASES, ids=[c[0] for c in CASES])
def test_report_names_the_same_rule_when_the_data_is_aggregated_in_duckdb(
    kpi_file: KpiFile, csv_file: CsvFile, name: str, data: str, extra: str, expected: set[str]
) -> None:
    # The SQL plan describes a KPI it cannot compute with the same typed problem as the pandas
    # path (it used to hand over bare text, and the report failed on it).
    kpis = kpi_file(BASE.replace("period: month\n", "period: month\ndata: {engine: duckdb}\n")
                    + extra + "\n")
    reported = invoke("report", kpis, "--data", csv_file(data), "-f", "json")
    assert reported.exit_code == 0, reported.output
    findings = json.loads(reported.stdout)["findings"]
    assert _rules(findings) == expected, name
    assert {f["letter"] for f in findings if f["rule"] in expected} == {min(expected)[0]}
