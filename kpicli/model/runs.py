"""What the api's report commands take and return besides the Report itself: no I/O, no pandas.

* :class:`ReportOptions` is what a report is computed for besides the definitions and the
  data (period, breakdown, history, today): ``kpi report``, ``kpi show`` and their Python
  twins pass it as one value instead of repeating the keywords.
* :class:`ReportRun` is ``kpi report``: the Report plus what its writers need around it (the
  validated definitions, the files read, the definition findings of the workbook's
  Definitions sheet).
* :class:`KpiView` is ``kpi show``: one KPI's definition and its results. Its
  :meth:`KpiView.to_json_dict` is the ``kpicli.kpi/1`` document (keys are only ever added).
* :class:`InitResult` is ``kpi init``: the example written, where, and what to run next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.results import Finding, Report
from kpicli.model.table import Source

__all__ = ["KPI_SCHEMA", "InitResult", "KpiView", "ReportOptions", "ReportRun"]

KPI_SCHEMA = "kpicli.kpi/1"


@dataclass(frozen=True)
class ReportOptions:
    """What one report is computed for (the defaults are ``kpi report``'s)."""

    period: str | None = None  # None: the latest complete period (SPEC §3)
    by: str | None = None  # breakdown column; None: the file's first ``breakdown:``, if any
    history: int = 12  # periods of history per KPI
    today: dt.date | None = None  # None: the clock's date


@dataclass
class ReportRun:
    """One ``kpi report``: the scorecard and what was read to make it."""

    report: Report
    model: KPIFile
    # Paths as opened (data.path is relative to the KPI file), never as shown in messages:
    # the files an output must never overwrite.
    inputs: list[Path] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    date_label: str | None = None  # the data column the dates came from, when there was one
    # The SMART findings of the definition rules (the workbook's Definitions sheet), when asked.
    definition_findings: list[Finding] = field(default_factory=list)


@dataclass
class KpiView:
    """One ``kpi show``: a KPI's definition, its results (per member with --by) and findings."""

    kpi: KPI
    report: Report
    # The definition as the terminal shows it: description, objective, owner, unit,
    # direction and the measure written out (``sum(revenue) where region == "EU"``).
    definition: dict[str, str] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``kpicli.kpi/1`` document of ``kpi show --format json`` (floats unrounded)."""
        rep = self.report
        return {
            "schema": KPI_SCHEMA,
            "period": rep.period,
            "grain": rep.grain,
            "period_complete": rep.period_complete,
            "period_coverage": rep.period_coverage,
            "notes": rep.notes,
            "definition": self.kpi.model_dump(mode="json", exclude_none=True),
            "results": [r.model_dump(mode="json") for r in rep.kpis if r.id == self.kpi.id],
            "findings": [f.model_dump(mode="json") for f in rep.findings if f.kpi == self.kpi.id],
        }


@dataclass
class InitResult:
    """One ``kpi init``: the files of an example written into a folder."""

    example: str
    directory: Path
    written: list[Path] = field(default_factory=list)
    next_step: str = "kpi report"  # the command to run next (with a `cd` when elsewhere)
