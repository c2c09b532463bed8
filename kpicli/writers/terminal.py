"""Terminal writer: a rich scorecard grouped by objective, coloured by status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from kpicli.model.results import KPIResult, Report, ScoreLine
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    STATUS_ICON,
    STATUS_LABEL,
    arrow,
    change_phrase,
    change_suffix,
    delta_is_good,
    format_ratio,
    format_target,
    format_value,
    moved,
    period_heading,
    sparkline,
)
from kpicli.writers.sanitize import printable

STATUS_STYLE = {
    "met": "bold green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "bold red",
    "no_data": "dim",
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CHANGE_STYLE = {"improved": "green", "worsened": "red", "new": "cyan", "unchanged": "dim"}


def status_text(status: str) -> Text:
    return Text(f"{STATUS_ICON[status]} {STATUS_LABEL[status]}", style=STATUS_STYLE[status])


def status_with_change(r: KPIResult) -> Text:
    """``▲ at risk ← on track``: the status, and where it came from when it moved."""
    t = status_text(r.status)
    suffix = change_suffix(r)
    if suffix:
        t.append(f" {suffix}", style=CHANGE_STYLE.get(r.status_change or "", "dim"))
    return t


def _changes_line(report: Report, results: list[KPIResult]) -> Text | None:
    """``Since 2026-09: 2 worsened (A: on track → at risk, ...) · 1 improved (...)``."""
    if report.previous_period is None or not any(r.status_change for r in results):
        return None
    line = Text(f"Since {report.previous_period}: ", style="bold")
    picked = moved(results)
    if not picked:
        line.append("no status changed", style="dim")
        return line
    parts: dict[str, list[KPIResult]] = {}
    for r in picked:
        parts.setdefault(r.status_change or "new", []).append(r)
    for i, (kind, rows) in enumerate(parts.items()):
        if i:
            line.append(" · ")
        line.append(f"{CHANGE_ARROW[kind]} {len(rows)} {kind}", style=CHANGE_STYLE[kind])
        line.append(" (")
        line.append("; ".join(f"{r.name}: {change_phrase(r)}" for r in rows))
        line.append(")")
    return line


def _delta(r: KPIResult) -> Text:
    if r.delta is None:
        return Text("–", style="dim")
    good = delta_is_good(r)
    style = "green" if good else ("red" if good is False else "dim")
    return Text(f"{arrow(r)} {format_value(r.delta, r.unit, signed=True)}", style=style)


def _delta_yoy(r: KPIResult) -> Text:
    if r.delta_yoy is None:
        return Text("–", style="dim")
    good = None if r.delta_yoy == 0 else (r.delta_yoy > 0) == (r.direction == "higher")
    style = "green" if good else ("red" if good is False else "dim")
    return Text(format_value(r.delta_yoy, r.unit, signed=True), style=style)


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
    # Wide enough for the objective band titles, which must not wrap or be cut.
    titles = [len(o.title or o.id) for o in report.objectives] or [0]
    table.add_column("KPI", overflow="fold", min_width=min(40, max(titles)), max_width=44)
    table.add_column("Actual", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Att.", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Δ prev", justify="right", no_wrap=True)
    # Year-on-year only when the data reaches back a year for some KPI.
    yoy = any(r.delta_yoy is not None for r in results)
    if yoy:
        table.add_column("Δ year", justify="right", no_wrap=True)
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
            title = Text(
                line.title or line.id if line else "Other KPIs",
                style="bold",
                no_wrap=True,
                overflow="ellipsis",
            )
            sc = _score(line.score) if line else Text("")
            table.add_row(title, Text(""), Text(""), sc, end_section=False, style="on grey11")
        for r in rows:
            name = Text(("  " if objectives else "") + r.name)
            cells = [
                name,
                Text(format_value(r.actual, r.unit), style="bold"),
                Text(format_target(r)),
                Text(format_ratio(r.attainment)),
                status_with_change(r),
                _delta(r),
            ]
            if yoy:
                cells.append(_delta_yoy(r))
            cells += [Text(sparkline([h.actual for h in r.history]), style="cyan"), _forecast(r)]
            table.add_row(*cells)
    return table


def _why_lines(results: list[KPIResult]) -> Group:
    """The arithmetic behind each status, one KPI per line, under the table (--explain)."""
    lines = [Text("Why", style="bold")]
    for r in results:
        t = Text("  ")
        t.append(r.name, style="bold")
        t.append(": ")
        t.append(r.why or "–", style=STATUS_STYLE[r.status])
        lines.append(t)
    return Group(*lines)


def _by_table(report: Report) -> Table:
    """An empty table titled "By <group>" in the scorecard's style."""
    return Table(
        box=box.SIMPLE_HEAVY,
        show_edge=False,
        pad_edge=False,
        title=Text(f"By {report.group_by}", style="bold"),
        title_justify="left",
    )


def _group_matrix(report: Report) -> Table:
    members = [r for r in report.kpis if r.group is not None]
    kpi_ids = list(dict.fromkeys(r.id for r in members))
    names = {r.id: r.name for r in members}
    table = _by_table(report)
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
                cell = Text(format_value(r.actual, r.unit), style=STATUS_STYLE[r.status])
                mark = CHANGE_ARROW.get(r.status_change or "", "")
                if mark:
                    cell.append(f" {mark}", style=CHANGE_STYLE[r.status_change or "unchanged"])
                row.append(cell)
        table.add_row(*row)
    if report.previous_period and any(r.status_change for r in members):
        table.caption = Text(
            f"Colour: status. ↑ improved, ↓ worsened, + new status since {report.previous_period}.",
            style="dim",
        )
        table.caption_justify = "left"
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
    report = _printable(report)
    title = Text(report.title or "KPI scorecard", style="bold")
    title.append(f"  ·  {period_heading(report)}", style="")
    title.append("  ·  score ")
    title.append_text(_score(report.score))
    console.print(title)
    top = [r for r in report.kpis if r.group is None]
    if top:
        _render_overall(report, top, console, explain)
    if report.group_by and report.groups:
        console.print()
        console.print(_group_matrix(report))
    f = _findings(report)
    if f is not None:
        console.print()
        console.print(f)


def _render_overall(report: Report, top: list[KPIResult], console: Console, explain: bool) -> None:
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
    changes = _changes_line(report, top)
    if changes is not None:
        console.print(changes)
    if explain:
        console.print()
        console.print(_why_lines(top))


def _bar_chart(r: KPIResult, width: int = 40) -> Table:
    """Horizontal bars of actual per period, with the target marked: no plotting dependency."""
    points = [h for h in r.history if h.actual is not None or h.target is not None]
    vals = [v for h in points for v in (h.actual, h.target) if v is not None]
    chart = Table(box=None, show_header=True, pad_edge=False)
    chart.add_column("Period", no_wrap=True)
    chart.add_column("Actual", justify="right", no_wrap=True)
    chart.add_column("", no_wrap=True)
    chart.add_column("Target", justify="right", no_wrap=True)
    if not vals:
        return chart
    lo = min(0.0, min(vals))
    hi = max(vals)
    span = (hi - lo) or 1.0
    for h in points:
        bar = Text()
        if h.actual is not None:
            n = round((h.actual - lo) / span * width)
            bar.append("█" * n, style="cyan")
            bar.append(" " * (width - n))
        else:
            bar.append(" " * width)
        if h.target is not None:
            pos = round((h.target - lo) / span * width)
            plain = list(bar.plain)
            if 0 <= pos < len(plain):
                bar = Text("".join(plain[:pos]), style="cyan")
                bar.append("│", style="bold magenta")
                bar.append("".join(plain[pos + 1 :]), style="cyan")
        chart.add_row(
            Text(h.period),
            Text(format_value(h.actual, r.unit)),
            bar,
            Text(format_value(h.target, r.unit), style="magenta"),
        )
    return chart


def render_kpi_detail(
    report: Report, kpi_id: str, console: Console, definition: dict[str, str] | None = None
) -> None:
    """One KPI in depth: definition, status and why, history chart, forecast, findings."""
    report = _printable(report)
    definition = _printable(definition)
    rows = [r for r in report.kpis if r.id == kpi_id]
    r = next((x for x in rows if x.group is None), rows[0])
    head = Text(r.name, style="bold")
    head.append(f"  ({r.id})  ·  {period_heading(report)}  ·  ", style="dim")
    head.append_text(status_with_change(r))
    console.print(head)
    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    for key, value in (definition or {}).items():
        if value:
            facts.add_row(Text(key), Text(value))
    facts.add_row(Text("actual"), Text(format_value(r.actual, r.unit), style="bold"))
    facts.add_row(Text("target"), Text(format_target(r)))
    if r.baseline is not None:
        facts.add_row(
            Text("baseline"),
            Text(
                format_value(r.baseline, r.unit)
                + (f" ({r.baseline_period})" if r.baseline_period else "")
            ),
        )
    if r.due:
        facts.add_row(Text("due"), Text(r.due))
    facts.add_row(Text("attainment"), Text(format_ratio(r.attainment)))
    if r.progress is not None:
        exp = f" of expected {format_ratio(r.expected_progress)}" if r.expected_progress else ""
        facts.add_row(Text("progress"), Text(f"{format_ratio(r.progress)}{exp}"))
    facts.add_row(Text("change"), _delta(r))
    if r.delta_yoy is not None:
        facts.add_row(Text("vs last year"), Text(format_value(r.delta_yoy, r.unit, signed=True)))
    if r.forecast is not None:
        facts.add_row(Text(f"forecast {r.forecast_period}"), _forecast(r))
    if r.needed is not None:
        facts.add_row(Text("needed per period"), Text(format_value(r.needed, r.unit)))
    facts.add_row(Text("why"), Text(r.why, style="italic"))
    console.print(facts)
    console.print()
    console.print(_bar_chart(r))
    members = [x for x in rows if x.group is not None]
    if members:
        console.print()
        t = _by_table(report)
        t.add_column(report.group_by or "group")
        t.add_column("Actual", justify="right")
        t.add_column("Target", justify="right")
        t.add_column("Status")
        for m in sorted(members, key=lambda x: -(x.score or -1)):
            t.add_row(
                Text(m.group or ""),
                Text(format_value(m.actual, m.unit)),
                Text(format_target(m)),
                status_with_change(m),
            )
        console.print(t)
    related = [f for f in report.findings if f.kpi == kpi_id]
    if related:
        console.print()
        console.print(_findings(report.model_copy(update={"findings": related})))


def _printable(obj: Any) -> Any:
    """A copy with every string made printable: user text cannot send escape sequences
    (colours, cursor moves, screen clears, hyperlinks) to the terminal."""
    if isinstance(obj, str):
        return printable(obj)
    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        return obj.model_copy(update={n: _printable(getattr(obj, n)) for n in fields})
    if isinstance(obj, list):
        return [_printable(x) for x in obj]
    if isinstance(obj, dict):
        return {_printable(k): _printable(v) for k, v in obj.items()}
    return obj
