"""``kpi report --changes``: only the KPIs (and members) whose status moved since the
previous period, ready to paste into the review meeting's notes.

Renders ``Report.kpis`` filtered to ``status_change`` in worsened / improved / new
(worsened first); computes nothing. Formats: ``table`` (rich, plain when piped),
``markdown``, ``json`` (``kpicli.changes/1``), ``csv`` (the report's CSV columns).
"""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kpicli.model.results import KPIResult, Report
from kpicli.writers.formatting import (
    CHANGE_ARROW,
    CHANGE_ORDER,
    STATUS_LABEL,
    format_target,
    format_value,
    moved,
)
from kpicli.writers.jsonout import _tidy
from kpicli.writers.sanitize import markdown_cell as md
from kpicli.writers.sanitize import printable

# The fields of one change in JSON: enough to write the sentence without the full report.
CHANGE_FIELDS = (
    "id",
    "name",
    "group",
    "objective",
    "owner",
    "unit",
    "direction",
    "status_change",
    "previous_status",
    "status",
    "actual",
    "previous",
    "target",
    "target_min",
    "target_max",
    "why",
)


def _heading(report: Report) -> str:
    title = report.title or "KPI scorecard"
    return f"{title} · status changes {report.previous_period or '?'} → {report.period}"


def counts(results: list[KPIResult]) -> dict[str, int]:
    out = {c: 0 for c in CHANGE_ORDER}
    for r in results:
        if r.status_change in out:
            out[r.status_change] += 1
    return out


def _count_text(picked: list[KPIResult]) -> str:
    c = counts(picked)
    text = ", ".join(f"{n} {kind}" for kind, n in c.items() if n)
    return text or "no status changed"


def _who(r: KPIResult) -> str:
    return f"{r.name} — {r.group}" if r.group is not None else r.name


def render_changes_terminal(report: Report, console: Console) -> None:
    picked = moved(report.kpis)
    head = Text(printable(_heading(report)), style="bold")
    head.append(f"  ·  {_count_text(picked)}")
    console.print(head)
    if not picked:
        return
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    table.add_column("Change", no_wrap=True)
    table.add_column("KPI", overflow="fold", max_width=48)
    table.add_column("Was", no_wrap=True)
    table.add_column("Now", no_wrap=True)
    table.add_column("Actual", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Owner", overflow="fold", max_width=32)
    style = {"worsened": "red", "improved": "green", "new": "cyan"}
    for r in picked:
        kind = r.status_change or "new"
        table.add_row(
            Text(f"{CHANGE_ARROW[kind]} {kind}", style=style[kind]),
            Text(printable(_who(r))),
            Text(STATUS_LABEL[r.previous_status or "no_data"]),
            Text(STATUS_LABEL[r.status], style="bold"),
            Text(format_value(r.actual, r.unit)),
            Text(format_target(r)),
            Text(printable(r.owner or "")),
        )
    console.print(table)


def render_changes_markdown(report: Report) -> str:
    picked = moved(report.kpis)
    lines = [f"**{md(_heading(report))}**: {_count_text(picked)}", ""]
    if picked:
        lines += [
            "| Change | KPI | Was | Now | Actual | Target | Owner |",
            "|---|---|---|---|---:|---:|---|",
        ]
        for r in picked:
            kind = r.status_change or "new"
            cells = [
                f"{CHANGE_ARROW[kind]} {kind}",
                md(_who(r)),
                STATUS_LABEL[r.previous_status or "no_data"],
                f"**{STATUS_LABEL[r.status]}**",
                format_value(r.actual, r.unit),
                format_target(r),
                md(r.owner or ""),
            ]
            lines.append("| " + " | ".join(c if c else " " for c in cells) + " |")
    return "\n".join(lines) + "\n"


def changes_dict(report: Report) -> dict[str, Any]:
    picked = moved(report.kpis)
    rows = []
    for r in picked:
        full = r.model_dump(mode="json")
        rows.append({k: full.get(k) for k in CHANGE_FIELDS})
    doc = {
        "schema": "kpicli.changes/1",
        "title": report.title,
        "period": report.period,
        "previous_period": report.previous_period,
        "grain": report.grain,
        "counts": counts(picked),
        "changes": rows,
    }
    return _tidy(doc)  # type: ignore[no-any-return]


def render_changes_json(report: Report) -> str:
    return json.dumps(changes_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_changes_csv(report: Report) -> str:
    from kpicli.writers.csvout import render_csv

    return render_csv(report.model_copy(update={"kpis": moved(report.kpis)}))
