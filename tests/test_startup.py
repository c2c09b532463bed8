"""Shell completion stays as light as --help: no pandas, numpy, pyarrow or openpyxl."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "openpyxl", "pyarrow", "python_calamine", "sqlglot", "duckdb",
         "psycopg", "pyspark", "py4j")

CODE = (
    "import sys\n"
    "from kpicli.cli import app\n"
    "try:\n"
    "    app(prog_name='kpi')\n"
    "except SystemExit:\n"
    "    pass\n"
    f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
    "sys.stderr.write(repr(heavy))\n"
)


@pytest.mark.parametrize(
    ("words", "cword", "expect"),
    [("kpi rep", "1", "report"), ("kpi report --fo", "2", "--format")],
)
def test_completion_imports_no_heavy_modules(words: str, cword: str, expect: str) -> None:
    env = {**os.environ, "_KPI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    proc = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, env=env
    )
    assert expect in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert proc.stderr.strip().endswith("[]"), proc.stderr[-2000:]
