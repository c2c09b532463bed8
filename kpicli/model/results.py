"""Pydantic models of results: findings and the report (the JSON contract ``kpicli.report/1``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["met", "on_track", "at_risk", "off_track", "no_data"]
StatusChange = Literal["improved", "worsened", "unchanged", "new"]
Severity = Literal["error", "warning", "info"]
# A finding's facts: JSON scalars, or lists of them (kpicli.engine.rules.catalogue.finding
# turns numpy numbers, tuples and non-finite floats into these).
ContextValue = str | int | float | bool | None
FindingContext = dict[str, ContextValue | list[ContextValue]]

# Lower rank = worse; --fail-on compares ranks. no_data is not ranked.
STATUS_RANK: dict[str, int] = {"off_track": 0, "at_risk": 1, "on_track": 2, "met": 3}
# How a status reads in every human output (terminal, Markdown, HTML, workbook), in this order.
STATUS_LABEL: dict[str, str] = {
    "met": "met",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "no_data": "no data",
}


class Finding(BaseModel):
    """A problem in the definitions or the data: a value, never an exception."""

    model_config = ConfigDict(extra="forbid")

    rule: str = Field(description="Stable rule id, e.g. T501 or D601.")
    severity: Severity
    message: str = Field(description="What is wrong and how to fix it.")
    location: str | None = Field(
        None, description="file:line:col for definitions, file!sheet!cell or file:line for data."
    )
    file: str | None = None
    line: int | None = None
    column: int | None = None
    kpi: str | None = None
    letter: str | None = Field(None, description="SMART letter (S, M, A, R, T) or D for data.")
    context: FindingContext | None = Field(
        None,
        description="The facts the message is built from, by name (counts, columns, cells, "
        "periods, values), for scripts that should not parse the message; the keys are "
        "per rule (docs/validate.md). null when the finding has none.",
    )


class HistoryPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str
    actual: float | None = None
    target: float | None = None


class KPIResult(BaseModel):
    """One KPI (for one group, when broken down) in the report period."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    unit: str | None = None
    direction: Literal["higher", "lower"] = "higher"
    group: str | None = None
    objective: str | None = None
    owner: str | None = None
    actual: float | None = None
    target: float | None = None
    target_min: float | None = None
    target_max: float | None = None
    baseline: float | None = None
    baseline_period: str | None = None
    due: str | None = None
    attainment: float | None = None
    progress: float | None = None
    expected_progress: float | None = None
    status: Status = "no_data"
    previous_status: Status | None = Field(
        None,
        description="The status the same rules give for the previous period, with its target.",
    )
    status_change: StatusChange | None = Field(
        None,
        description="improved, worsened or unchanged (met > on_track > at_risk > off_track); "
        "new when the previous period had no status; leaving a status for no_data is worsened.",
    )
    previous: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    delta_yoy: float | None = None
    forecast: float | None = None
    forecast_period: str | None = None
    forecast_meets: bool | None = None
    needed: float | None = None
    score: float | None = None
    weight: float = 1.0
    count: int | None = Field(None, description="Rows behind the actual in the report period.")
    why: str = ""
    history: list[HistoryPoint] = Field(default_factory=list)


class ScoreLine(BaseModel):
    """A weighted score of several KPIs: an objective, a perspective or a group."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str | None = None
    score: float | None = None
    weight: float = 0.0
    kpis: int = 0
    rank: int | None = None
    statuses: dict[str, int] = Field(default_factory=dict)


class Report(BaseModel):
    """The result of ``kpi report``; every writer renders this and recomputes nothing."""

    model_config = ConfigDict(extra="forbid")

    schema_: Literal["kpicli.report/1"] = Field("kpicli.report/1", alias="schema")
    title: str | None = None
    period: str | None = None
    previous_period: str | None = Field(
        None, description="The period previous_status and status_change compare with."
    )
    grain: str = "month"
    period_complete: bool = Field(
        True,
        description="False when the data ends inside the report period (an in-progress period).",
    )
    period_coverage: float = Field(
        1.0, description="Share of the report period's days the data covers (1.0 when complete)."
    )
    score: float | None = None
    group_by: str | None = None
    kpis: list[KPIResult] = Field(default_factory=list)
    objectives: list[ScoreLine] = Field(default_factory=list)
    perspectives: list[ScoreLine] = Field(default_factory=list)
    groups: list[ScoreLine] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    periods: list[str] = Field(default_factory=list, description="Periods present in the data.")
    notes: list[str] = Field(
        default_factory=list,
        description="Choices kpicli made on its own (sheet, date column, period), in words.",
    )

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)
