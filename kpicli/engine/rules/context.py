"""What the rules look at (RuleContext), what they return (RuleHit), and how they run.

A RuleHit names a YAML path, never a position: kpicli.api.validate maps paths to
file:line:col and builds the Finding from the hit's catalogue entry. The helpers here are
shared by the letter modules: the paths of a KPI's nodes, did-you-mean, number and period
text, unit kinds.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from kpicli.engine.rules.catalogue import CATALOGUE
from kpicli.model.kpifile import KPI, KPIFile, Objective
from kpicli.model.units import exact_number, sums_by_default
from kpicli.model.units import unit_kind as unit_kind  # re-exported: the rules ask it
from kpicli.model.values import parse_number, parse_period_label

if TYPE_CHECKING:  # pandas only for the data-backed rules, never at import time
    import pandas as pd

    from kpicli.model.table import Table

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired, at a YAML path (never a position: io maps paths to file:line:col)."""

    rule: str
    path: YamlPath
    message: str
    kpi_id: str | None = None
    key: bool = False  # point at the key of ``path`` rather than its value
    related: YamlPath | None = None  # another node worth naming (e.g. the first duplicate)
    related_label: str = "see"
    # The facts the message is built from (the Finding's context): JSON scalars or lists.
    context: dict[str, Any] | None = None


@dataclass
class RuleContext:
    """What the rules look at: the raw YAML data, the KPIs and objectives that validate."""

    data: dict[str, Any]
    settings: KPIFile  # top-level settings (period, defaults, data...); kpis/objectives may be partial
    kpis: list[tuple[int, KPI]]  # (index in data["kpis"], validated KPI)
    objectives: list[tuple[int, Objective]]
    today: dt.date
    table: Table | None = None  # data-backed rules run when a table is given
    series: dict[str, pd.Series] | None = None  # KPI id -> value per period (PeriodIndex)
    data_problems: dict[str, str] = field(default_factory=dict)  # KPI id -> why no values

    @property
    def raw_kpis(self) -> list[tuple[int, dict[str, Any]]]:
        return _raw_items(self.data, "kpis")

    @property
    def raw_objectives(self) -> list[tuple[int, dict[str, Any]]]:
        return _raw_items(self.data, "objectives")

    def raw_kpi(self, index: int) -> dict[str, Any]:
        items = self.data.get("kpis")
        return items[index] if isinstance(items, list) and isinstance(items[index], dict) else {}


M = TypeVar("M", bound=BaseModel)


def _raw_items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def text_id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    return str(value)


@dataclass
class PartialModel:
    """A KPIFile of the parts that validate on their own, with their indices in the raw data."""

    model: KPIFile
    kpi_index: list[int]
    objective_index: list[int]


def partial_model(data: Any) -> PartialModel:
    """Validate settings, each KPI and each objective on their own; keep what is valid.

    Used when the whole file does not validate, so one broken KPI does not hide the
    findings of the others ("keep going").
    """
    if not isinstance(data, dict):
        return PartialModel(KPIFile(), [], [])
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("kpis", "objectives"):
            continue
        try:
            KPIFile.model_validate({key: value})
        except ValidationError:
            continue
        settings[key] = value
    kpis, kidx = _valid_items(data, "kpis", KPI)
    objectives, oidx = _valid_items(data, "objectives", Objective)
    try:
        base = KPIFile.model_validate(settings)
    except ValidationError:  # pragma: no cover - each key validated on its own above
        base = KPIFile()
    model = base.model_copy(update={"kpis": kpis, "objectives": objectives})
    return PartialModel(model, kidx, oidx)


def _valid_items(data: dict[str, Any], key: str, kind: type[M]) -> tuple[list[M], list[int]]:
    """The items of list ``key`` that validate as ``kind``, and their indices in the file."""
    valid: list[M] = []
    indices: list[int] = []
    for i, raw in _raw_items(data, key):
        try:
            valid.append(kind.model_validate(raw))
        except ValidationError:
            continue
        indices.append(i)
    return valid, indices


def make_context(
    model: KPIFile | None,
    data: Any,
    *,
    today: dt.date | None = None,
    partial: PartialModel | None = None,
) -> RuleContext:
    """Context from the whole-file model, or (when it is None) from the parts that validate."""
    raw = data if isinstance(data, dict) else {}
    if model is not None:
        kpis = list(enumerate(model.kpis))
        objectives = list(enumerate(model.objectives))
        settings = model
    else:
        partial = partial or partial_model(raw)
        settings = partial.model
        kpis = list(zip(partial.kpi_index, partial.model.kpis, strict=True))
        objectives = list(zip(partial.objective_index, partial.model.objectives, strict=True))
    return RuleContext(
        data=raw, settings=settings, kpis=kpis, objectives=objectives,
        today=today or dt.date.today(),
    )


def run_rules(
    ctx: RuleContext, enabled: Callable[[str], bool] | None = None
) -> list[RuleHit]:
    """Run every enabled rule (data-backed ones only when the context has a table)."""
    hits: list[RuleHit] = []
    for rule in CATALOGUE.values():
        if rule.check is None or (enabled is not None and not enabled(rule.id)):
            continue
        if rule.needs_data and ctx.table is None:
            continue
        hits.extend(rule.check(ctx))
    return hits


def check_definitions(
    model: KPIFile | None,
    data: Any,
    *,
    today: dt.date | None = None,
    enabled: Callable[[str], bool] | None = None,
) -> list[RuleHit]:
    """Definition-only rules on a model (or, if it is None, on the parts of ``data`` that validate)."""
    return run_rules(make_context(model, data, today=today), enabled)

# Helpers


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    choices = [c for c in choices if c]
    lower = {c.casefold(): c for c in choices}
    if word.casefold() in lower:
        return f" (did you mean {lower[word.casefold()]!r}?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# A number the user wrote, quoted back in a message: the one form of model/units.py.
fmt = exact_number


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_span(label: str, fiscal_year_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of a period label (pure Python; FY2026 is the fiscal year ending in 2026)."""
    kind, start = parse_period_label(label)
    if kind == "day":
        return start, start
    if kind == "week":
        return start, start + dt.timedelta(days=6)
    if kind == "month":
        return start, _month_end(start.year, start.month)
    if kind == "quarter":
        return start, _month_end(start.year, start.month + 2)
    if kind == "fiscal_year" and fiscal_year_start != 1:
        first = dt.date(start.year - 1, fiscal_year_start, 1)
        last_month = fiscal_year_start - 1
        return first, _month_end(start.year, last_month)
    return dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)


# Unit kinds come from the one vocabulary (model/units.py): percent, percentage_points,
# currency, count, duration, ratio, points or other; None when no unit is given.


def kpi_path(i: int, *rest: str | int) -> YamlPath:
    return ("kpis", i, *rest)


def target_base(ctx: RuleContext, i: int) -> YamlPath:
    """Path of a KPI's target node (the shorthand ``schedule`` when there is no target key)."""
    raw = ctx.raw_kpi(i)
    if "target" not in raw and "schedule" in raw:
        return kpi_path(i, "schedule")
    return kpi_path(i, "target")


def raw_target(ctx: RuleContext, i: int) -> dict[str, Any]:
    t = ctx.raw_kpi(i).get("target")
    return t if isinstance(t, dict) else {}


def target_field_path(ctx: RuleContext, i: int, name: str) -> YamlPath:
    """Path of target.<name>, or of the scalar target itself for ``target: 42``."""
    if name in raw_target(ctx, i):
        return kpi_path(i, "target", name)
    return target_base(ctx, i)


def schedule_items(ctx: RuleContext, i: int) -> Iterator[tuple[YamlPath, str, float]]:
    """(path, period, value) of each scheduled target as written in the file."""
    raw = ctx.raw_kpi(i)
    sources: list[tuple[YamlPath, Any]] = [
        (kpi_path(i, "schedule"), raw.get("schedule")),
        (kpi_path(i, "target", "schedule"), raw_target(ctx, i).get("schedule")),
    ]
    for base, sched in sources:
        if not isinstance(sched, dict):
            continue
        for key, value in sched.items():
            try:
                yield (*base, key), str(key), parse_number(value)
            except ValueError:
                continue


def direction_note(ctx: RuleContext, i: int) -> str:
    return "" if "direction" in ctx.raw_kpi(i) else " (direction defaults to higher)"



ROW_AGGREGATES = {"count", "nunique"}


def effective_aggregate(kpi: KPI, settings: KPIFile) -> tuple[str, str]:
    """(aggregate, where it comes from: 'measure' | 'defaults' | 'unit')."""
    if kpi.measure is not None and kpi.measure.aggregate:
        return kpi.measure.aggregate, "measure"
    if settings.defaults.aggregate:
        return settings.defaults.aggregate.strip().lower(), "defaults"
    # The aggregation's own default (engine/aggregate.default_aggregate), not a guess of it.
    return ("sum" if sums_by_default(kpi.unit) else "mean"), "unit"


def level_target(kpi: KPI) -> tuple[str, float] | None:
    """The level a target asks to reach: ('value'|'min'|'max', level), or None for bands etc."""
    t = kpi.target
    if t is None:
        return None
    if t.value is not None:
        return "value", t.value
    if t.min is not None and t.max is None and kpi.direction == "higher":
        return "min", t.min
    if t.max is not None and t.min is None and kpi.direction == "lower":
        return "max", t.max
    return None
