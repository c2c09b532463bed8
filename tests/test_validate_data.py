"""`kpi validate` with data: --data or data.path, data-backed findings at their YAML nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kpicli.cli  # noqa: F401 - registers every command on the app
from tests.helpers import Ran, invoke, write_csv, write_kpis

CSV = """\
closed_at,csat,tickets,notes,late
2026-01-15,80,100,a,1
2026-02-15,81,110,1,2
2026-03-15,82,120,2,3
2026-04-15,83,125,n/a,
2026-05-15,84,130,3,
"""

KPIS = """\
version: 1
objectives:
  - id: obj
    title: Delight our customers
    owner: VP Support
kpis:
  - id: csat
    name: Customer satisfaction (CSAT)
    description: Share of survey answers rating 4 or 5 out of 5.
    objective: obj
    owner: Support lead
    kind: leading
    unit: percent
    measure: {column: csatt, aggregate: mean}
    target: {min: 80}
  - id: tickets
    name: Tickets resolved per month
    description: Tickets closed as resolved in the month, all channels.
    objective: obj
    owner: Support lead
    kind: leading
    unit: count
    measure: {column: tickets, aggregate: sum}
    baseline: {value: 100, period: 2026-01}
    target: {value: 300, due: 2026-08}
  - id: notes
    name: Notes written per ticket
    description: Average number of internal notes written on each ticket.
    objective: obj
    owner: Support lead
    kind: leading
    unit: count
    measure: {column: notes, aggregate: mean}
    target: {max: 5}
  - id: late
    name: Late replies per month
    description: Replies sent after the promised response time, per month.
    objective: obj
    owner: Support lead
    kind: leading
    unit: count
    direction: lower
    target: {max: 10}
  - id: backlog
    name: Open ticket backlog
    description: Tickets open at the end of the month, all channels.
    objective: obj
    owner: Support lead
    kind: leading
    unit: count
    direction: lower
    target: {max: 40}
"""


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def run(*args: str) -> Ran:
    return invoke("validate", "--today", "2026-06-01", "--format", "json", *args,
                  env={"NO_COLOR": "1"})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_csv(tmp_path, CSV)
    write_kpis(tmp_path, KPIS)
    return tmp_path


def test_data_rules_with_data_option(project: Path) -> None:
    res = run(str(project / "kpis.yaml"), "--data", str(project / "data.csv"))
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    got = {(f["rule"], f["line"], f["kpi"]) for f in doc["findings"] if f["rule"][0] != "D"}
    assert got == {
        ("M203", line_of(KPIS, "column: csatt"), "csat"),
        ("A304", line_of(KPIS, "due: 2026-08"), "tickets"),
        ("M204", line_of(KPIS, "column: notes"), "notes"),
        ("M205", line_of(KPIS, "- id: late"), "late"),
        ("M201", line_of(KPIS, "- id: backlog"), "backlog"),
    }
    m203 = next(f for f in doc["findings"] if f["rule"] == "M203")
    assert "did you mean 'csat'?" in m203["message"]
    assert doc["files"][0]["data"] == [str(project / "data.csv")]


def test_data_path_in_the_file(project: Path) -> None:
    text = KPIS.replace("kpis:\n", "data: {path: data.csv, date_column: closed_at}\nkpis:\n", 1)
    write_kpis(project, text)
    res = run(str(project / "kpis.yaml"))
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    assert {"M201", "M203", "M204", "M205", "A304"} <= rules
    res = run(str(project / "kpis.yaml"), "--no-data")
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    assert not rules & {"M203", "M204", "M205", "A304"}


def test_unreadable_data_path_is_a_finding_at_that_node(project: Path) -> None:
    text = KPIS.replace("kpis:\n", "data:\n  path: missing.csv\nkpis:\n", 1)
    write_kpis(project, text)
    res = run(str(project / "kpis.yaml"))
    assert res.exit_code == 1
    found = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "M206"]
    assert len(found) == 1
    assert found[0]["line"] == line_of(text, "path: missing.csv") and found[0]["column"] == 9
    assert "missing.csv" in found[0]["message"]


def test_missing_data_option_exits_2(project: Path) -> None:
    res = run(str(project / "kpis.yaml"), "--data", str(project / "nope.csv"))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "nope.csv" in res.stderr and "Traceback" not in res.stderr


def test_ignore_on_a_kpi_silences_a_data_rule(project: Path) -> None:
    text = KPIS.replace("    target: {value: 300, due: 2026-08}\n",
                        "    target: {value: 300, due: 2026-08}\n    ignore: [A304]\n")
    write_kpis(project, text)
    res = run(str(project / "kpis.yaml"), "--data", str(project / "data.csv"))
    assert "A304" not in {f["rule"] for f in json.loads(res.stdout)["findings"]}


def test_selecting_definition_rules_does_not_read_data(project: Path) -> None:
    res = run(str(project / "kpis.yaml"), "--data", str(project / "nope.csv"), "--select", "S")
    # --data is checked only when data-backed rules are selected.
    assert res.exit_code == 0, res.output


def test_examples_validate_against_their_data() -> None:
    root = Path(__file__).parent.parent / "examples"
    files = sorted(root.glob("*/kpis.yaml"))
    if not files:
        pytest.skip("no examples")
    res = run(*map(str, files), "--select", "E,M")
    assert res.exit_code == 0, res.stdout
