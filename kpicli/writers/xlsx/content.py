"""What the workbook shows of a Report: the main and trend results, the title, when it was
generated, target cells and texts, the colour of a change."""

from __future__ import annotations

import datetime as dt
import os

from kpicli.model.results import STATUS_LABEL, KPIResult, Report
from kpicli.model.units import (
    number_format,
    xlsx_format,
    xlsx_parts,
)
from kpicli.writers.xlsx.style import BAD_FONT, GOOD_FONT, NEUTRAL_FONT, _num_text, _number


def _main_results(report: Report) -> tuple[list[KPIResult], bool]:
    """Results for Summary: the overall rows, or every row (with a Group column) if all grouped."""
    overall = [k for k in report.kpis if k.group is None]
    if overall or not report.kpis:
        return overall, False
    return list(report.kpis), True


def _trend_results(report: Report) -> tuple[list[KPIResult], str | None]:
    overall = [k for k in report.kpis if k.group is None]
    if overall or not report.kpis:
        return overall, None
    first = report.kpis[0].group
    return [k for k in report.kpis if k.group == first], first


def _report_title(report: Report) -> str:
    return (report.title or "").strip() or "KPI scorecard"


def _generated_at() -> tuple[dt.datetime, dt.datetime]:
    """(local time shown on the Summary, naive UTC for the file properties).

    ``SOURCE_DATE_EPOCH`` (reproducible builds) fixes both, in UTC.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        fixed = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
        return fixed, fixed
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return now.astimezone().replace(tzinfo=None), now.replace(tzinfo=None)


def _target_cell(k: KPIResult) -> tuple[float | str | None, str]:
    """Value and number format for the target column; bands show as ``≥ 85`` / ``1.5 – 3``."""
    base = number_format(k.unit)
    if _number(k.target) is not None:
        return k.target, base
    lo, hi = _number(k.target_min), _number(k.target_max)
    if lo is not None and hi is not None:
        return f"{_num_text(lo, k.unit)} – {_num_text(hi, k.unit)}", base
    prefix, core, suffix = xlsx_parts(k.unit)
    if lo is not None:
        return lo, xlsx_format("≥ " + prefix, core, suffix)
    if hi is not None:
        return hi, xlsx_format("≤ " + prefix, core, suffix)
    return None, base


def _result_target_text(k: KPIResult) -> str:
    if _number(k.target) is not None:
        return _num_text(k.target, k.unit)
    lo, hi = _number(k.target_min), _number(k.target_max)
    if lo is not None and hi is not None:
        return f"{_num_text(lo, k.unit)} – {_num_text(hi, k.unit)}"
    if lo is not None:
        return f"≥ {_num_text(lo, k.unit)}"
    if hi is not None:
        return f"≤ {_num_text(hi, k.unit)}"
    return ""


def _delta_color(k: KPIResult) -> str:
    d = _number(k.delta)
    if not d:
        return NEUTRAL_FONT
    good = d > 0 if k.direction == "higher" else d < 0
    return GOOD_FONT if good else BAD_FONT


def _status_note(k: KPIResult) -> str:
    return k.why.strip() or f"status: {STATUS_LABEL.get(k.status, k.status)}"
