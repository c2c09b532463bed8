"""Writers of ``kpi diff``: text, JSON (``kpicli.diff/1``), Markdown (a pull-request comment)
and GitHub workflow commands.

Contract: each renderer takes a :class:`~kpicli.model.diff.DefinitionDiff` and returns text
ending in a newline; nothing is recomputed. Text from the KPI files (names, ids, values such as
``where`` filters, file names) is untrusted: it is shown through :func:`printable` on the
terminal, :func:`markdown_cell` in Markdown and the workflow-command escapes for GitHub.
"""

from __future__ import annotations

import json
from typing import Any

from kpicli.model.diff import DefinitionDiff, FieldChange, ItemChange, StatusChange
from kpicli.writers.findings import escape_data, escape_property
from kpicli.writers.sanitize import markdown_cell, printable

__all__ = [
    "MARKER",
    "render_diff",
    "render_diff_github",
    "render_diff_json",
    "render_diff_markdown",
    "render_diff_text",
    "status_line",
]

# First line of the Markdown comment: lets a CI job find and update its earlier comment.
MARKER = "<!-- kpicli-diff -->"
EMOJI = {"met": "🟢", "on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_data": "⚪"}


def value_text(v: Any) -> str:
    """85.0 -> 85, 0.125 -> 0.125, None -> (none), lists and maps as compact JSON."""
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else f"{v:.6g}"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    # One line per change: a multi-line description shows its breaks as ⏎.
    return " ⏎ ".join(str(v).splitlines()) if "\n" in str(v) or "\r" in str(v) else str(v)


def score_text(x: float | None) -> str:
    """A score with one decimal (93.4%): a definition change often moves it by less than 1%."""
    return "–" if x is None else f"{x * 100:.1f}%"


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _status(s: str | None) -> str:
    return "(absent)" if s is None else s


def _fields_of(diff: DefinitionDiff, kpi_id: str) -> list[FieldChange]:
    """The KPI's own changed fields, else the file settings that changed (defaults ...)."""
    for item in diff.items:
        if item.kind == "kpi" and item.id == kpi_id:
            return item.fields
    return [f for item in diff.items if item.kind == "settings" for f in item.fields]


def status_line(diff: DefinitionDiff, s: StatusChange) -> str:
    """``csat: target.min 85 → 88: met → at_risk; score 100% → 98%`` (raw, unescaped)."""
    who = s.id + (f" [{s.group}]" if s.group is not None else "")
    fields = _fields_of(diff, s.id)
    why = "; ".join(f"{f.field} {value_text(f.old)} → {value_text(f.new)}" for f in fields[:3])
    if len(fields) > 3:
        why += f"; {len(fields) - 3} more"
    if s.change == "added":
        what = f"new KPI: {s.new_status}"
    elif s.change == "removed":
        what = f"removed KPI (was {s.old_status})"
    elif s.change == "score":
        what = f"{s.new_status} (unchanged)"
    else:
        what = f"{_status(s.old_status)} → {_status(s.new_status)}"
    score = f"score {score_text(s.old_score)} → {score_text(s.new_score)}"
    return f"{who}: " + (f"{why}: " if why and s.change not in ("added", "removed") else "") + (
        f"{what}; {score}"
    )


def _count(n: int, word: str) -> str:
    plural = word + ("es" if word.endswith("s") else "s")
    return f"{n} {word if n == 1 else plural}"


def _flips(diff: DefinitionDiff) -> int:
    return sum(
        1
        for s in diff.statuses
        if s.old_status is not None and s.new_status is not None and s.old_status != s.new_status
    )


def _summary(diff: DefinitionDiff) -> str:
    kinds = {"kpi": "KPI", "objective": "objective", "settings": "setting"}
    parts = []
    for kind in ("kpi", "objective"):
        for change in ("added", "removed", "changed"):
            n = sum(1 for i in diff.items if i.kind == kind and i.change == change)
            if n:
                parts.append(f"{_count(n, kinds[kind])} {change}")
    settings = sum(len(i.fields) for i in diff.items if i.kind == "settings")
    if settings:
        parts.append(f"{_count(settings, 'file setting')} changed")
    return ", ".join(parts) if parts else "no definition changes"


def _item_title(diff: DefinitionDiff, item: ItemChange) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[item.change]
    label = "file settings" if item.kind == "settings" else item.id
    if item.kind == "objective":
        label = f"objective {item.id}"
    name = f"  {item.name}" if item.name and item.kind == "kpi" else ""
    places = []
    if item.old_line:
        places.append(_where(diff.old, item.old_line))
    if item.new_line:
        places.append(_where(diff.new, item.new_line))
    return f"{sign} {label}{name}" + (f"  ({' → '.join(places)})" if places else "")


def render_diff_text(diff: DefinitionDiff) -> str:
    p = printable
    lines = [p(f"{diff.old} → {diff.new}: {_summary(diff)}")]
    for item in diff.items:
        lines.append(p("  " + _item_title(diff, item)))
        for f in item.fields:
            lines.append(
                p(
                    f"      {f.field}: {value_text(f.old)} → {value_text(f.new)}"
                    f"    {_where(diff.old, f.old_line)}  {_where(diff.new, f.new_line)}"
                )
            )
    if diff.with_data:
        by = f", by {diff.group_by}" if diff.group_by else ""
        lines += ["", p(f"Statuses in {diff.period}{by} ({', '.join(diff.sources)}):")]
        for s in diff.statuses:
            lines.append(p("  " + status_line(diff, s)))
        for sc in diff.scores:
            label = {"overall": "overall score", "objective": f"objective {sc.id} score",
                     "group": f"{diff.group_by or 'member'} {sc.id} score"}[sc.kind]
            same = " (unchanged)" if sc.old == sc.new else ""
            lines.append(p(f"  {label} {score_text(sc.old)} → {score_text(sc.new)}{same}"))
        flips = _flips(diff)
        lines.append(
            f"{_count(flips, 'status')} would change." if flips else "No status would change."
        )
    else:
        lines.append("(no data: statuses not compared; pass --data to see what would change)")
    return "\n".join(lines) + "\n"


def render_diff_json(diff: DefinitionDiff) -> str:
    return json.dumps(diff.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_diff_markdown(diff: DefinitionDiff) -> str:
    md = markdown_cell
    lines = [MARKER, f"### KPI definition changes: {md(diff.new)}", ""]
    head = f"**{md(_summary(diff))}** (compared with {md(diff.old)})"
    if diff.with_data:
        flips = _flips(diff)
        overall = next((s for s in diff.scores if s.kind == "overall"), None)
        head += (
            f" · **{_count(flips, 'status') + ' would change' if flips else 'no status changes'}**"
            f" in {md(diff.period or '')}"
        )
        if overall is not None:
            head += f" · overall score {score_text(overall.old)} → {score_text(overall.new)}"
    lines += [head, ""]
    if diff.items:
        lines += ["| KPI / item | Field | Old | New | Lines (old → new) |", "|---|---|---|---|---|"]
        for item in diff.items:
            label = "file settings" if item.kind == "settings" else item.id
            if item.kind == "objective":
                label = f"objective {item.id}"
            if item.change != "changed":
                place = _where(diff.old if item.old_line else diff.new,
                               item.old_line or item.new_line)
                lines.append(
                    f"| {md(label)} | *{item.change}* | | | {md(place)} |"
                )
            for f in item.fields:
                lines.append(
                    f"| {md(label)} | {md(f.field)} | {md(value_text(f.old))} | "
                    f"{md(value_text(f.new))} | {f.old_line or '–'} → {f.new_line or '–'} |"
                )
        lines.append("")
    if diff.with_data and diff.statuses:
        by = diff.group_by
        lines += [f"#### Statuses in {md(diff.period or '')}", ""]
        lines.append("| KPI |" + (f" {md(by)} |" if by else "") + " Status | Score | Why (new) |")
        lines.append("|---|" + ("---|" if by else "") + "---|---:|---|")
        for s in diff.statuses:
            old = f"{EMOJI.get(s.old_status or '', '')} {_status(s.old_status)}".strip()
            new = f"{EMOJI.get(s.new_status or '', '')} {_status(s.new_status)}".strip()
            member = f" {md(s.group or '')} |" if by else ""
            lines.append(
                f"| {md(s.id)} |{member} {md(old)} → {md(new)} | "
                f"{score_text(s.old_score)} → {score_text(s.new_score)} | "
                f"{md(s.new_why or s.old_why or '')} |"
            )
        lines.append("")
        moved = [s for s in diff.scores if s.kind != "overall"]
        if moved:
            lines.append(
                "Scores: "
                + ", ".join(
                    f"{md(s.id)} {score_text(s.old)} → {score_text(s.new)}" for s in moved
                )
            )
            lines.append("")
    if not diff.with_data:
        lines += ["*No data given: statuses were not compared.*", ""]
    lines.append("<sub>kpi diff</sub>")
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    return escape_data(printable(text))


def render_diff_github(diff: DefinitionDiff) -> str:
    """One workflow command per status change (a warning when it worsened) and per field."""
    out = []
    for s in diff.statuses:
        if s.change == "score":
            continue
        fields = _fields_of(diff, s.id)
        line = fields[0].new_line if fields else None
        props = [f"file={escape_property(diff.new)}"] + ([f"line={line}"] if line else [])
        props.append(f"title={escape_property(f'kpi diff: {s.id} status')}")
        level = "warning" if s.change in ("worsened", "removed") else "notice"
        out.append(f"::{level} {','.join(props)}::{_data(status_line(diff, s))}")
    for item in diff.items:
        if item.change != "changed":
            path, line = (diff.new, item.new_line) if item.new_line else (diff.old, item.old_line)
            props = [f"file={escape_property(path)}"] + ([f"line={line}"] if line else [])
            props.append(f"title={escape_property(f'kpi diff: {item.id}')}")
            what = "objective" if item.kind == "objective" else "KPI"
            out.append(f"::notice {','.join(props)}::{_data(f'{what} {item.id} {item.change}')}")
            continue
        for f in item.fields:
            props = [f"file={escape_property(diff.new)}"]
            if f.new_line:
                props.append(f"line={f.new_line}")
            props.append(f"title={escape_property(f'kpi diff: {item.id}')}")
            msg = f"{item.id}: {f.field} {value_text(f.old)} → {value_text(f.new)}"
            out.append(f"::notice {','.join(props)}::{_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")


def render_diff(diff: DefinitionDiff, kind: str) -> str:
    return {
        "text": render_diff_text,
        "json": render_diff_json,
        "markdown": render_diff_markdown,
        "github": render_diff_github,
    }[kind](diff)
