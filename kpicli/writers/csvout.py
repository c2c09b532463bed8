"""CSV writer: one row per KPI (and group), user text neutralised against formula injection."""

from __future__ import annotations

import csv
import io

from kpicli.model.results import Report
from kpicli.writers.jsonout import _tidy
from kpicli.writers.sanitize import neutralize_formula

COLUMNS = [
    "period",
    "group",
    "objective",
    "id",
    "name",
    "owner",
    "unit",
    "direction",
    "actual",
    "target",
    "target_min",
    "target_max",
    "baseline",
    "attainment",
    "progress",
    "expected_progress",
    "status",
    "previous",
    "delta",
    "delta_pct",
    "delta_yoy",
    "forecast",
    "forecast_period",
    "needed",
    "score",
    "weight",
    "count",
    "due",
    "why",
    "period_complete",
    "period_coverage",
    # Added later: appended so positional readers of the older columns keep working.
    "previous_status",
    "status_change",
]


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in report.kpis:
        row = _tidy(r.model_dump(mode="json"))
        row["period"] = report.period
        row["period_complete"] = report.period_complete
        row["period_coverage"] = report.period_coverage
        out = []
        for c in COLUMNS:
            v = row.get(c)
            if v is None:
                out.append("")
            elif isinstance(v, str):
                out.append(neutralize_formula(v))
            else:
                out.append(v)
        w.writerow(out)
    return buf.getvalue()
