"""`kpi validate` as CI tools see it: paths from the working directory, the official SARIF and
JUnit schemas, control characters, terminals, completion and global options anywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

import kpicli.cli  # noqa: F401 - registers every command on the app
from kpicli.cli.app import app
from tests import helpers
from tests.helpers import Ran, write_csv, write_kpis
from tests.hypothesis_budget import examples
from tests.shared_files import shared_file

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
MISTAKES = FIXTURES / "mistakes.yaml"
CLEAN = FIXTURES / "clean.yaml"
TODAY = "2026-06-15"


TEAM_KPIS = """\
title: Team scorecard
data: {path: data.csv}
objectives:
  - id: grow
    title: Grow recurring revenue
kpis:
  - id: revenue
    name: Monthly recurring revenue
    description: Recurring revenue booked in the month across all plans.
    owner: Finance lead
    kind: lagging
    unit: count
    objective: grow
    measure: {column: revenue, aggregate: sum}
    baseline: {value: 100, period: 2026-01}
    target: {value: 200, due: 2027-12}
  - id: notes
    name: Number of account notes written
    description: Count of account notes the team writes each month.
    owner: Team lead
    kind: leading
    unit: count
    objective: grow
    measure: {column: note, aggregate: sum}
    baseline: {value: 10, period: 2026-01}
    target: {value: 20, due: 2027-12}
"""
# Line 5 of the CSV holds the text 'abc' in a number column (D601) and 'x' in `note`,
# which makes `note` not numeric (M204, whose message quotes the cell's location).
TEAM_DATA = "month,revenue,note\n2026-01,100,1\n2026-02,110,2\n2026-03,120,3\n2026-04,abc,x\n" \
            "2026-05,130,y\n"


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Ran:
    """``kpi`` in-process on a terminal that can show colour (the colour tests need one)."""
    return helpers.invoke(*args, input=input, env={"TERM": "xterm", **(env or {})})


def validate(*args: str, **kwargs: object):
    return invoke("validate", "--today", TODAY, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``team/kpis.yaml`` naming ``data: {path: data.csv}``; the test runs from the parent."""
    (tmp_path / "team").mkdir()
    write_kpis(tmp_path / "team", TEAM_KPIS)
    write_csv(tmp_path / "team", TEAM_DATA)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------ 1. paths from the working dir


def test_shown_path_is_relative_to_the_working_directory_or_absolute(tmp_path: Path) -> None:
    from kpicli.paths import shown_path

    cwd = tmp_path / "work"
    assert shown_path("team/data.csv", cwd) == os.path.join("team", "data.csv")
    assert shown_path(cwd / "team" / "./data.csv", cwd) == os.path.join("team", "data.csv")
    assert shown_path(cwd / "x" / ".." / "data.csv", cwd) == "data.csv"
    outside = tmp_path / "elsewhere" / "data.csv"
    assert shown_path(outside, cwd) == str(outside)
    assert shown_path("../elsewhere/data.csv", cwd) == str(outside)


def test_data_findings_name_the_file_from_the_working_directory_in_every_format(
    team: Path,
) -> None:
    text = validate("team/kpis.yaml").stdout
    assert "team/data.csv:5:1: D601 warning" in text
    # M204's message quotes the offending cell with the same path.
    m204 = next(line for line in text.splitlines() if " M204 " in line)
    assert m204.startswith("team/kpis.yaml:") and "'x' at team/data.csv:5" in m204
    assert not re.search(r"(?<![/\w])data\.csv", text), text

    doc = json.loads(validate("team/kpis.yaml", "-f", "json").stdout)
    assert doc["files"][0]["data"] == ["team/data.csv"]
    d601 = next(f for f in doc["findings"] if f["rule"] == "D601")
    assert (d601["file"], d601["line"], d601["location"]) == ("team/data.csv", 5, "team/data.csv:5")

    github = validate("team/kpis.yaml", "-f", "github").stdout
    assert "::warning file=team/data.csv,line=5,title=kpi D601::" in github
    assert "file=data.csv" not in github

    junit = validate("team/kpis.yaml", "-f", "junit").stdout
    root = SafeET.fromstring(junit.encode())
    assert "team/data.csv:5:1: D601 warning" in (root.findtext("testsuite/system-out") or "")
    assert "at team/data.csv:5" in (root.findtext("testsuite/testcase/failure") or "")

    log = json.loads(validate("team/kpis.yaml", "-f", "sarif").stdout)
    uris = [a["location"]["uri"] for a in log["runs"][0]["artifacts"]]
    assert sorted(uris) == ["team/data.csv", "team/kpis.yaml"]


def test_report_findings_name_the_file_from_the_working_directory(team: Path) -> None:
    res = invoke("report", "team/kpis.yaml", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    d601 = next(f for f in doc["findings"] if f["rule"] == "D601")
    assert d601["location"] == "team/data.csv:5"
    assert "team/data.csv:5" in d601["message"]


def test_data_paths_inside_the_kpi_folder_and_outside_the_working_directory(
    team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(team / "team")
    doc = json.loads(validate("kpis.yaml", "-f", "json").stdout)
    assert doc["files"][0]["data"] == ["data.csv"]
    (team / "other").mkdir()
    monkeypatch.chdir(team / "other")
    doc = json.loads(validate("../team/kpis.yaml", "-f", "json").stdout)
    outside = str((team / "team" / "data.csv").resolve())
    assert [os.path.realpath(p) for p in doc["files"][0]["data"]] == [outside]
    assert os.path.isabs(doc["files"][0]["data"][0])


# ------------------------------------------------------------ 2. control characters

HOSTILE = """\
kpis:
  - id: "x\\e[2J\\e]0;pwned\\a"
    name: "Rev\\e[31m"
    unit: count
    target: 5
  - id: "x\\e[2J\\e]0;pwned\\a"
    name: "Rev\\e[31m"
"""


@pytest.mark.parametrize("fmt", ["text", "github", "junit"])
def test_control_characters_are_shown_as_symbols(tmp_path: Path, fmt: str) -> None:
    path = write_kpis(tmp_path, HOSTILE)
    res = validate(str(path), "-f", fmt)
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)
    assert "x␛[2J␛]0;pwned␇" in out
    if fmt == "github":
        assert "title=kpi E003 (x␛[2J␛]0;pwned␇)" in out


def test_json_escapes_control_characters(tmp_path: Path) -> None:
    path = write_kpis(tmp_path, HOSTILE)
    res = validate(str(path), "-f", "json")
    assert "\x1b" not in res.stdout and "\\u001b" in res.stdout
    assert any(f["kpi"] == "x\x1b[2J\x1b]0;pwned\x07" for f in json.loads(res.stdout)["findings"])


# ------------------------------------------------------------ 3. official schemas


def _cases(team_dir: Path) -> dict[str, tuple[list[str], str | None]]:
    return {
        "broken file": ([str(MISTAKES)], None),
        "clean file": ([str(CLEAN)], None),
        "several files": ([str(MISTAKES), str(CLEAN), str(CLEAN)], None),
        "data findings": ([str(team_dir / "team" / "kpis.yaml")], None),
        "stdin": (["-"], MISTAKES.read_text(encoding="utf-8")),
    }


CASES = ["broken file", "clean file", "several files", "data findings", "stdin"]


@pytest.mark.parametrize("case", CASES)
def test_sarif_is_valid_against_the_official_schema(team: Path, case: str) -> None:
    import jsonschema

    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text("utf-8"))
    args, stdin = _cases(team)[case]
    res = validate(*args, "-f", "sarif", input=stdin)
    assert res.exit_code in (0, 1), res.output
    log = json.loads(res.stdout)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert log["runs"][0]["results"] or case == "clean file"


@pytest.mark.parametrize("case", CASES)
def test_junit_is_valid_against_jenkins_schema_and_counts_agree(team: Path, case: str) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(shared_file("schemas", "junit-10.xsd")))
    args, stdin = _cases(team)[case]
    for extra in ([], ["--strict"]):
        res = validate(*args, "-f", "junit", *extra, input=stdin)
        assert res.exit_code in (0, 1), res.output
        schema.validate(res.stdout)  # raises with the offending element
        root = SafeET.fromstring(res.stdout.encode())
        suites = root.findall("testsuite")
        assert len(suites) == len(args)
        for s in suites:
            cases = s.findall("testcase")
            assert s.get("tests") == str(len(cases)) and cases
            assert s.get("failures") == str(len(s.findall("testcase/failure")))
            assert s.get("file") == s.get("name")
        assert root.get("tests") == str(sum(int(s.get("tests") or 0) for s in suites))
        assert root.get("failures") == str(sum(int(s.get("failures") or 0) for s in suites))
        assert (int(root.get("failures") or 0) > 0) == (res.exit_code == 1)


# ------------------------------------------------------------ 4. terminals


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    """Run `kpi ARGS` with stdout on a pseudo-terminal; what it wrote there."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    full = {**os.environ, "NO_COLOR": "", "FORCE_COLOR": "", "COLUMNS": "120",
            "GITHUB_ACTIONS": "", **env}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kpicli", *args], stdout=slave, stderr=subprocess.PIPE,
            env=full, timeout=120, cwd=cwd,
        )
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.returncode in (0, 1), proc.stderr
    return b"".join(chunks).decode("utf-8", "replace")


TERMINAL_COMMANDS = {
    "validate text": ["validate", "--today", TODAY, str(MISTAKES)],
    "rules": ["rules"],
    "report": ["report", str(Path(__file__).parent.parent / "examples/sales/kpis.yaml")],
}


@pytest.mark.parametrize("name", list(TERMINAL_COMMANDS))
def test_every_command_honours_term_dumb(name: str) -> None:
    args = TERMINAL_COMMANDS[name]
    assert "\x1b[" in _on_a_terminal(args, {"TERM": "xterm-256color"})
    assert "\x1b[" not in _on_a_terminal(args, {"TERM": "dumb"})
    # An explicit request wins over the terminal type; NO_COLOR and --no-color over both.
    assert "\x1b[" in _on_a_terminal(args, {"TERM": "dumb", "FORCE_COLOR": "1"})
    assert "\x1b[" not in _on_a_terminal(args, {"TERM": "xterm", "NO_COLOR": "1"})
    assert "\x1b[" not in _on_a_terminal([*args, "--no-color"], {"TERM": "xterm"})


def test_one_console_factory() -> None:
    from kpicli.cli import report
    from kpicli.cli.app import make_console

    cli = Path(report.__file__).parent
    for path in cli.glob("*.py"):
        if path.name != "app.py":
            assert "Console(" not in path.read_text("utf-8"), f"{path.name}: use make_console"
    import io

    assert make_console(io.StringIO(), plain=True).no_color


# ------------------------------------------------------------ 7. completion


@pytest.mark.parametrize(
    ("shell", "needle"),
    [
        ("bash", "_KPI_COMPLETE=complete_bash"),
        ("zsh", "#compdef kpi"),
        ("fish", "complete --command kpi"),
        ("powershell", "Register-ArgumentCompleter"),
    ],
)
def test_show_completion_honours_its_argument(shell: str, needle: str) -> None:
    res = invoke("--show-completion", shell)
    assert res.exit_code == 0, res.output
    assert needle in res.stdout
    others = {"bash": "complete_bash", "zsh": "#compdef", "fish": "complete --command",
              "powershell": "Register-ArgumentCompleter"}
    assert not any(v in res.stdout for k, v in others.items() if k != shell)


def test_show_completion_from_a_plain_sh() -> None:
    """As in a Dockerfile or Makefile: the parent shell is sh, the argument decides."""
    if not Path("/bin/sh").exists():
        pytest.skip("no /bin/sh")
    cmd = f"'{sys.executable}' -m kpicli --show-completion bash"
    proc = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "_KPI_COMPLETE=complete_bash" in proc.stdout
    bash = "/bin/bash"
    if Path(bash).exists():  # the script is real bash that registers the completion
        check = subprocess.run(
            [bash, "-c", f"source /dev/stdin <<'EOF'\n{proc.stdout}\nEOF\ncomplete -p kpi"],
            capture_output=True, text=True, timeout=60,
        )
        assert "kpi" in check.stdout, check.stderr


def test_show_completion_refuses_an_unknown_shell() -> None:
    res = invoke("--show-completion", "nonsense")
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpi: error: --show-completion:")
    assert "nonsense" in lines[0] and "bash" in lines[0]


# ------------------------------------------------------------ 8. global options anywhere


def _commands() -> list[str]:
    import typer

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("flag", ["--no-color", "-q", "--quiet", "-v", "--verbose", "--debug"])
def test_every_command_accepts_global_flags_after_it(flag: str) -> None:
    for command in _commands():
        res = invoke(command, flag, "--help")
        assert res.exit_code == 0, f"kpi {command} {flag}: {res.output}"


def test_global_flags_after_the_command_take_effect(team: Path) -> None:
    res = validate("team/kpis.yaml", "--no-color", "-f", "json", env={"FORCE_COLOR": "1"})
    assert res.exit_code == 1 and "\x1b[" not in res.stderr
    assert "1 error" in res.stderr  # the summary note
    res = validate("team/kpis.yaml", "-f", "json", "-q")
    assert res.exit_code == 1 and res.stderr == ""
    res = invoke("report", "team/kpis.yaml", "-f", "json", "-q", "-v")
    assert res.exit_code == 0 and res.stderr == ""
    res = invoke("report", "team/kpis.yaml", "-f", "json", "-v")
    assert "read team/data.csv" in res.stderr
    res = validate("team/kpis.yaml", "--no-color", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in res.stdout
    res = invoke("rules", "--no-color", env={"FORCE_COLOR": "1"})
    assert res.exit_code == 0 and "\x1b[" not in res.stdout


def test_option_values_and_arguments_that_look_like_flags_stay_put(team: Path) -> None:
    res = invoke("report", "team/kpis.yaml", "--period", "-v")
    assert res.exit_code == 2 and "'-v'" in res.stderr  # -v was --period's value
    res = validate("--", "-q")
    assert res.exit_code == 2 and "-q" in res.stderr  # after --, -q is a file name


# ------------------------------------------------------------ 5. JSON Schema

REPO = Path(__file__).resolve().parent.parent


def _schema_validator():  # type: ignore[no-untyped-def]
    import jsonschema

    from kpicli.api.schema import kpi_json_schema

    schema = kpi_json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_schema_has_an_id_and_a_clean_description() -> None:
    doc = json.loads((REPO / "schema" / "kpis.schema.json").read_text(encoding="utf-8"))
    assert doc["$id"].startswith(("urn:", "https://"))
    assert list(doc)[:4] == ["$schema", "$id", "title", "description"]
    assert "kpis.yaml" in doc["description"]
    assert "``" not in json.dumps(doc)  # no reStructuredText literals anywhere


def _example_files() -> list[Path]:
    return [
        FIXTURES / "clean.yaml",
        FIXTURES / "spec-example.yaml",
        *sorted((REPO / "examples").rglob("kpis.yaml")),
        *sorted((REPO / "kpicli").rglob("kpis.yaml")),
    ]


def test_every_example_passes_the_schema() -> None:
    import yaml

    validator = _schema_validator()
    files = _example_files()
    assert len(files) >= 5
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], (path, errors)
    for i, block in enumerate(_readme_blocks()):
        if block.kind == "kpis":
            errors = [e.message for e in validator.iter_errors(yaml.safe_load(block.text))]
            assert errors == [], (f"README yaml block {i + 1}", errors)


BASE_KPI = {"id": "tickets", "name": "Tickets closed per month", "unit": "count"}


def _doc(kpi: dict[str, object] | None = None, **top: object) -> dict[str, object]:
    return {"kpis": [{**BASE_KPI, **(kpi or {})}], **top}


# (what, document, accepted): kpi validate and the schema agree on every one.
SCHEMA_CASES = [
    ("aggregate bogus", _doc({"measure": {"aggregate": "bogus"}}), False),
    ("aggregate p0", _doc({"measure": {"aggregate": "p0"}}), False),
    ("aggregate p101", _doc({"measure": {"aggregate": "p101"}}), False),
    ("aggregate sum", _doc({"measure": {"aggregate": "sum"}}), True),
    ("aggregate p95", _doc({"measure": {"aggregate": "p95"}}), True),
    ("aggregate P5 spaced", _doc({"measure": {"aggregate": " P5 "}}), True),
    ("aggregate Average", _doc({"measure": {"aggregate": "Average"}}), True),
    ("defaults aggregate bogus", _doc(defaults={"aggregate": "bogus"}), False),
    ("defaults aggregate median", _doc(defaults={"aggregate": "median"}), True),
    ("ignore ZZZ9", _doc({"ignore": ["ZZZ9"]}), False),
    ("ignore ALL", _doc({"ignore": ["ALL"]}), False),
    ("ignore S1010", _doc({"ignore": ["S1010"]}), False),
    ("ignore X", _doc({"ignore": ["X"]}), False),
    ("ignore A304", _doc({"ignore": ["A304"]}), True),
    ("ignore prefixes", _doc({"ignore": ["s", "T50", "d601", "D"]}), True),
]


@pytest.mark.parametrize(("what", "doc", "accepted"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_schema_rejects_what_validation_rejects(
    tmp_path: Path, what: str, doc: dict[str, object], accepted: bool
) -> None:
    import yaml

    schema_ok = not list(_schema_validator().iter_errors(doc))
    path = write_kpis(tmp_path, yaml.safe_dump(doc))
    res = validate(str(path), "--select", "E", "-f", "json")
    assert res.exit_code in (0, 1), res.output
    e002 = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "E002"]
    assert (not e002) is accepted, (what, e002)
    assert schema_ok is accepted, what


def test_check_jsonschema_style_run_over_the_committed_schema(tmp_path: Path) -> None:
    """As an editor or check-jsonschema sees it: the committed file, $ref and $id resolved."""
    import jsonschema
    import yaml

    schema = json.loads((REPO / "schema" / "kpis.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    bad = yaml.safe_load("kpis:\n  - id: a\n    name: A thing\n    measure: {aggregate: bogus}\n")
    errors = list(validator.iter_errors(bad))
    assert errors and all(e.json_path == "$.kpis[0].measure" for e in errors)
    causes = [c for e in errors for c in e.context or []]
    assert any(list(c.absolute_path)[-1:] == ["aggregate"] for c in causes)
    assert not list(validator.iter_errors(yaml.safe_load(CLEAN.read_text(encoding="utf-8"))))


def test_schema_and_model_agree_on_aggregates_and_rule_ids() -> None:
    import jsonschema
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kpicli.api.schema import aggregate_schema, rule_selector_schema
    from kpicli.engine.rules import is_rule_selector
    from kpicli.model.kpifile import check_aggregate

    agg = jsonschema.Draft202012Validator(aggregate_schema())
    sel = jsonschema.Draft202012Validator(rule_selector_schema())

    def model_accepts(text: str) -> bool:
        try:
            check_aggregate(text)
        except ValueError:
            return False
        return True

    @settings(max_examples=examples(300), deadline=None)
    @given(st.one_of(
        st.text(alphabet="sumeanidxcotflvgrMAXP0123459 ", max_size=8),
        st.sampled_from(["p1", "p99", "p100", "p0", "P50", "nunique", "Last", "avg ", "mean\t"]),
    ))
    def aggregates(text: str) -> None:
        assert agg.is_valid(text) == model_accepts(text), repr(text)

    @settings(max_examples=examples(300), deadline=None)
    @given(st.one_of(
        st.text(alphabet="ESMARTDZesd0123456789 ", max_size=6),
        st.sampled_from(["D", "d6", "D601", "D0", "D999", "S1", "t50", "A3050"]),
    ))
    def selectors(text: str) -> None:
        assert sel.is_valid(text) == is_rule_selector(text), repr(text)

    aggregates()
    selectors()


# ------------------------------------------------------------ 9. every YAML block of the README


class Block:
    def __init__(self, kind: str, text: str, line: int) -> None:
        self.kind, self.text, self.line = kind, text, line


# What a README yaml block may be; a block is a KPI file unless the comment line right before
# it says otherwise: <!-- yaml: pre-commit-config -->, <!-- yaml: github-steps -->, ...
BLOCK_KINDS = {"kpis", "pre-commit-config", "github-steps", "github-workflow", "fragment"}


def _readme_blocks() -> list[Block]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```yaml":
            start = i
            marker = re.fullmatch(r"<!--\s*yaml:\s*([\w-]+)\s*-->", lines[i - 1].strip()) \
                if i else None
            i += 1
            body = []
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append(Block(marker.group(1) if marker else "kpis", "\n".join(body) + "\n",
                                start + 1))
        i += 1
    return blocks


def test_every_readme_yaml_block_is_valid_for_what_it_is(tmp_path: Path) -> None:
    import yaml

    blocks = _readme_blocks()
    kinds = [b.kind for b in blocks]
    assert set(kinds) <= BLOCK_KINDS, kinds
    assert "kpis" in kinds and "pre-commit-config" in kinds and "github-steps" in kinds
    assert kinds.count("fragment") <= 2  # intentionally partial blocks stay the exception
    for b in blocks:
        doc = yaml.safe_load(b.text)  # every block is YAML
        where = f"README.md:{b.line}"
        if b.kind == "kpis":
            path = tmp_path / f"readme-{b.line}.kpis.yaml"
            path.write_text(b.text, encoding="utf-8")
            res = validate(str(path), "--no-data", "-f", "json")
            findings = json.loads(res.stdout)["findings"]
            errors = [f"{f['line']}: {f['rule']} {f['message']}" for f in findings
                      if f["severity"] == "error"]
            assert res.exit_code == 0 and errors == [], (where, errors)
        elif b.kind == "pre-commit-config":
            hooks = [h for r in doc["repos"] for h in r["hooks"]]
            assert {h["id"] for h in hooks} >= {"kpi-validate"}, where
        elif b.kind == "github-steps":
            assert isinstance(doc, list) and all("run" in s or "uses" in s for s in doc), where
        elif b.kind == "github-workflow":
            assert "jobs" in doc and all("steps" in j for j in doc["jobs"].values()), where


# ------------------------------------------------------------ 6, 10. pre-commit and Actions


def _git() -> str:
    import shutil

    from tests.external import missing

    git = shutil.which("git")
    if git is None:
        missing("git is not installed")
    return str(git)


def _runtime_dependencies() -> list:  # list[importlib.metadata.Distribution]
    """The distributions kpicli needs at run time (its requirements without extras, and
    theirs), as installed in this environment."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, md.Distribution] = {}
    todo = [req for req in md.requires("kpicli") or []]
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name not in found:
            found[name] = md.distribution(req.name)
            todo.extend(found[name].requires or [])
    return list(found.values())


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding kpicli's run-time dependencies from this environment (links), and
    nothing else: not kpicli, not the test tools. On an environment's path, pip finds them
    installed, so installing kpicli from a clone builds and installs kpicli only (not pandas,
    pyarrow and numpy again, the bulk of these tests' time), while a dependency kpicli uses
    but does not declare is still missing there, as in a fresh environment."""
    folder = tmp_path_factory.mktemp("kpicli-dependencies")
    for dist in _runtime_dependencies():
        site = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in sorted(tops - {"..", "__pycache__"}):
            if (site / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(site / top)
    assert (folder / "pandas").exists() and not (folder / "kpicli").exists()
    return folder


def _project(tmp_path: Path, config: str) -> Path:
    """A git repository using kpicli's hooks: a clean kpis.yaml and team/kpis.yaml whose
    data (team/data.csv) is not committed."""
    git = _git()
    proj = tmp_path / "project"
    (proj / "team").mkdir(parents=True)
    write_kpis(proj, CLEAN.read_text(encoding="utf-8"))
    write_kpis(proj / "team", TEAM_KPIS)
    (proj / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    subprocess.run([git, "init", "-q", str(proj)], check=True, timeout=60)
    subprocess.run([git, "-C", str(proj), "add", "-A"], check=True, timeout=60)
    return proj


def _pre_commit(proj: Path, tmp_path: Path, *hook: str,
                dependencies: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files [hook]`` in ``proj``; with ``dependencies`` (the fixture)
    on PYTHONPATH, so the hooks' environment installs kpicli only."""
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra")
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **({"PYTHONPATH": str(dependencies)} if dependencies else {}),
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
        "NO_COLOR": "1",
        "GITHUB_ACTIONS": "",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", *hook],
        cwd=proj, env=env, capture_output=True, text=True, timeout=1500,
    )


def _readme_block(kind: str) -> str:
    found = [b.text for b in _readme_blocks() if b.kind == kind]
    assert len(found) == 1, kind
    return found[0]


def test_readme_pre_commit_snippet_works_as_written(tmp_path: Path) -> None:
    proj = _project(tmp_path, _readme_block("pre-commit-config"))
    res = _pre_commit(proj, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "kpi validate" in res.stdout and "Passed" in res.stdout
    # A broken KPI file fails the commit, with file:line:col from the repository root.
    write_kpis(proj / "team", MISTAKES.read_text("utf-8"), "broken.kpis.yaml")
    write_csv(proj / "team", TEAM_DATA)
    subprocess.run([_git(), "-C", str(proj), "add", "-A"], check=True, timeout=60)
    res = _pre_commit(proj, tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "team/broken.kpis.yaml:8:9: E003 error" in res.stdout
    assert "'x' at team/data.csv:5" in res.stdout  # the data, now there, is checked too


def test_hooks_from_a_local_clone_of_the_repository(tmp_path: Path, dependencies: Path) -> None:
    """pre-commit installs kpicli from a clone (.pre-commit-hooks.yaml), offline but for pip's
    index; kpi-validate passes without the data, kpi-validate-data requires it."""
    git = _git()
    if not (REPO / ".git").exists():
        from tests.external import missing

        missing(f"{REPO} is not a git checkout")
    clone = tmp_path / "kpicli"
    subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, timeout=300)
    rev = subprocess.run([git, "-C", str(clone), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True, timeout=60).stdout.strip()
    config = (
        f"repos:\n  - repo: {clone.as_posix()}\n    rev: {rev}\n"
        "    hooks:\n      - id: kpi-validate\n      - id: kpi-validate-data\n"
    )
    proj = _project(tmp_path, config)
    res = _pre_commit(proj, tmp_path, "kpi-validate", dependencies=dependencies)
    assert res.returncode == 0, res.stdout + res.stderr
    res = _pre_commit(proj, tmp_path, "kpi-validate-data", dependencies=dependencies)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "team/kpis.yaml:2:14: M206 error" in res.stdout
    write_csv(proj / "team", TEAM_DATA)
    subprocess.run([git, "-C", str(proj), "add", "-A"], check=True, timeout=60)
    for hook in ("kpi-validate", "kpi-validate-data"):
        res = _pre_commit(proj, tmp_path, hook, dependencies=dependencies)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "team/data.csv:5:1: D601 warning" in res.stdout
        assert re.search(r"team/kpis\.yaml:\d+:\d+: M204 error", res.stdout)


def test_readme_github_actions_steps_run(tmp_path: Path, dependencies: Path) -> None:
    """The steps' commands, run as the runner would (bash -e, GITHUB_ACTIONS=true): pip
    installs from a requirements file (here naming a clone), kpi writes annotations."""
    import yaml

    steps = yaml.safe_load(_readme_block("github-steps"))
    runs = [s["run"] for s in steps if "run" in s]
    assert [s.get("uses", "").split("@")[0] for s in steps if "uses" in s] == [
        "actions/setup-python"
    ]
    assert any(r.startswith("pip install") for r in runs) and any("kpi validate" in r for r in runs)
    git = _git()
    if not (REPO / ".git").exists():
        from tests.external import missing

        missing(f"{REPO} is not a git checkout")
    clone = tmp_path / "kpicli"
    subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, timeout=300)
    work = tmp_path / "repo"
    work.mkdir()
    (work / "requirements.txt").write_text(f"kpicli @ {clone.as_uri()}\n", encoding="utf-8")
    write_kpis(work, MISTAKES.read_text("utf-8"))
    # A fresh environment with pip, as setup-python gives (virtualenv: seconds faster than
    # venv's ensurepip); kpicli's dependencies come from this one (a .pth naming the
    # `dependencies` folder) so the test does not install them again.
    venv = tmp_path / "venv"
    try:
        import virtualenv  # noqa: F401 - pre-commit's dependency, in the test extra
    except ImportError:
        create = [sys.executable, "-m", "venv", str(venv)]
    else:
        create = [sys.executable, "-m", "virtualenv", "-q", str(venv)]
    subprocess.run(create, check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = next(p for p in (bindir / "python", bindir / "python.exe") if p.exists())
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    (Path(site) / "kpicli-dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    env = {**os.environ, "PATH": str(bindir) + os.pathsep + os.environ.get("PATH", ""),
           "GITHUB_ACTIONS": "true", "VIRTUAL_ENV": str(venv), "PIP_QUIET": "1"}
    results = []
    for command in runs:
        proc = subprocess.run(["bash", "-e", "-c", command], cwd=work, env=env,
                              capture_output=True, text=True, timeout=900)
        results.append(proc)
        if proc.returncode != 0:
            break
    *installs, check = results
    assert all(p.returncode == 0 for p in installs), installs[-1].stderr if installs else ""
    assert (bindir / "kpi").exists()
    assert check.returncode == 1  # the file has errors: the step fails, the PR shows them
    assert "::error file=kpis.yaml,line=8,col=9,title=kpi E003::" in check.stdout


def test_skip_missing_data_checks_definitions_only_when_the_data_is_absent(team: Path) -> None:
    (team / "team" / "data.csv").rename(team / "elsewhere.csv")
    res = validate("team/kpis.yaml", "-f", "json")
    assert res.exit_code == 1
    assert [f["rule"] for f in json.loads(res.stdout)["findings"]] == ["M206"]
    res = validate("team/kpis.yaml", "-f", "json", "--skip-missing-data")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["findings"] == []
    assert "team/kpis.yaml: the data named in data.path is not there" in res.stderr
    assert validate("team/kpis.yaml", "--skip-missing-data", "-q").stderr == ""
    # Explicit --data is never skipped; data that is there is always checked.
    res = validate("team/kpis.yaml", "--skip-missing-data", "--data", "missing.csv")
    assert res.exit_code == 2
    (team / "elsewhere.csv").rename(team / "team" / "data.csv")
    res = validate("team/kpis.yaml", "-f", "json", "--skip-missing-data")
    assert "M204" in [f["rule"] for f in json.loads(res.stdout)["findings"]]
