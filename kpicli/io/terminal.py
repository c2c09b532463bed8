"""Terminal writer: a rich scorecard grouped by objective, coloured by status."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from kpicli.io.formatting import (
    STATUS_ICON,
    STATUS_LABEL,
    arrow,
    delta_is_good,
    format_ratio,
    format_target,
    format_value,
    sparkline,
)
from kpicli.model.results import KPIResult, Report, ScoreLine

STATUS_STYLE = {
    "met": "bold green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "bold red",
    "no_data": "dim",
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def status_text(status: str) -> Text:
    return Text(f"{STATUS_ICON[status]} {STATUS_LABEL[status]}", style=STATUS_STYLE[status])


def _delta(r: KPIResult) -> Text:
    if r.delta is None:
        return Text("–", style="dim")
    good = delta_is_good(r)
    style = "green" if good else ("red" if good is False else "dim")
    return Text(f"{arrow(r)} {format_value(r.delta, r.unit, signed=True)}", style=style)


def _score(score: float | None) -> Text:
    if score is None:
        return Text("–", style="dim")
    style = "green" if score >= 1 else ("yellow" if score >= 0.9 else "red")
    return Text(format_ratio(score), style=style)


def _forecast(r: KPIResult) -> Text:
    if r.forecast is None:
        return Text("–", style="dim")
    t = Text(format_value(r.forecast, r.unit))
    if r.forecast_meets is not None:
        t.append(" ✓" if r.forecast_meets else " ✗", style="green" if r.forecast_meets else "red")
    return t


def _kpi_table(report: Report, results: list[KPIResult], explain: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAVY, show_edge=False, pad_edge=False, expand=False)
    table.add_column("KPI", overflow="fold", max_width=40)
    table.add_column("Actual", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Att.", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Δ prev", justify="right", no_wrap=True)
    table.add_column("Trend", no_wrap=True)
    table.add_column("Forecast", justify="right", no_wrap=True)
    objectives = {o.id: o for o in report.objectives}
    order = list(objectives) + [None]
    by_obj: dict[str | None, list[KPIResult]] = {}
    for r in results:
        by_obj.setdefault(r.objective if r.objective in objectives else None, []).append(r)
    for oid in order:
        rows = by_obj.get(oid)
        if not rows:
            continue
        if objectives:
            line: ScoreLine | None = objectives.get(oid) if oid else None
            title = Text(line.title or line.id if line else "Other KPIs", style="bold")
            sc = _score(line.score) if line else Text("")
            table.add_row(title, Text(""), Text(""), sc, end_section=False, style="on grey11")
        for r in rows:
            name = Text(("  " if objectives else "") + r.name)
            table.add_row(
                name,
                Text(format_value(r.actual, r.unit), style="bold"),
                Text(format_target(r)),
                Text(format_ratio(r.attainment)),
                status_text(r.status),
                _delta(r),
                Text(sparkline([h.actual for h in r.history]), style="cyan"),
                _forecast(r),
            )
            if explain and r.why:
                table.add_row(Text(f"    ↳ {r.why}", style="dim italic"), *[""] * 7)
    return table


def _group_matrix(report: Report) -> Table:
    members = [r for r in report.kpis if r.group is not None]
    kpi_ids = list(dict.fromkeys(r.id for r in members))
    names = {r.id: r.name for r in members}
    table = Table(
        box=box.SIMPLE_HEAVY,
        show_edge=False,
        pad_edge=False,
        title=Text(f"By {report.group_by}", style="bold"),
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column(report.group_by or "group", overflow="fold", max_width=24)
    table.add_column("Score", justify="right")
    for kid in kpi_ids:
        table.add_column(Text(names[kid]), justify="right", overflow="fold", max_width=16)
    cells = {(r.group, r.id): r for r in members}
    for g in report.groups:
        row: list[Text] = [Text(str(g.rank or "–")), Text(g.id), _score(g.score)]
        for kid in kpi_ids:
            r = cells.get((g.id, kid))
            if r is None:
                row.append(Text("–", style="dim"))
            else:
                row.append(Text(format_value(r.actual, r.unit), style=STATUS_STYLE[r.status]))
        table.add_row(*row)
    return table


def _findings(report: Report, limit: int = 12) -> Group | None:
    if not report.findings:
        return None
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    head = Text("Data quality: ", style="bold")
    head.append(", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items()))
    lines: list[Text] = [head]
    for f in report.findings[:limit]:
        t = Text("  ")
        t.append(f"{f.rule} ", style=SEVERITY_STYLE.get(f.severity, ""))
        t.append(f.message)
        if f.location:
            t.append(f"  [{f.location}]", style="dim")
        lines.append(t)
    if len(report.findings) > limit:
        lines.append(
            Text(f"  … {len(report.findings) - limit} more (see --format json)", style="dim")
        )
    return Group(*lines)


def render_terminal(report: Report, console: Console, *, explain: bool = False) -> None:
    """Print the scorecard; all user text goes through Text so it cannot carry markup."""
    title = Text(report.title or "KPI scorecard", style="bold")
    title.append(f"  ·  {report.period} ({report.grain})", style="")
    title.append("  ·  score ")
    title.append_text(_score(report.score))
    console.print(title)
    top = [r for r in report.kpis if r.group is None]
    console.print(_kpi_table(report, top, explain))
    statuses: dict[str, int] = {}
    for r in top:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    summary = Text()
    for s in ("met", "on_track", "at_risk", "off_track", "no_data"):
        if statuses.get(s):
            summary.append(f"{statuses[s]} {STATUS_LABEL[s]}", style=STATUS_STYLE[s])
            summary.append("   ")
    if report.perspectives:
        summary.append("│ ")
        for p in report.perspectives:
            summary.append(f"{p.title or p.id} ")
            summary.append_text(_score(p.score))
            summary.append("  ")
    console.print(summary)
    if report.group_by and report.groups:
        console.print()
        console.print(_group_matrix(report))
    f = _findings(report)
    if f is not None:
        console.print()
        console.print(f)
