"""The plan of a data-entry workbook (``kpi template``): its rows, period columns and members.

The engine builds an :class:`EntryPlan` from the KPI file; the workbook writer renders it and
decides nothing. Each row is one series the ``kpi_rows`` reader will match to KPIs by its
label (a KPI's ``measure.column``, else its id), times one member with ``--by``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EntryRow(BaseModel):
    """One row to fill in: a measured series (and member), with what the KPI file says of it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="What the KPI column holds: measure.column, else the KPI id.")
    kpis: list[str] = Field(description="Ids of the KPIs that read this row.")
    name: str
    member: str | None = None
    unit: str | None = None
    owner: str | None = None
    direction: Literal["higher", "lower"] = "higher"
    target: float | None = Field(None, description="A single target level, when there is one.")
    target_min: float | None = None
    target_max: float | None = None
    target_note: str | None = Field(
        None, description="How the target is defined when it is not one level (change, schedule)."
    )
    due: str | None = None
    valid_min: float | None = Field(None, description="Data validation: lowest number allowed.")
    valid_max: float | None = Field(None, description="Data validation: highest number allowed.")


class Skipped(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kpi: str
    reason: str


class EntryPlan(BaseModel):
    """What ``kpi template`` writes."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    grain: str = "month"
    periods: list[str] = Field(default_factory=list, description="Column headers, oldest first.")
    periods_source: str = Field("", description="Why these periods (for the Instructions).")
    by: str | None = None
    members: list[str] = Field(default_factory=list)
    members_source: str | None = None
    rows: list[EntryRow] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    kpi_file: str | None = None
    inputs: list[str] = Field(
        default_factory=list, description="Files read (the KPI file, data): never overwritten."
    )
