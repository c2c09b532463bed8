"""What test modules share: run ``kpi`` in-process, write KPI files and CSVs.

* ``invoke("report", path, "-f", "json")``: ``kpi`` through Typer's CliRunner with a neutral
  environment (not inside GitHub Actions, no NO_COLOR/FORCE_COLOR); the result unpacks as
  ``code, out, err`` and has click's Result attributes and ``.json()``.
* ``write_kpis(folder, text, name="kpis.yaml")`` and ``write_csv(folder, text_or_rows,
  name="data.csv")``: write a KPI file or a CSV and return its path.
* ``new_sheet(title, a1=None)``: a new openpyxl workbook and its one sheet, for the tests that
  build a spreadsheet shape cell by cell.
* ``kpis_yaml(*items, title=..., period=..., settings=...)`` and ``kpi_item(id=..., ...)``: the
  text of a KPI file and of one KPI in it, for the tests that build them from parts.

Plain functions, so helpers and Hypothesis tests can call them; tests/conftest.py offers the
same as the fixtures ``invoke``, ``kpi_file`` and ``csv_file`` (those write into tmp_path).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# The types of the conftest fixtures kpi_file(text, name) and csv_file(content, name).
KpiFile = Callable[..., Path]
CsvFile = Callable[..., Path]

# The environment every in-process `kpi` run starts from: the output must not depend on the
# shell the tests were started in (GitHub Actions switches `validate` to annotations, NO_COLOR
# and FORCE_COLOR change the text).
NEUTRAL_ENV = {"GITHUB_ACTIONS": "", "NO_COLOR": "", "FORCE_COLOR": ""}


class Ran:
    """One ``kpi`` command run through CliRunner.

    Unpacks (and indexes) as ``(exit_code, stdout, stderr)``; every attribute of click's Result
    (``exit_code``, ``stdout``, ``stderr``, ``output``, ``exception`` ...) is here too.
    """

    def __init__(self, result: Any) -> None:
        self.result = result

    def _triple(self) -> tuple[int, str, str]:
        return self.result.exit_code, self.result.stdout, self.result.stderr

    def __iter__(self) -> Iterator[Any]:
        return iter(self._triple())

    def __getitem__(self, index: int) -> Any:
        return self._triple()[index]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def json(self) -> Any:
        """stdout as JSON (fails the test with stderr when the command did not succeed)."""
        assert self.result.exit_code in (0, 1), self.result.stderr
        return json.loads(self.result.stdout)


def invoke(
    *args: str | Path, input: str | None = None, env: Mapping[str, str] | None = None
) -> Ran:
    """``kpi ARGS`` in-process, as a user would type them (paths may be Path objects)."""
    from typer.testing import CliRunner

    import kpicli.cli  # noqa: F401 - registers every command on the app
    from kpicli.cli.app import app

    result = CliRunner().invoke(
        app, [str(a) for a in args], input=input, env={**NEUTRAL_ENV, **(env or {})}
    )
    return Ran(result)


def kpis_yaml(
    *items: str, title: str | None = None, period: str | None = None, settings: str = ""
) -> str:
    """A KPI file's text: ``version: 1``, ``title:`` and ``period:`` when given, ``settings``
    (more top-level lines as written, e.g. ``"data: {path: d.csv}\\n"``), ``kpis:``, the items."""
    head = "version: 1\n" + (f"title: {title}\n" if title is not None else "")
    head += f"period: {period}\n" if period is not None else ""
    return head + settings + "kpis:\n" + "".join(items)


def kpi_item(**fields: object) -> str:
    """One KPI as a block-style list item of ``kpis:``, its fields in the order given:
    ``kpi_item(id="nps", name="Net promoter score", unit="points", target=40)``."""
    lines = [f"{'  - ' if i == 0 else '    '}{k}: {v}" for i, (k, v) in enumerate(fields.items())]
    return "\n".join(lines) + "\n"


def new_sheet(title: str, a1: object = None) -> tuple[Any, Any]:
    """A new openpyxl workbook and its one sheet, named ``title``, with ``a1`` in cell A1 when
    given (a spreadsheet's title line): ``wb, ws = new_sheet("Data")``."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    if a1 is not None:
        ws["A1"] = a1
    return wb, ws


def write_kpis(folder: Path, text: str, name: str = "kpis.yaml") -> Path:
    """Write a KPI file (the text as given) into ``folder`` and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(
    folder: Path, content: str | Sequence[Sequence[object]], name: str = "data.csv"
) -> Path:
    """Write a CSV from text (as given) or rows (the first one the header); return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        text = content
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(content)
        text = buffer.getvalue()
    path.write_text(text, encoding="utf-8")
    return path
