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
from typer.testing import CliRunner

import kpicli.cli  # noqa: F401 - registers every command on the app
from kpicli.cli.app import app
from tests.shared_files import shared_file

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
MISTAKES = FIXTURES / "mistakes.yaml"
CLEAN = FIXTURES / "clean.yaml"
TODAY = "2026-06-15"

runner = CliRunner()

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


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    base = {"GITHUB_ACTIONS": "", "NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm"}
    return runner.invoke(app, list(args), input=input, env={**base, **(env or {})})


def validate(*args: str, **kwargs: object):
    return invoke("validate", "--today", TODAY, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``team/kpis.yaml`` naming ``data: {path: data.csv}``; the test runs from the parent."""
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "kpis.yaml").write_text(TEAM_KPIS, encoding="utf-8")
    (tmp_path / "team" / "data.csv").write_text(TEAM_DATA, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------ 1. paths from the working dir


def test_shown_path_is_relative_to_the_working_directory_or_absolute(tmp_path: Path) -> None:
    from kpicli.io.paths import shown_path

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
    path = tmp_path / "kpis.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    res = validate(str(path), "-f", fmt)
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)
    assert "x␛[2J␛]0;pwned␇" in out
    if fmt == "github":
        assert "title=kpi E003 (x␛[2J␛]0;pwned␇)" in out


def test_json_escapes_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
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
    full = {**os.environ, "NO_COLOR": "", "FORCE_COLOR": "", "COLUMNS": "120", **env}
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

    src = Path(report.__file__).read_text(encoding="utf-8")
    assert "Console(" not in src
    for name in ("progress.py", "validate.py", "init.py"):
        assert "Console(" not in (Path(report.__file__).parent / name).read_text("utf-8")
    assert make_console() is not None


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
