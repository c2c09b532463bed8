"""Pydantic models of ``kpi diff``: what changed between two KPI files, and what it flips.

The contract ``kpicli.diff/1`` (JSON output) is built from these models: extend, never break.
Writers render a :class:`DefinitionDiff` and recompute nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kpicli.model.results import STATUS_RANK, Finding, Status


class FieldChange(BaseModel):
    """One field whose value differs between the two files (a dotted path such as target.min)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Dotted path inside the item, e.g. target.min or measure.where.")
    old: Any = Field(None, description="Value in the old file (null: not set).")
    new: Any = Field(None, description="Value in the new file (null: not set).")
    old_line: int | None = Field(None, description="Line of the field (or its parent) in OLD.")
    new_line: int | None = Field(None, description="Line of the field (or its parent) in NEW.")


class ItemChange(BaseModel):
    """A KPI, an objective or the file's settings: added, removed or changed."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["kpi", "objective", "settings"]
    id: str
    name: str | None = None
    change: Literal["added", "removed", "changed"]
    old_line: int | None = None
    new_line: int | None = None
    fields: list[FieldChange] = Field(default_factory=list)


class StatusChange(BaseModel):
    """A KPI (or member with --by) whose status or score differs between the two reports."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    group: str | None = None
    old_status: Status | None = Field(None, description="null: the KPI is not in OLD.")
    new_status: Status | None = Field(None, description="null: the KPI is not in NEW.")
    old_score: float | None = None
    new_score: float | None = None
    old_target: float | None = None
    new_target: float | None = None
    old_why: str | None = None
    new_why: str | None = None
    change: Literal["improved", "worsened", "changed", "added", "removed", "score"] = Field(
        description="improved/worsened by status rank; changed: to or from no_data; added/"
        "removed: a KPI only one file has; score: same status, different score."
    )


class ScoreChange(BaseModel):
    """The overall score, or one objective's or member's, in both reports."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["overall", "objective", "group"]
    id: str
    old: float | None = None
    new: float | None = None


class DefinitionDiff(BaseModel):
    """The result of ``kpi diff``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["kpicli.diff/1"] = Field("kpicli.diff/1", alias="schema")
    old: str = Field(description="The old file as shown (with --git: REV:path).")
    new: str = Field(description="The new file as shown.")
    items: list[ItemChange] = Field(default_factory=list)
    with_data: bool = Field(False, description="Whether statuses were computed from data.")
    period: str | None = None
    group_by: str | None = None
    sources: list[str] = Field(default_factory=list)
    statuses: list[StatusChange] = Field(default_factory=list)
    scores: list[ScoreChange] = Field(default_factory=list)
    findings: list[Finding] = Field(
        default_factory=list, description="Data findings of the new report (for reference)."
    )

    @property
    def status_changed(self) -> bool:
        """True when a KPI present in both files gets another status (the CI gate, exit 1)."""
        return any(s.old_status is not None and s.new_status is not None
                   and s.old_status != s.new_status for s in self.statuses)

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


def status_change(old: str | None, new: str | None) -> str:
    """improved / worsened / changed (to or from no_data) / added / removed / score."""
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if old == new:
        return "score"
    if old in STATUS_RANK and new in STATUS_RANK:
        return "improved" if STATUS_RANK[new] > STATUS_RANK[old] else "worsened"
    return "changed"
