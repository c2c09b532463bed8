"""A `kpi` process loads what its command needs and no more: one command's module and options,
no workbook, database, HTML or terminal code on a CSV JSON report, no pydantic plugin scan;
and what it prints is what the in-process command prints."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpicli.entry import command_word
from tests.helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
CX = ROOT / "examples" / "ecommerce-cx" / "kpis.yaml"

# Modules a CSV report written as JSON never needs: the other commands, the workbook reader,
# database sources (deciding that a CSV is read by pandas loads only readers.engine_choice),
# the formula parser when no KPI has a formula, the other writers and their libraries.
NOT_NEEDED = (
    "kpicli.cli.diff",
    "kpicli.cli.init",
    "kpicli.cli.template",
    "kpicli.cli.validate",
    "kpicli.api.init",
    "kpicli.api.validate",
    "kpicli.engine.expr",
    "kpicli.engine.formula_graph",
    "kpicli.engine.sqlplan",
    "kpicli.readers.csv_duckdb",
    "kpicli.readers.sql_source",
    "kpicli.readers.workbook",
    "kpicli.readers.parquet",
    "kpicli.readers.spark_source",
    "kpicli.writers.html",
    "kpicli.writers.markdown",
    "kpicli.writers.terminal",
    "kpicli.writers.xlsx",
    "rich",
    "openpyxl",
    "python_calamine",
    "fastexcel",
    "duckdb",
    "sqlglot",
    "psycopg",
    "pyspark",
)


def _kpi(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``kpi ARGS`` as its own process (kpicli.entry), and the modules it had imported when it
    left (os._exit, after its output was complete)."""
    child = f"""
import os, sys
leave = os._exit
def report_modules(code=0):
    sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
    leave(code)
os._exit = report_modules
sys.argv = ["kpi", *{list(args)!r}]
from kpicli.entry import main
main()
"""
    done = subprocess.run(
        [sys.executable, "-c", child],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    listed = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    assert listed, done.stderr[-2000:]
    return done, set(listed[-1].split()[1:])


def test_a_csv_json_report_imports_only_what_it_needs() -> None:
    done, imported = _kpi("report", str(CX), "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kpicli.cli.report" in imported and "kpicli.writers.jsonout" in imported
    loaded = sorted(m for m in imported if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED))
    assert loaded == []
    # The process that registered one command prints what the full application prints.
    assert done.stdout == invoke("report", CX, "--format", "json").stdout


def test_a_csv_named_by_data_starts_no_early_workbook_read() -> None:
    done, imported = _kpi(
        "report", str(CX), "--data", str(CX.parent / "cx-weekly.csv"), "-f", "json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kpicli.readers.sheet_xml" not in imported
    from kpicli.api import report
    from kpicli.readers import sheet_xml, workbook

    # One list of early-read workbooks: the report's decision and the reader's are the same.
    assert report.SHEET_XML_SUFFIXES is sheet_xml.SHEET_XML_SUFFIXES
    assert workbook.SHEET_XML_SUFFIXES is sheet_xml.SHEET_XML_SUFFIXES


def test_help_and_an_unknown_command_still_see_every_command() -> None:
    done, imported = _kpi("--help")
    assert done.returncode == 0
    assert "kpicli.cli.validate" in imported
    for name in ("diff", "init", "report", "show", "template", "validate", "rules", "schema"):
        assert f"\n  {name} " in done.stdout, done.stdout
    done, _ = _kpi("reprot")
    assert done.returncode == 2 and "report" in done.stderr


def test_the_command_table_matches_what_the_modules_register() -> None:
    import kpicli.cli
    from kpicli.cli.app import app

    registered = {
        (info.name or info.callback.__name__.replace("_", "-")): info.callback.__module__
        for info in app.registered_commands
        if info.callback is not None
    }
    assert registered == kpicli.cli.COMMAND_MODULES


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["report", "k.yaml", "-f", "json"], "report"),
        (["-q", "--no-color", "validate", "k.yaml"], "validate"),
        (["--limit", "rows=5", "report"], "report"),
        (["--limit=rows=5", "show", "x"], "show"),
        (["--limit", "report", "schema"], "schema"),  # "report" is the value of --limit
        (["--help", "report"], None),  # the group's help lists every command
        (["-h"], None),
        (["--show-completion", "bash"], None),
        (["--", "report"], None),
        ([], None),
        (["-v"], None),
    ],
)
def test_the_command_word(argv: list[str], expect: str | None) -> None:
    assert command_word(argv) == expect


def test_completion_requests_register_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_KPI_COMPLETE", "complete_bash")
    assert command_word(["report"]) is None


PLUGIN = """
import os
from pathlib import Path

Path(os.environ["PROBE_MARK"]).write_text("loaded")


class _Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = _Plugin()
"""


def test_the_kpi_process_loads_no_pydantic_plugin(tmp_path: Path) -> None:
    # An installed package offering a pydantic plugin (entry point group "pydantic").
    site = tmp_path / "site"
    (site / "kpiprobe-1.0.dist-info").mkdir(parents=True)
    (site / "kpiprobe-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kpiprobe\nVersion: 1.0\n"
    )
    (site / "kpiprobe-1.0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nprobe = kpiprobe_plugin:plugin\n"
    )
    (site / "kpiprobe_plugin.py").write_text(PLUGIN)
    mark = tmp_path / "mark"
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {"PYTHONPATH": path, "PROBE_MARK": str(mark)}
    env_without = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kpicli", "report", str(CX), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
            env={**env_without, **env, **extra},
        )

    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    assert not mark.exists()
    # The user's own setting wins: an empty PYDANTIC_DISABLE_PLUGINS loads plugins again.
    done = run(PYDANTIC_DISABLE_PLUGINS="")
    assert done.returncode == 0, done.stderr[-2000:]
    assert mark.read_text() == "loaded"


def test_command_annotations_are_not_strings() -> None:
    # Typer reads each option from the command's annotations; `from __future__ import
    # annotations` would make them strings, compiled and evaluated twice at every start.
    for name in ("app", *(m.rsplit(".", 1)[1] for m in set(_command_modules()))):
        tree = ast.parse((ROOT / "kpicli" / "cli" / f"{name}.py").read_text(encoding="utf-8"))
        future = [
            n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"
        ]
        assert future == [], name


def _command_modules() -> list[str]:
    import kpicli.cli

    return list(kpicli.cli.COMMAND_MODULES.values())
