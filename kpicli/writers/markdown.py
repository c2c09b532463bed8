"""Markdown writer: a scorecard table for wikis, pull requests and chat."""

from __future__ import annotations

from kpicli.model.results import KPIResult, Report
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    STATUS_LABEL,
    arrow,
    change_phrase,
    change_suffix,
    format_ratio,
    format_target,
    format_value,
    moved,
    period_heading,
)
from kpicli.writers.sanitize import markdown_cell as md

EMOJI = {"met": "🟢", "on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_data": "⚪"}


def _row(r: KPIResult, explain: bool, with_group: bool) -> str:
    delta = ""
    if r.delta is not None:
        delta = f"{arrow(r)} {format_value(r.delta, r.unit, signed=True)}"
    cells = [md(r.group or "")] if with_group else []
    cells += [
        md(r.name),
        format_value(r.actual, r.unit),
        format_target(r),
        format_ratio(r.attainment),
        f"{EMOJI[r.status]} {STATUS_LABEL[r.status]} {change_suffix(r)}".rstrip(),
        md(delta),
        format_value(r.forecast, r.unit),
    ]
    if explain:
        cells.append(md(r.why))
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _changes(report: Report) -> list[str]:
    """A "Changes since" list above the table: what moved, worsened first."""
    top = [r for r in report.kpis if r.group is None] or report.kpis
    if report.previous_period is None or not any(r.status_change for r in top):
        return []
    picked = moved(top)
    lines = [f"**Changes since {report.previous_period}:**" + ("" if picked else " none"), ""]
    for r in picked:
        kind = r.status_change or "new"
        who = md(r.name) + (f" — {md(r.group)}" if r.group is not None else "")
        lines.append(f"- {CHANGE_ARROW[kind]} {kind}: **{who}** ({change_phrase(r)})")
    if picked:
        lines.append("")
    return lines


def render_markdown(report: Report, *, explain: bool = False) -> str:
    title = md(report.title or "KPI scorecard")
    score = format_ratio(report.score)
    lines = [
        f"# {title}",
        "",
        f"**Period:** {period_heading(report)} · **Score:** {score}",
        "",
    ]
    lines += _changes(report)
    with_group = report.group_by is not None
    head = (
        (["Group"] if with_group else [])
        + [
            "KPI",
            "Actual",
            "Target",
            "Attainment",
            "Status",
            "Δ",
            "Forecast",
        ]
        + (["Why"] if explain else [])
    )
    lines.append("| " + " | ".join(head) + " |")
    lines.append(
        "|"
        + "|".join("---" if h in ("Group", "KPI", "Status", "Why") else "---:" for h in head)
        + "|"
    )
    for r in report.kpis:
        lines.append(_row(r, explain, with_group))
    if report.groups:
        lines += [
            "",
            f"## Ranking by {md(report.group_by or '')}",
            "",
            "| Rank | Member | Score |",
            "|---:|---|---:|",
        ]
        for g in report.groups:
            lines.append(f"| {g.rank or '–'} | {md(g.id)} | {format_ratio(g.score)} |")
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {md(n)}" for n in report.notes]
    if report.findings:
        lines += ["", "## Data quality", ""]
        for f in report.findings:
            where = f" ({md(f.location)})" if f.location else ""
            lines.append(f"- **{f.rule}** {f.severity}: {md(f.message)}{where}")
    return "\n".join(lines) + "\n"
