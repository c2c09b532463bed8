"""The By <group> sheet (kpi report --by): members ranked by score, one row per member and KPI."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpicli.model.results import STATUS_LABEL, KPIResult, Report, ScoreLine
from kpicli.model.units import (
    number_format,
)
from kpicli.writers.formatting import (
    change_phrase,
)
from kpicli.writers.xlsx.content import _report_title, _result_target_text
from kpicli.writers.xlsx.style import (
    _ROW_BORDER,
    _SUBTITLE_FONT,
    _TITLE_FONT,
    PCT_FMT,
    _comment,
    _fit_widths,
    _font,
    _header,
    _print_setup,
    _put,
    _style_status,
)
from kpicli.writers.xlsx.summary import CHANGE_FONT


def _ranked_groups(report: Report) -> list[tuple[ScoreLine | None, str]]:
    lines = sorted(
        report.groups,
        key=lambda g: (g.rank is None, g.rank if g.rank is not None else 0),
    )
    out: list[tuple[ScoreLine | None, str]] = [(g, g.id) for g in lines]
    known = {g.id for g in report.groups}
    for k in report.kpis:
        if k.group is not None and k.group not in known:
            known.add(k.group)
            out.append((None, k.group))
    return out


def _write_groups(ws: Worksheet, report: Report) -> None:
    by = report.group_by or "group"
    title = _report_title(report)
    _put(ws, 1, 1, f"By {by}").font = _TITLE_FONT
    _put(
        ws,
        2,
        1,
        f"Ranked by score · period {report.period or '—'} · cell colour = status, comment = why",
    ).font = _SUBTITLE_FONT
    kpi_ids: list[str] = []
    kpi_info: dict[str, KPIResult] = {}
    for k in report.kpis:
        if k.id not in kpi_info:
            kpi_ids.append(k.id)
            kpi_info[k.id] = k
    header_row = 4
    columns = ["Rank", by.capitalize(), "Score", *[kpi_info[i].name or i for i in kpi_ids]]
    _header(ws, header_row, columns)
    cells = {(k.group, k.id): k for k in report.kpis}
    rows: list[tuple[ScoreLine | None, str | None]] = []
    if any(k.group is None for k in report.kpis):
        rows.append((None, None))
    rows.extend(_ranked_groups(report))
    r = header_row + 1
    for line, member in rows:
        if member is None:
            _put(ws, r, 2, "(all)").font = _font(bold=True)
            _put(ws, r, 3, report.score, PCT_FMT).font = _font(bold=True)
        else:
            rank = _put(ws, r, 1, line.rank if line is not None else None)
            rank.alignment = Alignment(horizontal="center")
            _put(ws, r, 2, member)
            _put(ws, r, 3, line.score if line is not None else None, PCT_FMT)
        for j, kid in enumerate(kpi_ids):
            k = cells.get((member, kid))
            cell = ws.cell(row=r, column=4 + j)
            if k is not None:
                _put(ws, r, 4 + j, k.actual, number_format(k.unit))
                _style_status(cell, k.status)
                head = STATUS_LABEL.get(k.status, k.status)
                target = _result_target_text(k)
                if target:
                    head += f" (target {target})"
                if k.status_change in CHANGE_FONT:
                    head += f"\n{k.status_change} since {report.previous_period}: "
                    head += change_phrase(k)
                cell.comment = _comment(f"{head}\n{k.why.strip()}".strip())
            cell.border = _ROW_BORDER
        for c in (1, 2, 3):
            ws.cell(row=r, column=c).border = _ROW_BORDER
        r += 1
    last_row = max(r - 1, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=4)
    _fit_widths(ws, header_row, caps={2: 30}, default_cap=22)
    ws.column_dimensions["A"].width = 7
    _print_setup(ws, title, header_row=header_row)
