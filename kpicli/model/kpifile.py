"""Pydantic models of the KPI definition file (``kpis.yaml``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from kpicli.model.labels import normalise_label
from kpicli.model.units import is_percent
from kpicli.model.values import parse_change, parse_number, parse_period_label

Grain = Literal["week", "month", "quarter", "year"]
Direction = Literal["higher", "lower"]
Layout = Literal["long", "wide", "records", "kpi_rows"]

AGGREGATES = ("sum", "mean", "median", "min", "max", "count", "nunique", "first", "last")
_PCT_AGG = re.compile(r"^p([1-9]\d?|100)$")
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"


def _number(value: Any) -> float:
    return parse_number(value)


def _period(value: Any) -> str:
    """Keep a period as the user wrote it (normalised to text) once it is known to parse."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("expected a period such as 2026-10, 2026-Q3, 2026-W07 or 2026")
    parse_period_label(value)
    return value.strip()


def _change(value: Any) -> str | float:
    amount, relative = parse_change(value)
    return f"{amount:+g}%" if relative else amount


Number = Annotated[float, BeforeValidator(_number)]
PeriodStr = Annotated[str, BeforeValidator(_period)]
ChangeValue = Annotated[str | float, BeforeValidator(_change)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class Thresholds(_Strict):
    """Ratios that decide between statuses."""

    at_risk: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Attainment (or pace) ratio at or above which a KPI not yet met is at_risk "
        "rather than off_track.",
    )


class Defaults(_Strict):
    """Settings that apply to every KPI unless the KPI overrides them."""

    thresholds: Thresholds = Field(default_factory=Thresholds, description="Status thresholds.")
    aggregate: str | None = Field(
        None,
        description="Default measure aggregate for KPIs that do not name one: sum mean median "
        "min max count nunique first last or p1..p99.",
    )

    @field_validator("aggregate")
    @classmethod
    def _check_aggregate(cls, v: str | None) -> str | None:
        return check_aggregate(v)


def check_aggregate(v: str | None) -> str | None:
    """An aggregate name, lower-cased (``avg``/``average`` mean ``mean``); unknown ones raise."""
    if v is None:
        return v
    v = v.strip().lower()
    if v in ("avg", "average"):
        v = "mean"
    if v not in AGGREGATES and not _PCT_AGG.match(v):
        raise ValueError(f"unknown aggregate {v!r}; use one of {', '.join(AGGREGATES)}, p1..p99")
    return v


class DataSpec(_Strict):
    """Where the measurements are and how they are laid out."""

    path: str | list[str] | None = Field(
        None, description="Data file(s) or glob, relative to the KPI file; --data overrides."
    )
    sheet: str | int | None = Field(
        None, description="Workbook sheet: name or 0-based index. Default: first sheet with data."
    )
    date_column: str | None = Field(
        None, description="Column holding the date or period. Default: detected."
    )
    layout: Layout | None = Field(
        None,
        description="long (period, KPI, value), wide/records (date + one column per measure) "
        "or kpi_rows (one row per KPI, one column per period). Default: detected.",
    )
    kpi_column: str | None = Field(None, description="Long layout: column naming the KPI.")
    value_column: str | None = Field(None, description="Long layout: column with the value.")
    target_column: str | None = Field(
        None, description="Optional column with per-period (and per-group) targets."
    )
    encoding: str | None = Field(None, description="CSV text encoding. Default: detected.")
    delimiter: str | None = Field(None, description="CSV delimiter. Default: detected.")
    decimal: Literal[".", ","] | None = Field(
        None, description="Decimal separator in CSV text numbers. Default: detected per column."
    )
    header_row: int | None = Field(
        None, ge=1, description="1-based row of the header. Default: detected."
    )
    section: str | int | None = Field(
        None,
        description="Several tables stacked in one sheet: which one to read, by its title "
        "(e.g. 'White Alone') or 1-based number. Default: the first, named in a note.",
    )
    url: str | None = Field(
        None,
        description="Database holding the data: duckdb:///file.duckdb or "
        "postgresql://user@host:5432/db. Never a password: credentials come from the engine's "
        "own sources (PGPASSWORD, ~/.pgpass, PGSERVICE).",
    )
    url_env: str | None = Field(
        None, description="Name of an environment variable holding the whole database URL."
    )
    table: str | None = Field(
        None, description="Database table (schema.table) with the data; or use query."
    )
    query: str | None = Field(
        None, description="One read-only SELECT giving the data (used as a subquery)."
    )
    engine: Literal["auto", "pandas", "duckdb", "sql"] = Field(
        "auto",
        description="Where the aggregation runs: pandas (every row read), duckdb (Parquet "
        "files in process), sql (the database named by url), or auto (DuckDB for Parquet when "
        "installed, the database for a url, pandas otherwise).",
    )
    timeout: float = Field(
        300, gt=0, description="Seconds a database query may run before it is cancelled."
    )
    dayfirst: bool | None = Field(
        None,
        description="Numeric dates such as 03/04/2026 are day/month/year (true) or "
        "month/day/year (false). Default: decided per column from the values, else from "
        "the separator ('.' day-first, '/' month-first); reported as an info finding (D620).",
    )
    date_format: str | None = Field(
        None,
        description="strftime format of the date column, e.g. '%d/%m/%Y' or '%Y%m%d'. "
        "Default: detected.",
    )


class Objective(_Strict):
    """A goal that one or more KPIs measure."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id, referenced by kpis[].objective.")
    title: str = Field(description="What the objective is, in words.")
    description: str | None = Field(None, description="Longer explanation.")
    perspective: str | None = Field(
        None, description="Balanced-scorecard perspective: financial, customer, internal, learning."
    )
    owner: str | None = Field(None, description="Who is accountable.")


class Measure(_Strict):
    """How the raw data becomes one number per period."""

    column: str | None = Field(
        None, description="Data column, or the KPI's name/id in a long table. Default: the KPI id."
    )
    aggregate: str | None = Field(
        None,
        description="sum mean median min max count nunique first last or p1..p99. Default: sum "
        "for counts and currency, mean otherwise.",
    )
    where: str | None = Field(
        None, description="Row filter, e.g. \"channel == 'email' and region in ['EU', 'UK']\"."
    )
    min_count: int | None = Field(
        None, ge=1, description="Fewer rows than this in a period make it no_data."
    )

    @field_validator("aggregate")
    @classmethod
    def _check_aggregate(cls, v: str | None) -> str | None:
        return check_aggregate(v)


class Baseline(_Strict):
    """Where the KPI started: a value, a period, or both (value taken from the data if omitted)."""

    value: Number | None = Field(None, description="Baseline value.")
    period: PeriodStr | None = Field(None, description="Period of the baseline, e.g. 2026-01.")

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return {"value": data}
        return data


class Target(_Strict):
    """What the KPI should reach: a level, a change from baseline, a band or a schedule."""

    value: Number | None = Field(None, description="Level to reach.")
    change: ChangeValue | None = Field(
        None, description="Change from baseline: +10 (absolute) or -20% (relative)."
    )
    min: Number | None = Field(None, description="Lower bound of a band (or level to reach).")
    max: Number | None = Field(None, description="Upper bound of a band (or level to stay under).")
    due: PeriodStr | None = Field(None, description="Period by which to reach it (time-bound).")
    per: Grain | None = Field(
        None, description="The span a cumulative target covers (with accumulate: ytd/qtd)."
    )
    schedule: dict[PeriodStr, Number] | None = Field(
        None, description="Target per period, e.g. {2026-01: 100, 2026-02: 110}."
    )

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Target:
        if self.value is not None and self.change is not None:
            raise ValueError("give either value or change, not both")
        if (self.value is not None or self.change is not None) and (
            self.min is not None or self.max is not None
        ):
            raise ValueError("a band (min/max) cannot be combined with value or change")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        if all(getattr(self, k) is None for k in ("value", "change", "min", "max", "schedule")):
            raise ValueError("a target needs value, change, min, max or schedule")
        return self

    @property
    def change_amount(self) -> tuple[float, bool] | None:
        """``(amount, relative)`` of a change target, relative meaning percent of baseline."""
        return None if self.change is None else parse_change(self.change)

    @property
    def is_band(self) -> bool:
        return self.min is not None or self.max is not None


class KPI(_Strict):
    """One key performance indicator."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id; formulas refer to it.")
    name: str = Field(description="Human name shown in reports.")
    description: str | None = Field(None, description="What it measures and why it matters.")
    objective: str | None = Field(None, description="Id of the objective it measures.")
    owner: str | None = Field(None, description="Who is accountable for it.")
    kind: Literal["leading", "lagging"] | None = Field(
        None, description="leading (predicts) or lagging (confirms)."
    )
    unit: str | None = Field(
        None,
        description="percent, count, currency:EUR, hours, days, points, ratio or any word.",
    )
    direction: Direction = Field("higher", description="Which way is better.")
    measure: Measure | None = Field(None, description="How to compute it from the data.")
    formula: str | None = Field(
        None, description="Arithmetic over other KPI ids, per period, e.g. cost / tickets."
    )
    baseline: Baseline | None = Field(None, description="Starting point.")
    target: Target | None = Field(None, description="What to reach.")
    schedule: dict[PeriodStr, Number] | None = Field(
        None, description="Shorthand for target.schedule: a target per period."
    )
    accumulate: Literal["ytd", "qtd"] | None = Field(
        None,
        description="Track a running total (year- or quarter-to-date) against a pro-rated target.",
    )
    targets_by: dict[str, dict[str, Number]] | None = Field(
        None, description="Per-member targets for breakdowns: {team: {North: 100, South: 80}}."
    )
    thresholds: Thresholds | None = Field(None, description="Overrides defaults.thresholds.")
    weight: float = Field(1.0, ge=0, description="Weight in objective and overall scores.")
    range: tuple[Number | None, Number | None] | None = Field(
        None,
        description="[min, max] of possible values (null for an open end), e.g. [0, 100] for a "
        "score; data outside it is finding D606. Default: only a count unit makes negative "
        "values impossible.",
    )
    ignore: list[str] = Field(default_factory=list, description="Rule ids silenced for this KPI.")

    @field_validator("range")
    @classmethod
    def _check_range(
        cls, v: tuple[float | None, float | None] | None
    ) -> tuple[float | None, float | None] | None:
        if v is not None and v[0] is not None and v[1] is not None and v[0] > v[1]:
            raise ValueError(
                f"range [{v[0]:g}, {v[1]:g}] has its minimum above its maximum; write it as "
                f"[{v[1]:g}, {v[0]:g}]"
            )
        return v

    @model_validator(mode="after")
    def _merge_schedule(self) -> KPI:
        if self.schedule is not None:
            if self.target is None:
                self.target = Target(schedule=self.schedule)
            elif self.target.schedule is None:
                self.target.schedule = self.schedule
        if self.measure is not None and self.formula is not None:
            raise ValueError("give either measure or formula, not both")
        return self

    @property
    def is_percent(self) -> bool:
        """Values are a percentage on the 0-100 scale (model/units.py; ``pp`` is not)."""
        return is_percent(self.unit)

    @property
    def data_column(self) -> str:
        """The data column (wide table) or label (long table) holding this KPI's values:
        ``measure.column`` when given, else the KPI's id."""
        return (self.measure.column if self.measure and self.measure.column else None) or self.id

    @property
    def labels(self) -> set[str]:
        """The normalised labels this KPI's rows may carry in a long table: its measure
        column, id and name (model/labels.py)."""
        named = (self.measure.column if self.measure else None, self.id, self.name)
        return {normalise_label(x) for x in named if x}


class KPIFile(_Strict):
    """The whole ``kpis.yaml``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "kpicli KPI definitions (kpis.yaml)",
        },
    )

    version: Literal[1] = Field(1, description="File format version.")
    title: str | None = Field(None, description="Scorecard title.")
    period: Grain = Field("month", description="Reporting grain: week, month, quarter or year.")
    fiscal_year_start: int = Field(
        1, ge=1, le=12, description="Month number the fiscal year starts in."
    )
    data: DataSpec | None = Field(None, description="Where the measurements are.")
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for every KPI.")
    breakdown: list[str] | None = Field(
        None, description="Data column(s) to break every KPI down by, like --by."
    )
    objectives: list[Objective] = Field(default_factory=list, description="Objectives.")
    kpis: list[KPI] = Field(default_factory=list, description="The KPIs.")

    def kpi(self, kpi_id: str) -> KPI:
        for k in self.kpis:
            if k.id == kpi_id:
                return k
        raise KeyError(kpi_id)
