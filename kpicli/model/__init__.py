"""Pydantic models of the KPI file and of results; no I/O."""

from kpicli.model.kpifile import (
    KPI,
    Baseline,
    DataSpec,
    Defaults,
    KPIFile,
    Measure,
    Objective,
    Target,
    Thresholds,
)
from kpicli.model.results import Finding, HistoryPoint, KPIResult, Report, Status

__all__ = [
    "KPI",
    "Baseline",
    "DataSpec",
    "Defaults",
    "Finding",
    "HistoryPoint",
    "KPIFile",
    "KPIResult",
    "Measure",
    "Objective",
    "Report",
    "Status",
    "Target",
    "Thresholds",
]
