"""`kpi report` as Python functions: definitions and data in, the scorecard out.

Contract: :func:`build_report` is what scripts call (README), with keywords, and
:func:`run_report` what the CLI calls, with one :class:`~kpicli.model.runs.ReportOptions`:
the same steps (load the KPI file, read the data, compute: :func:`scorecard`, which
``kpi show`` shares), the second also returning what the writers need around the Report. ``progress`` is told each step as it
starts (the CLI shows it in a spinner); the engine knows nothing of it. :func:`fail_on`
decides ``--fail-on``: the reason the run fails (exit 1), or None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kpicli.model.results import STATUS_RANK, Report
from kpicli.model.runs import ReportOptions, ReportRun
from kpicli.readers import SHEET_XML_SUFFIXES

if TYPE_CHECKING:
    from kpicli.definitions.load import Definitions
    from kpicli.model.table import Table

__all__ = [
    "FAIL_ON",
    "ProgressCallback",
    "ReportOptions",
    "build_report",
    "fail_on",
    "run_report",
    "scorecard",
    "start_reading",
]

ProgressCallback = Callable[[str], None]

# The --fail-on levels: a status (fail when any result is at or below it) or `worsened`.
FAIL_ON = ("off_track", "at_risk", "worsened")


def import_data_stack() -> None:
    """Import what a report needs (pandas, pyarrow, the readers and the engine) now.

    The CLI calls this while the garbage collector is paused (``cli.app.heavy_imports``): the
    imports make hundreds of thousands of long-lived objects that a running collector would
    traverse again and again, about 0.05 s of a small report. The api itself stays light to
    import (``kpi --help``).
    """
    import kpicli.api.load
    import kpicli.engine.report
    import kpicli.readers.files  # noqa: F401


def start_reading(
    data: Sequence[str | Path] | None, kpis: str | Path | None = None
) -> None:
    """Begin reading the one workbook a report reads in the background, before
    :func:`import_data_stack`: the sheet is unzipped and parsed (fastexcel, zlib: no GIL)
    while pandas and the engine import. :func:`run_report` then reads that sheet as usual
    and takes the work done so far; the result is the same as without the early start.

    The workbook is the one ``--data`` names, else the KPI file's ``data.path``; the sheet is
    the KPI file's ``data.sheet`` when it has one. Globs, several files and other formats
    start nothing, and a KPI file is only parsed here when it mentions a workbook or a sheet.
    """
    given: list[str] = [str(d) for d in data] if data else []
    base, sheet = None, None
    hints = (b"sheet",) if given else tuple(s.encode() for s in SHEET_XML_SUFFIXES)
    spec = _data_settings(kpis, hints) if kpis is not None else {}
    if not given:
        path = spec.get("path")
        if isinstance(path, str):
            given, base = [path], Path(str(kpis)).parent
    raw_sheet = spec.get("sheet")
    if isinstance(raw_sheet, str | int) and not isinstance(raw_sheet, bool):
        sheet = raw_sheet
    if len(given) != 1 or set("*?[") & set(given[0]) or "://" in given[0]:
        return
    if Path(given[0]).suffix.lower() not in SHEET_XML_SUFFIXES:
        return  # a CSV report does not import the workbook code
    from kpicli.readers.sheet_xml import start

    path = Path(given[0]).expanduser()
    start(base / path if base is not None and not path.is_absolute() else path, sheet)


def _data_settings(kpis: str | Path, hints: tuple[bytes, ...]) -> dict[str, object]:
    """The KPI file's ``data:`` mapping, read only when its text contains one of ``hints``
    (case-insensitively); empty when it does not, or when the file does not load. The KPI
    file is loaded properly (and its errors reported) by :func:`run_report`."""
    if str(kpis) in ("-", "<stdin>"):
        return {}
    try:
        from kpicli.definitions.yamlfile import load_yaml_text, read_text

        text = read_text(Path(kpis))  # the KPI file size limit, UTF-8, a regular file
        folded = text.lower().encode("utf-8", "replace")
        if not any(h in folded for h in hints):
            return {}
        loaded = load_yaml_text(text, str(kpis)).data
    except Exception:  # any problem is reported when the file is loaded for the report
        return {}
    spec = loaded.get("data") if isinstance(loaded, dict) else None
    return spec if isinstance(spec, dict) else {}


def run_report(
    kpis: str | Path = "kpis.yaml",
    data: Sequence[str | Path] | None = None,
    options: ReportOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    definition_findings: bool = False,
) -> ReportRun:
    """Load definitions and data and compute the scorecard (``kpi report``).

    ``definition_findings`` also runs the definition rules (not the data-backed ones: the
    data was read once already and its findings are in the report), for the workbook's
    Definitions sheet.
    """
    from kpicli.api.load import data_paths, load_kpi_file

    defs = load_kpi_file(kpis)
    assert defs.model is not None
    rep, table = scorecard(defs, data, options or ReportOptions(), progress)
    run = ReportRun(
        report=rep,
        model=defs.model,
        inputs=[Path(kpis), *data_paths(defs, data)],
        sources=list(table.sources),
        date_label=table.date_label,
    )
    if definition_findings:
        from kpicli.api.validate import validate_files

        run.definition_findings = validate_files([kpis], with_data=False).findings
    return run


def build_report(
    kpis: str | Path = "kpis.yaml",
    data: Sequence[str | Path] | None = None,
    *,
    period: str | None = None,
    by: str | None = None,
    history: int = 12,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    """Load definitions and data and compute the scorecard (``kpi report``)."""
    options = ReportOptions(period=period, by=by, history=history, today=today)
    return run_report(kpis, data, options, progress=progress).report


def scorecard(
    defs: Definitions,
    data: Sequence[str | Path] | None,
    options: ReportOptions,
    progress: ProgressCallback | None = None,
) -> tuple[Report, Table]:
    """Read the data of loaded definitions and compute their report for ``options``; the
    one path from a loaded KPI file to its Report (``kpi report`` and ``kpi show``)."""
    from kpicli.api.load import read_table
    from kpicli.engine.report import build_report as compute

    assert defs.model is not None
    say = progress or _silent
    say("reading " + (", ".join(str(d) for d in data) if data else "the data"))
    table = read_table(defs, data, by=options.by)
    say(f"computing the scorecard from {len(table.frame):,} rows")
    o = options
    report = compute(defs.model, table, period=o.period, by=o.by, history=o.history, today=o.today)
    return report, table


def fail_on(report: Report, level: str | None) -> str | None:
    """Why ``--fail-on LEVEL`` fails this report (exit 1), or None when it passes.

    ``worsened``: a KPI or member got a worse status than in the previous period; a status
    (``off_track``, ``at_risk``): a result is at or below it.
    """
    if level is None:
        return None
    if level == "worsened":
        worse = [r for r in report.kpis if r.status_change == "worsened"]
        if worse:
            return f"{len(worse)} KPI result(s) worsened since {report.previous_period}"
        return None
    limit = STATUS_RANK[level]
    bad = [r for r in report.kpis if STATUS_RANK.get(r.status, 99) <= limit]
    return f"{len(bad)} KPI result(s) at or below {level}" if bad else None


def _silent(step: str) -> None:
    """No one is watching the steps."""
