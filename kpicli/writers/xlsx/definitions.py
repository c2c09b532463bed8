"""The Definitions sheet: each KPI's measure, baseline, target and its validation findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.results import Finding, Report
from kpicli.writers.xlsx.content import _report_title, _result_target_text
from kpicli.writers.xlsx.style import (
    _NOTE_FONT,
    _ROW_BORDER,
    _SUBTITLE_FONT,
    _TITLE_FONT,
    _WRAP_TOP,
    SEVERITY_COLORS,
    _fit_heights,
    _fit_widths,
    _font,
    _header,
    _num_text,
    _print_setup,
    _put,
)

DEFINITION_COLUMNS = (
    "ID",
    "Name",
    "Objective",
    "Description",
    "Measure",
    "Unit",
    "Direction",
    "Baseline",
    "Target",
    "Due",
    "Owner",
    "Kind",
    "Weight",
    "SMART findings",
)


def _measure_text(k: KPI) -> str:
    if k.formula:
        return f"formula: {k.formula}"
    m = k.measure
    parts = [f"column {m.column if m and m.column else k.id}"]
    if m and m.aggregate:
        parts.append(f"aggregate {m.aggregate}")
    if m and m.where:
        parts.append(f"where {m.where}")
    if m and m.min_count:
        parts.append(f"min_count {m.min_count}")
    if k.accumulate:
        parts.append(f"accumulate {k.accumulate}")
    return "; ".join(parts)


def _baseline_text(k: KPI) -> str:
    b = k.baseline
    if b is None:
        return ""
    value = _num_text(b.value, k.unit)
    if b.period:
        return f"{value} ({b.period})" if value else f"from data ({b.period})"
    return value


def _target_text(k: KPI) -> str:
    t = k.target
    if t is None:
        return ""
    parts: list[str] = []
    if t.value is not None:
        parts.append(_num_text(t.value, k.unit))
    if t.change is not None:
        amount, relative = t.change_amount or (0.0, False)
        parts.append(f"change {amount:+g}%" if relative else f"change {amount:+g}")
    if t.min is not None and t.max is not None:
        parts.append(f"{_num_text(t.min, k.unit)} – {_num_text(t.max, k.unit)}")
    elif t.min is not None:
        parts.append(f"≥ {_num_text(t.min, k.unit)}")
    elif t.max is not None:
        parts.append(f"≤ {_num_text(t.max, k.unit)}")
    if t.per:
        parts.append(f"per {t.per}")
    if t.schedule:
        items = list(t.schedule.items())
        first, last = items[0], items[-1]
        span = f"{first[0]}: {_num_text(first[1], k.unit)}"
        if len(items) > 1:
            span += f" … {last[0]}: {_num_text(last[1], k.unit)}"
        parts.append(f"schedule of {len(items)} ({span})")
    if k.targets_by:
        parts.append("per member: " + ", ".join(k.targets_by))
    return "; ".join(parts)


def _worst(findings: Sequence[Finding]) -> str:
    severities = {f.severity for f in findings}
    return next((s for s in ("error", "warning") if s in severities), "info")


def _findings_text(findings: Sequence[Finding]) -> str:
    return "\n".join(f"[{f.rule} {f.severity}] {f.message}" for f in findings)


def _write_definitions(
    ws: Worksheet,
    report: Report,
    model: KPIFile | None,
    definition_findings: Sequence[Finding],
) -> None:
    title = _report_title(report)
    _put(ws, 1, 1, "Definitions").font = _TITLE_FONT
    source = "from the KPI file" if model is not None else "as reported (no KPI file given)"
    _put(ws, 2, 1, f"KPI definitions {source}, with SMART findings").font = _SUBTITLE_FONT
    header_row = 4
    _header(ws, header_row, DEFINITION_COLUMNS)
    by_kpi: dict[str | None, list[Finding]] = {}
    for f in definition_findings:
        by_kpi.setdefault(f.kpi, []).append(f)
    rows: list[list[Any]] = []
    if model is not None:
        for k in model.kpis:
            due = k.target.due if k.target and k.target.due else ""
            rows.append(
                [
                    k.id,
                    k.name,
                    k.objective or "",
                    k.description or "",
                    _measure_text(k),
                    k.unit or "",
                    k.direction,
                    _baseline_text(k),
                    _target_text(k),
                    due,
                    k.owner or "",
                    k.kind or "",
                    k.weight,
                    _findings_text(by_kpi.get(k.id, [])),
                ]
            )
        known = {k.id for k in model.kpis}
    else:
        seen: set[str] = set()
        for r in report.kpis:
            if r.id in seen:
                continue
            seen.add(r.id)
            baseline = _num_text(r.baseline, r.unit)
            if r.baseline_period:
                baseline = f"{baseline} ({r.baseline_period})".strip()
            target_text = _result_target_text(r)
            rows.append(
                [
                    r.id,
                    r.name,
                    r.objective or "",
                    "",
                    "",
                    r.unit or "",
                    r.direction,
                    baseline,
                    target_text,
                    r.due or "",
                    r.owner or "",
                    "",
                    r.weight,
                    _findings_text(by_kpi.get(r.id, [])),
                ]
            )
        known = seen
    orphans = [f for key, fs in by_kpi.items() if key not in known for f in fs]
    if orphans:
        rows.append(["(file)", "Findings not tied to one KPI", *[""] * 11, _findings_text(orphans)])
    r = header_row + 1
    for values in rows:
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value)
            cell.alignment = _WRAP_TOP
            cell.border = _ROW_BORDER
        if values[-1]:
            cell = ws.cell(row=r, column=len(values))
            found = by_kpi.get(values[0], orphans if values[0] == "(file)" else [])
            fill, font = SEVERITY_COLORS[_worst(found)]
            cell.fill = PatternFill("solid", fgColor=fill)
            cell.font = _font(color=font)
        r += 1
    if not rows:
        _put(ws, r, 1, "No KPIs defined").font = _NOTE_FONT
    last_row = max(r - 1, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(DEFINITION_COLUMNS))}{last_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    _fit_widths(ws, header_row, caps={2: 30, 4: 40, 5: 36, 9: 30, 14: 50}, default_cap=20)
    _fit_heights(ws, header_row + 1)
    _print_setup(ws, title, header_row=header_row)
