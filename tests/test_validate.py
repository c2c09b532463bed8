"""`kpi validate` end to end: positions, keep-going, formats, selection, exit status, files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

import kpicli.cli  # noqa: F401 - registers every command on the app
from kpicli.api import validate_files
from kpicli.engine.rules import CATALOGUE
from tests.helpers import invoke, write_kpis

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
MISTAKES = FIXTURES / "mistakes.yaml"
CLEAN = FIXTURES / "clean.yaml"
TODAY = "2026-06-15"

# (rule, line) of every finding in mistakes.yaml: a dozen and more kinds of mistake.
EXPECTED = {
    ("E003", 8),   # duplicate objective id
    ("R402", 10),  # objective nobody measures
    ("S101", 14),  # name "Revenue"
    ("S102", 15),  # two-word description
    ("E004", 16),  # objective: grow-revenu
    ("M202", 29),  # summing a percent
    ("A303", 31),  # percent target 120
    ("T502", 31),  # due before baseline
    ("T503", 31),  # due already past
    ("A301", 41),  # lower is better, target above baseline
    ("S104", 42),  # no unit
    ("T501", 48),  # change without due
    ("T504", 48),  # change without baseline
    ("S103", 49),  # no owner
    ("E005", 55),  # formula names unknown KPIs (twice)
    ("E002", 63),  # targte
    ("R401", 64),  # not linked to an objective
    ("A302", 72),  # target equals baseline
    ("E003", 73),  # duplicate KPI id
}
EXPECTED_ERRORS = 10
EXPECTED_WARNINGS = 10





def validate(*args: str, **kwargs: object):
    return invoke("validate", "--today", TODAY, *args, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- text


TEXT_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rule>[A-Z]\d{3}) "
                       r"(?P<severity>error|warning|info) (?P<message>.+)$")


def test_text_reports_every_mistake_at_its_line() -> None:
    res = validate(str(MISTAKES))
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    parsed = [TEXT_LINE.match(x) for x in lines[:-1]]
    assert all(parsed), [x for x, m in zip(lines, parsed, strict=False) if not m]
    got = {(m["rule"], int(m["line"])) for m in parsed if m}
    assert got == EXPECTED
    assert lines[-1] == f"{EXPECTED_ERRORS} errors, {EXPECTED_WARNINGS} warnings in 1 file"
    assert "\x1b[" not in res.stdout  # not a terminal: no colour
    assert all(m["file"] == str(MISTAKES) for m in parsed if m)


def test_text_line_and_column_of_a_key_and_a_value() -> None:
    res = validate(str(MISTAKES), "--select", "E002,E004")
    assert f"{MISTAKES}:63:5: E002 error unknown key 'targte'" in res.stdout
    assert "did you mean 'target'?" in res.stdout
    assert f"{MISTAKES}:16:16: E004 error objective 'grow-revenu' is not defined " \
           "(did you mean 'grow-revenue'?)" in res.stdout


def test_text_colour_only_when_asked() -> None:
    res = validate(str(MISTAKES), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in res.stdout
    res = validate(str(MISTAKES), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in res.stdout
    res = invoke("--no-color", "validate", "--today", TODAY, str(MISTAKES),
                 env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in res.stdout


def test_clean_file_exits_0() -> None:
    res = validate(str(CLEAN))
    assert res.exit_code == 0, res.output
    assert res.stdout == "0 errors, 0 warnings in 1 file\n"


def test_yaml_syntax_error_reports_parser_position(tmp_path: Path) -> None:
    bad = write_kpis(tmp_path, "version: 1\nkpis:\n  - id: a\n    name: [oops\n  - id: b\n")
    res = validate(str(bad))
    assert res.exit_code == 1
    m = TEXT_LINE.match(res.stdout.splitlines()[0])
    assert m and m["rule"] == "E001" and int(m["line"]) >= 4


def test_keep_going_one_broken_kpi_does_not_hide_the_others(tmp_path: Path) -> None:
    text = (CLEAN.read_text(encoding="utf-8")
            .replace("    target: {value: 85, due: 2026-12}", "    targte: {value: 85, due: 2026-12}")
            .replace("name: Median first-response time", "name: Performance")
            .replace("    target: {max: 40}", "    target: {max: 40}\n    weight: heavy"))
    path = write_kpis(tmp_path, text)
    result = validate_files([path], today=__import__("datetime").date(2026, 6, 15))
    rules = sorted(f.rule for f in result.findings)
    assert rules == ["E002", "E002", "S101"]
    s101 = next(f for f in result.findings if f.rule == "S101")
    assert s101.kpi == "first-response" and s101.line == text.splitlines().index(
        "    name: Performance") + 1


# ---------------------------------------------------------------------------------- json


def test_json_format() -> None:
    res = validate(str(MISTAKES), "--format", "json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["schema"] == "kpicli.findings/1"
    assert doc["files"][0]["path"] == str(MISTAKES)
    assert {(f["rule"], f["line"]) for f in doc["findings"]} == EXPECTED
    first = doc["findings"][0]
    assert set(first) >= {"rule", "severity", "letter", "message", "file", "line", "column", "kpi"}
    assert doc["summary"]["errors"] == EXPECTED_ERRORS
    assert doc["summary"]["warnings"] == EXPECTED_WARNINGS
    assert doc["summary"]["exit_code"] == 1
    # The summary goes to stderr, stdout stays pure JSON.
    assert "10 errors" in res.stderr


# ---------------------------------------------------------------------------------- github


GH = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def parse_github(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        m = GH.match(line)
        assert m, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        out.append({"level": m["level"], **props, "message": m["message"]})
    return out


def test_github_format() -> None:
    res = validate(str(MISTAKES), "--format", "github")
    assert res.exit_code == 1
    items = parse_github(res.stdout)
    assert {(i["title"].split()[1], int(i["line"])) for i in items} == EXPECTED
    assert {i["file"] for i in items} == {str(MISTAKES).replace(":", "%3A")}
    levels = {i["level"] for i in items}
    assert levels == {"error", "warning"}
    assert all(int(i["col"]) >= 1 for i in items)


def test_auto_format_is_github_inside_actions() -> None:
    res = validate(str(MISTAKES), env={"GITHUB_ACTIONS": "true"})
    assert res.stdout.startswith("::")
    res = validate(str(MISTAKES))
    assert not res.stdout.startswith("::")


def test_github_escaping() -> None:
    from kpicli.model.results import Finding
    from kpicli.writers.findings import escape_data, escape_property, render_github

    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    f = Finding(rule="S101", severity="info", message="line1\nline2 100%",
                file="dir,x/k:p.yaml", line=3, column=7, kpi="k")
    out = render_github([f])
    assert out == ("::notice file=dir%2Cx/k%3Ap.yaml,line=3,col=7,title=kpi S101 (k)::"
                   "line1%0Aline2 100%25\n")


# ---------------------------------------------------------------------------------- junit


def test_junit_format_parses_and_has_a_failure_per_error() -> None:
    res = validate(str(MISTAKES), "--format", "junit")
    assert res.exit_code == 1
    root = SafeET.fromstring(res.stdout.encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    assert suites[0].get("file") == str(MISTAKES)
    # One test case per failing finding, each with one failure: the counts agree.
    cases = suites[0].findall("testcase")
    assert len(cases) == EXPECTED_ERRORS
    assert {c.get("classname") for c in cases} == {str(MISTAKES)}
    assert all(c.get("file") is None for c in cases)  # not in Jenkins' junit-10.xsd
    failures = suites[0].findall("testcase/failure")
    assert len(failures) == EXPECTED_ERRORS
    assert suites[0].get("tests") == suites[0].get("failures") == str(EXPECTED_ERRORS)
    assert root.get("tests") == root.get("failures") == str(EXPECTED_ERRORS)
    assert {f.get("type") for f in failures} <= {r for r, _ in EXPECTED if r[0] in "EATM"}
    for c, f in zip(cases, failures, strict=True):
        assert re.match(rf"{re.escape(str(MISTAKES))}:\d+:\d+: [A-Z]\d{{3}} error ", f.text or "")
        assert c.get("name") == f"{f.get('type')} {(f.text or '').split(': ')[0]}"
    other = suites[0].find("system-out")
    assert other is not None and "S101 warning" in (other.text or "")


def test_junit_strict_makes_warnings_failures_and_clean_files_pass() -> None:
    res = validate(str(MISTAKES), str(CLEAN), "--format", "junit", "--strict")
    root = SafeET.fromstring(res.stdout.encode())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(MISTAKES), str(CLEAN)]
    failing = EXPECTED_ERRORS + EXPECTED_WARNINGS
    assert len(suites[0].findall("testcase/failure")) == failing
    assert suites[0].get("tests") == str(failing)
    clean_cases = suites[1].findall("testcase")
    assert [c.get("name") for c in clean_cases] == [str(CLEAN)]
    assert clean_cases[0].findall("failure") == []
    assert suites[1].get("tests") == "1" and suites[1].get("failures") == "0"
    assert root.get("tests") == str(failing + 1)


def test_junit_escapes_markup_and_control_characters() -> None:
    from kpicli.model.results import Finding
    from kpicli.model.validation import FileResult, ValidationResult
    from kpicli.writers.findings import render_junit

    f = Finding(rule="S101", severity="error", message='<b>&"x"\x07', file="a.yaml", line=1,
                column=1)
    out = render_junit(ValidationResult(files=[FileResult("a.yaml", [f])]))
    root = SafeET.fromstring(out.encode())
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and '<b>&"x"' in (failure.text or "")


# ---------------------------------------------------------------------------------- sarif


def check_sarif(log: dict) -> None:
    """The keys SARIF 2.1.0 requires (and GitHub code scanning reads)."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "kpicli"
        ids = [r["id"] for r in driver["rules"]]
        assert len(ids) == len(set(ids))
        for rule in driver["rules"]:
            assert rule["shortDescription"]["text"]
            assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        for res in run["results"]:
            assert res["message"]["text"]
            assert res["level"] in ("error", "warning", "note", "none")
            assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
            for loc in res.get("locations", []):
                phys = loc["physicalLocation"]
                assert phys["artifactLocation"]["uri"]
                assert phys["region"]["startLine"] >= 1
                assert phys["region"]["startColumn"] >= 1


def test_sarif_format() -> None:
    res = validate(str(MISTAKES), "--format", "sarif")
    assert res.exit_code == 1
    log = json.loads(res.stdout)
    check_sarif(log)
    run = log["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(CATALOGUE)
    got = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
           for r in run["results"]}
    assert got == EXPECTED
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("tests/fixtures/validate/mistakes.yaml")


def test_sarif_uri_is_a_relative_uri_reference() -> None:
    from kpicli.writers.findings import artifact_uri

    assert artifact_uri("./kpis/my kpis.yaml") == "kpis/my%20kpis.yaml"
    assert artifact_uri("<stdin>") == "stdin"
    assert artifact_uri("dir\\win.yaml") == "dir/win.yaml"
    assert artifact_uri("/abs/my kpis.yaml") == "file:///abs/my%20kpis.yaml"
    assert artifact_uri("C:\\work\\kpis.yaml") == "file:///C:/work/kpis.yaml"


# ---------------------------------------------------------------------------------- options


def test_select_and_ignore_by_id_and_prefix() -> None:
    res = validate(str(MISTAKES), "--format", "json", "--select", "S", "--select", "T501,E003")
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    assert rules == {"S101", "S102", "S103", "S104", "T501", "E003"}
    res = validate(str(MISTAKES), "--format", "json", "--ignore", "S,T,E00")
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    assert rules == {"M202", "A303", "A301", "A302", "R401", "R402"}


def test_warnings_only_exit_0_unless_strict() -> None:
    res = validate(str(MISTAKES), "--select", "S")
    assert res.exit_code == 0
    res = validate(str(MISTAKES), "--select", "S", "--strict")
    assert res.exit_code == 1
    assert "--strict" in res.stdout.splitlines()[-1]


def test_info_never_fails(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8").replace("kind: leading", "kind: lagging")
    path = write_kpis(tmp_path, text)
    res = validate(str(path), "--strict")
    assert res.exit_code == 0
    assert "R403 info" in res.stdout
    assert res.stdout.splitlines()[-1] == "0 errors, 0 warnings, 1 info in 1 file"


def test_unknown_selector_exits_2() -> None:
    res = validate(str(MISTAKES), "--select", "X999")
    assert res.exit_code == 2
    assert "unknown rule or prefix 'X999'" in res.stderr
    res = validate(str(MISTAKES), "--ignore", "T5O1")
    assert res.exit_code == 2


def test_ignore_on_a_kpi(tmp_path: Path) -> None:
    text = MISTAKES.read_text(encoding="utf-8").replace(
        "    target: {value: 120, due: 2026-02}",
        "    target: {value: 120, due: 2026-02}\n    ignore: [A303, T]",
    )
    path = write_kpis(tmp_path, text)
    res = validate(str(path), "--format", "json")
    csat = [f["rule"] for f in json.loads(res.stdout)["findings"] if f["kpi"] == "csat"]
    assert "A303" not in csat and "T502" not in csat and "T503" not in csat
    assert "M202" in csat  # not silenced
    # Only that KPI is silenced: the other percent/T findings remain.
    assert any(f["rule"] == "T501" for f in json.loads(res.stdout)["findings"])


def test_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    res = validate(str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2
    assert res.stdout == ""
    first = res.stderr.strip().splitlines()[0]
    assert first.startswith("kpi: error: KPI file not found:") and "nope.yaml" in first
    assert "Traceback" not in res.stderr


def test_missing_file_among_several_reports_nothing(tmp_path: Path) -> None:
    res = validate(str(CLEAN), str(tmp_path / "nope.yaml"), "--format", "json")
    assert res.exit_code == 2
    assert res.stdout == ""


def test_default_file_is_kpis_yaml_in_the_current_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = validate()
    assert res.exit_code == 2 and "kpis.yaml" in res.stderr
    write_kpis(tmp_path, CLEAN.read_text(encoding="utf-8"))
    res = validate()
    assert res.exit_code == 0, res.output


def test_several_files() -> None:
    res = validate(str(CLEAN), str(MISTAKES))
    assert res.exit_code == 1
    assert res.stdout.splitlines()[-1] == (
        f"{EXPECTED_ERRORS} errors, {EXPECTED_WARNINGS} warnings in 2 files"
    )
    res = validate(str(CLEAN), str(CLEAN), "--format", "json")
    doc = json.loads(res.stdout)
    assert res.exit_code == 0 and len(doc["files"]) == 2


def test_stdin() -> None:
    res = validate("-", input=MISTAKES.read_text(encoding="utf-8"))
    assert res.exit_code == 1
    assert res.stdout.startswith("<stdin>:8:9: E003 error")
    res = validate("-", "--format", "sarif", input=CLEAN.read_text(encoding="utf-8"))
    assert res.exit_code == 0
    assert json.loads(res.stdout)["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "sarif"])
def test_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"findings.{fmt}"
    res = validate(str(MISTAKES), "--format", fmt, "-o", str(out))
    assert res.exit_code == 1
    assert res.stdout == ""
    assert f"wrote {out}" in res.stderr
    direct = validate(str(MISTAKES), "--format", fmt)
    assert out.read_text(encoding="utf-8") == direct.stdout


def test_output_must_not_be_an_input(tmp_path: Path) -> None:
    path = write_kpis(tmp_path, CLEAN.read_text(encoding="utf-8"))
    res = validate(str(path), "-o", str(path))
    assert res.exit_code == 2
    assert path.read_text(encoding="utf-8") == CLEAN.read_text(encoding="utf-8")


def test_spec_example_names_pass_s101() -> None:
    res = validate(str(FIXTURES / "spec-example.yaml"), "--no-data", "--select", "S101")
    assert res.exit_code == 0 and "S101" not in res.stdout


def test_python_api_result() -> None:
    import datetime as dt

    result = validate_files([MISTAKES, CLEAN], select="E,A", today=dt.date(2026, 6, 15))
    assert [fr.path for fr in result.files] == [str(MISTAKES), str(CLEAN)]
    assert result.files[1].findings == []
    assert result.errors == 8 and result.exit_code == 1  # E003 x2, E004, E005 x2, E002, A303, A301
    assert result.summary()["files"] == 2
    lines = [f.line for f in result.files[0].findings]
    assert lines == sorted(lines)


# ---------------------------------------------------------------------------------- rules


def test_rules_command_lists_the_catalogue() -> None:
    res = invoke("rules")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert len(lines) == len(CATALOGUE)
    assert re.match(r"^E001  E  error\s+YAML syntax error$", lines[0])
    assert any(re.match(r"^R403  R  info\s+objective measured only by lagging", x) for x in lines)
    doc = json.loads(invoke("rules", "--format", "json").stdout)
    assert {r["id"] for r in doc} == set(CATALOGUE)
    assert all(set(r) >= {"id", "letter", "severity", "summary", "fix"} for r in doc)


def test_docs_rules_md_is_up_to_date() -> None:
    from kpicli.engine.rules import rules_markdown

    committed = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), (
        "docs/rules.md is stale: run `kpi rules --format markdown > docs/rules.md`"
    )
    assert invoke("rules", "--format", "markdown").stdout == rules_markdown()


def test_definition_only_validation_stays_light() -> None:
    """A pre-commit run on a file without formulas or filters does not load pandas."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kpicli.api import validate_files\n"
        f"r = validate_files([{str(CLEAN)!r}])\n"
        "assert r.exit_code == 0\n"
        "sys.stdout.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pandas', 'numpy', 'openpyxl'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[]"
