"""`kpi report` and `kpi show`: options -> one kpicli.api call -> a writer -> exit code."""

# Annotations are objects, not strings (no `from __future__ import annotations`): Typer reads
# every option from them, and strings would be compiled and evaluated at each start.
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kpicli.cli.app import OPTIONS, app, fail, guarded, heavy_imports, make_console, note

if TYPE_CHECKING:
    from kpicli.model.results import Report


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"
    html = "html"


class FailOn(str, Enum):
    off_track = "off_track"
    at_risk = "at_risk"
    worsened = "worsened"


EXT_FORMAT = {
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
}

KpisArg = Annotated[Path, typer.Argument(help="KPI definition file.", show_default=True)]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="No colours (also: NO_COLOR variable).")
]
DataOpt = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="Data file or glob (repeatable); overrides data.path."),
]


def _console(stream: object = None):
    return make_console(stream)


@app.command()
@guarded
def report(
    kpis: KpisArg = Path("kpis.yaml"),
    data: DataOpt = None,
    period: Annotated[
        str | None,
        typer.Option("--period", "-p", help="Report period, e.g. 2026-10. Default: latest."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Break every KPI down by this data column.")
    ] = None,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="Output format. Default: table, or from -o's extension."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to a file (.xlsx, .html, .json, .csv, .md, .txt)."
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the arithmetic behind each status.")
    ] = False,
    history: Annotated[
        int, typer.Option("--history", min=1, max=520, help="Periods of history to include.")
    ] = 12,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when any KPI is at or below this status, or (worsened) when any "
            "KPI or member got a worse status than in the previous period.",
        ),
    ] = None,
    changes: Annotated[
        bool,
        typer.Option(
            "--changes",
            help="Only the KPIs (and members) whose status moved since the previous period "
            "(table, markdown, json, csv).",
        ),
    ] = False,
    no_color: NoColorOpt = False,
) -> None:
    """Scorecard for one period: actual, target, status, trend and forecast per KPI."""
    # Before pyarrow loads: its buffers come from malloc, so memory freed after reading is
    # reused by the engine's arrays (peak memory on big files). A user's own setting wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with heavy_imports():
        from kpicli.api.report import start_reading

        start_reading(data, kpis)  # a workbook's sheet is read while the imports below run
        from kpicli.api.report import fail_on as failing
        from kpicli.api.report import import_data_stack, run_report
        from kpicli.model.runs import ReportOptions

        import_data_stack()

    OPTIONS.no_color = OPTIONS.no_color or no_color
    kind = fmt.value if fmt else None
    if kind is None and output is not None:
        kind = EXT_FORMAT.get(output.suffix.lower())
        if kind is None:
            fail(
                f"cannot tell the format of {output}: kpi report writes "
                f"{', '.join(EXT_FORMAT)} files; use one of these extensions or --format"
            )
    kind = kind or "table"
    if kind == "xlsx" and output is None:
        fail("--format xlsx needs -o FILE.xlsx (a workbook is not written to the terminal)")
    if changes and kind in ("xlsx", "html"):
        fail(
            "--changes writes table, markdown, json or csv; the workbook's Summary and the "
            "HTML page have a Changes block already"
        )
    from kpicli.cli.progress import Progress, wanted

    # A spinner on stderr for steps slower than 2 s: on a terminal, never for machine formats.
    spinner = wanted() and not OPTIONS.quiet and kind in ("table", "xlsx")
    with Progress(spinner) as progress:
        run = run_report(
            kpis,
            data,
            ReportOptions(period=period, by=by, history=history),
            progress=progress.say,
            definition_findings=kind == "xlsx" and not changes,
        )
    rep = run.report
    if OPTIONS.verbose:
        for s in run.sources:
            note(
                f"read {s.path}{'!' + s.sheet if s.sheet else ''}: {s.layout} layout, "
                f"header row {s.header_row}"
                + (f", dates from column {run.date_label!r}" if run.date_label else "")
            )
    if changes:
        _emit(_render_changes(rep, kind, output is not None), output, run.inputs)
    elif kind == "xlsx":
        from kpicli.writers.xlsx import write_xlsx

        assert output is not None
        with Progress(spinner, f"writing {output}"):
            write_xlsx(
                rep,
                output,
                model=run.model,
                definition_findings=run.definition_findings,
                inputs=run.inputs,
                history=history,
            )
        note(f"wrote {output}")
    else:
        _emit(_render(rep, kind, explain, output is not None), output, run.inputs)
    # After the output is written: an error writing it stays the first line on stderr.
    if kind in ("table", "xlsx", "html") or OPTIONS.verbose:
        # Choices kpicli made on its own (sheet, date column, period): machine formats carry
        # them in the output itself (JSON "notes"), so stderr stays quiet for them.
        for msg in rep.notes:
            note(f"note: {msg}")
    reason = failing(rep, fail_on.value if fail_on is not None else None)
    if reason is not None:
        note(reason)
        raise typer.Exit(1)


def _emit(text: str | None, output: Path | None, inputs: list[Path]) -> None:
    """Write rendered text to ``output`` atomically, or to stdout."""
    if text is None:
        return
    if output is not None:
        from kpicli.writers.atomic import write_text_atomic

        write_text_atomic(output, text, inputs)
        note(f"wrote {output}")
    else:
        sys.stdout.write(text)


def _file_console():
    """A console that renders the table into a string: plain, wide, for a .txt file."""
    import io

    return make_console(io.StringIO(), plain=True)


def _render_changes(rep: "Report", kind: str, to_file: bool) -> str | None:
    from kpicli.writers import changes as C

    if kind == "json":
        return C.render_changes_json(rep)
    if kind == "csv":
        return C.render_changes_csv(rep)
    if kind == "markdown":
        return C.render_changes_markdown(rep)
    console = _file_console() if to_file else _console()
    C.render_changes_terminal(rep, console)
    return console.file.getvalue() if to_file else None  # type: ignore[attr-defined]


def _render(rep: "Report", kind: str, explain: bool, to_file: bool = False) -> str | None:
    if kind == "json":
        from kpicli.writers.jsonout import render_json

        return render_json(rep)
    if kind == "csv":
        from kpicli.writers.csvout import render_csv

        return render_csv(rep)
    if kind == "html":
        from kpicli.writers.html import render_html

        return render_html(rep)
    if kind == "markdown":
        from kpicli.writers.markdown import render_markdown

        return render_markdown(rep, explain=explain)
    from kpicli.writers.terminal import render_terminal

    console = _file_console() if to_file else _console()
    render_terminal(rep, console, explain=explain)
    return console.file.getvalue() if to_file else None  # type: ignore[attr-defined]


class ShowFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
@guarded
def show(
    kpi_id: Annotated[str, typer.Argument(help="Id (or name) of the KPI to show.")],
    kpis: KpisArg = Path("kpis.yaml"),
    data: DataOpt = None,
    period: Annotated[
        str | None, typer.Option("--period", "-p", help="Report period. Default: latest.")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Also show the KPI per member of this column.")
    ] = None,
    history: Annotated[int, typer.Option("--history", min=1, max=520)] = 12,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.table,
    no_color: NoColorOpt = False,
) -> None:
    """One KPI in depth: definition, history and chart, forecast, findings."""
    with heavy_imports():
        from kpicli.api.report import start_reading

        start_reading(data, kpis)  # a workbook's sheet is read while the imports below run
        from kpicli.api.report import import_data_stack
        from kpicli.api.show import show_kpi
        from kpicli.model.runs import ReportOptions

        import_data_stack()

    OPTIONS.no_color = OPTIONS.no_color or no_color
    view = show_kpi(kpi_id, kpis, data, ReportOptions(period=period, by=by, history=history))
    if fmt is ShowFormat.json:
        from kpicli.writers.jsonout import render_document

        sys.stdout.write(render_document(view.to_json_dict()))
        return
    from kpicli.writers.terminal import render_kpi_detail

    render_kpi_detail(view.report, view.kpi.id, _console(), view.definition)
    for msg in view.report.notes:
        note(f"note: {msg}")
