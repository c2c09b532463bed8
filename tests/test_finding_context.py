"""Findings carry their facts as ``context`` in JSON and SARIF, so scripts need not parse the
message: hand-counted values for a few rules of `kpi report` and `kpi validate`."""

from __future__ import annotations

import json

from tests.helpers import CsvFile, KpiFile, invoke

LONG_KPIS = """\
version: 1
period: month
data: {layout: long, kpi_column: kpi, value_column: value, date_column: month}
kpis:
  - id: revenue
    name: Revenue
    unit: count
    target: 50
"""
# Line 4 repeats line 3's KPI and month; line 5 is not a number; line 6 lies in the future.
LONG_CSV = """\
month,kpi,value
2026-01,Revenue,100
2026-02,Revenue,110
2026-02,Revenue,5
2026-03,Revenue,twelve
2099-01,Revenue,7
"""


def _by_rule(findings: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for f in findings:
        out.setdefault(str(f["rule"]), []).append(f)
    return out


def test_report_json_findings_carry_their_facts(kpi_file: KpiFile, csv_file: CsvFile) -> None:
    kpis, csv = kpi_file(LONG_KPIS), csv_file(LONG_CSV)
    doc = invoke("report", kpis, "--data", csv, "--period", "2026-02", "-f", "json").json()
    found = _by_rule(doc["findings"])
    (dup,) = found["D602"]
    assert dup["context"] == {"duplicate_groups": 1, "duplicate_rows": 2}
    (bad,) = found["D601"]
    assert bad["context"] == {
        "column": "value",
        "cells": 1,
        "examples": ["twelve"],
        "locations": [f"{bad['file']}:5"],
    }
    (future,) = found["D604"]
    context = future["context"]
    assert isinstance(context, dict)
    assert (context["future_rows"], context["latest_date"], context["column"]) == (
        1, "2099-01-01", "month"
    )
    # Every finding has the key: null when a rule has no facts to give.
    assert all("context" in f for f in doc["findings"])


def test_report_json_names_what_a_kpi_cannot_be_computed_from(
    kpi_file: KpiFile, csv_file: CsvFile
) -> None:
    kpis = kpi_file(LONG_KPIS + """\
  - id: ratio
    name: Revenue per visit
    formula: revenue / visits
""")
    doc = invoke("report", kpis, "--data", csv_file(LONG_CSV), "-f", "json").json()
    (e005,) = _by_rule(doc["findings"])["E005"]
    assert e005["kpi"] == "ratio"
    assert e005["context"] == {"unknown": ["visits"]}


VALIDATE_KPIS = """\
version: 1
kpis:
  - id: csat
    name: Customer satisfaction score from the survey
    description: Share of happy customers
    owner: Support lead
    unit: percent
    baseline: {value: 78, period: 2026-06}
    target: {value: 70, due: 2026-03}
"""


def test_validate_json_findings_carry_their_facts(kpi_file: KpiFile) -> None:
    doc = invoke("validate", kpi_file(VALIDATE_KPIS), "-f", "json").json()
    found = _by_rule(doc["findings"])
    assert [f["context"] for f in found["T502"]] == [{"due": "2026-03", "baseline": "2026-06"}]
    assert [f["context"] for f in found["A301"]] == [
        {"target": 70.0, "baseline": 78.0, "direction": "higher"}
    ]
    assert [f["context"] for f in found["S102"]] == [{"words": 4}]
    (t503,) = found["T503"]
    assert {k: t503["context"][k] for k in ("due", "ended")} == {  # type: ignore[index]
        "due": "2026-03", "ended": "2026-03-31"
    }


def test_validate_with_data_names_the_column_and_counts_the_text(
    kpi_file: KpiFile, csv_file: CsvFile
) -> None:
    kpis = kpi_file("""\
version: 1
kpis:
  - id: revenue
    name: Monthly revenue in euros
    unit: count
  - id: visits
    name: Monthly visits to the shop
    unit: count
    measure: {column: visitz}
""")
    csv = csv_file("month,revenue,visits\n2026-01,100,5\n2026-02,abc,6\n2026-03,120,7\n")
    doc = invoke("validate", kpis, "--data", csv, "-f", "json").json()
    found = _by_rule(doc["findings"])
    assert [f["context"] for f in found["M203"]] == [{"column": "visitz"}]
    # One text cell of three keeps the column text: M204 counts it.
    assert [f["context"] for f in found["M204"]] == [
        {"column": "revenue", "text_values": 1, "values": 3, "example": "abc"}
    ]


def test_sarif_results_carry_the_context_as_properties(kpi_file: KpiFile) -> None:
    kpis = kpi_file(VALIDATE_KPIS)
    findings = invoke("validate", kpis, "-f", "json").json()["findings"]
    sarif = json.loads(invoke("validate", kpis, "-f", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(findings)
    for f, res in zip(findings, results, strict=True):
        assert res["ruleId"] == f["rule"]
        assert res.get("properties", {}).get("context") == f["context"]
    assert any(f["context"] for f in findings)


def test_text_output_does_not_show_the_context(kpi_file: KpiFile) -> None:
    kpis = kpi_file(VALIDATE_KPIS)
    text = invoke("validate", kpis).stdout
    assert "T502" in text and "'baseline'" not in text and "context" not in text
