"""The SMART validation rule catalogue and its pure rule functions, returning hits with YAML paths."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from kpicli.model.kpifile import KPI, KPIFile, Objective
from kpicli.model.values import parse_number, parse_period_label

if TYPE_CHECKING:  # pandas only for the data-backed rules, never at import time
    import pandas as pd

    from kpicli.model.table import Table

Severity = Literal["error", "warning", "info"]
YamlPath = tuple[str | int, ...]

LETTERS = {
    "E": "Errors: the file cannot be used as written",
    "S": "Specific: clear name, description, owner and unit",
    "M": "Measurable: something in the data to compute it from",
    "A": "Achievable: a target that is possible and points the right way",
    "R": "Relevant: linked to the objectives it serves",
    "T": "Time-bound: a due period that is ahead, after the baseline",
    "D": "Data quality: findings of the data readers and checks, with the file, sheet and cell",
}


@dataclass(frozen=True)
class Rule:
    """One entry of the catalogue; ``check`` is None for rules applied by the loader."""

    id: str
    letter: str
    severity: Severity
    summary: str
    fix: str
    needs_data: bool = False
    check: Callable[[RuleContext], Iterable[RuleHit]] | None = field(default=None, compare=False)


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


CATALOGUE: dict[str, Rule] = {}


def _declare(
    rule_id: str, letter: str, severity: Severity, summary: str, fix: str, needs_data: bool = False
) -> Callable[[Callable[[RuleContext], Iterable[RuleHit]]], Callable[..., Any]]:
    def register(fn: Callable[[RuleContext], Iterable[RuleHit]]) -> Callable[..., Any]:
        CATALOGUE[rule_id] = Rule(rule_id, letter, severity, summary, fix, needs_data, fn)
        return fn

    return register


# Rules applied while loading the file (kpicli.definitions.load); listed here for the catalogue.
CATALOGUE["E001"] = Rule(
    "E001", "E", "error", "YAML syntax error",
    "Fix the YAML at the reported position: indentation with spaces, a colon after each key, "
    "quotes around text that contains `: ` or starts with a special character.",
)


# --------------------------------------------------------------------------------------------
# Context


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


def _raw_items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _text_id(value: Any) -> str | None:
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
    kpis, kidx = [], []
    for i, raw in _raw_items(data, "kpis"):
        try:
            kpis.append(KPI.model_validate(raw))
        except ValidationError:
            continue
        kidx.append(i)
    objectives, oidx = [], []
    for i, raw in _raw_items(data, "objectives"):
        try:
            objectives.append(Objective.model_validate(raw))
        except ValidationError:
            continue
        oidx.append(i)
    try:
        base = KPIFile.model_validate(settings)
    except ValidationError:  # pragma: no cover - each key validated on its own above
        base = KPIFile()
    model = base.model_copy(update={"kpis": kpis, "objectives": objectives})
    return PartialModel(model, kidx, oidx)


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


# --------------------------------------------------------------------------------------------
# Helpers


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    choices = [c for c in choices if c]
    lower = {c.casefold(): c for c in choices}
    if word.casefold() in lower:
        return f" (did you mean {lower[word.casefold()]!r}?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) >= 10000 else f"{x:g}"


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


_PERCENT_UNITS = {"percent", "%", "pct", "percentage", "percentage points", "pp"}
_RATIO_UNITS = {"ratio", "fraction", "share"}
_CURRENCY_PREFIXES = ("currency", "eur", "usd", "gbp", "chf", "jpy", "$", "€", "£")


def unit_kind(unit: str | None) -> str | None:
    """percent, ratio, currency, count, duration or other (None when no unit is given)."""
    if unit is None:
        return None
    u = unit.strip().lower()
    if u in _PERCENT_UNITS:
        return "percent"
    if u in _RATIO_UNITS:
        return "ratio"
    if u.startswith(_CURRENCY_PREFIXES):
        return "currency"
    if u in {"count", "number", "#", "tickets", "orders", "items", "units", "people"}:
        return "count"
    if u in {"hours", "days", "minutes", "seconds", "weeks", "h", "d", "min", "s"}:
        return "duration"
    return "other"


def _kpi_path(i: int, *rest: str | int) -> YamlPath:
    return ("kpis", i, *rest)


def _target_base(ctx: RuleContext, i: int) -> YamlPath:
    """Path of a KPI's target node (the shorthand ``schedule`` when there is no target key)."""
    raw = ctx.raw_kpi(i)
    if "target" not in raw and "schedule" in raw:
        return _kpi_path(i, "schedule")
    return _kpi_path(i, "target")


def _raw_target(ctx: RuleContext, i: int) -> dict[str, Any]:
    t = ctx.raw_kpi(i).get("target")
    return t if isinstance(t, dict) else {}


def _target_field_path(ctx: RuleContext, i: int, name: str) -> YamlPath:
    """Path of target.<name>, or of the scalar target itself for ``target: 42``."""
    if name in _raw_target(ctx, i):
        return _kpi_path(i, "target", name)
    return _target_base(ctx, i)


def _schedule_items(ctx: RuleContext, i: int) -> Iterator[tuple[YamlPath, str, float]]:
    """(path, period, value) of each scheduled target as written in the file."""
    raw = ctx.raw_kpi(i)
    sources: list[tuple[YamlPath, Any]] = [
        (_kpi_path(i, "schedule"), raw.get("schedule")),
        (_kpi_path(i, "target", "schedule"), _raw_target(ctx, i).get("schedule")),
    ]
    for base, sched in sources:
        if not isinstance(sched, dict):
            continue
        for key, value in sched.items():
            try:
                yield (*base, key), str(key), parse_number(value)
            except ValueError:
                continue


def _direction_note(ctx: RuleContext, i: int) -> str:
    return "" if "direction" in ctx.raw_kpi(i) else " (direction defaults to higher)"


# --------------------------------------------------------------------------------------------
# E: errors


@_declare(
    "E002", "E", "error", "schema error: unknown key (did-you-mean), wrong type, missing field",
    "Rename or remove the key, or give the value the type the message names. The JSON Schema "
    "from `kpi schema` lets an editor check this as you type.",
)
def check_ignore_ids(ctx: RuleContext) -> Iterator[RuleHit]:
    """Most E002 findings come from the loader; this checks the rule ids in ``ignore:``."""
    known = list(CATALOGUE)
    for i, raw in ctx.raw_kpis:
        ignore = raw.get("ignore")
        if not isinstance(ignore, list):
            continue
        for j, item in enumerate(ignore):
            if not isinstance(item, str) or is_rule_selector(item):
                continue
            yield RuleHit(
                "E002", _kpi_path(i, "ignore", j),
                f"ignore names unknown rule {item!r}{_did_you_mean(item.upper(), known)}; "
                "`kpi rules` lists the rule ids",
                _text_id(raw.get("id")),
            )


_SELECTOR = re.compile(r"^[A-Z]\d{0,3}$")


def is_rule_selector(text: str) -> bool:
    """A rule id or prefix that matches something: E, S1, T501, D (data-quality) or D601."""
    t = text.strip().upper()
    if not _SELECTOR.match(t):
        return False
    return any(rid.startswith(t) for rid in CATALOGUE)


@_declare(
    "E003", "E", "error", "duplicate KPI or objective id",
    "Give every KPI and every objective its own id; ids are how formulas, objectives and "
    "`kpi show` refer to them.",
)
def check_duplicate_ids(ctx: RuleContext) -> Iterator[RuleHit]:
    for what, items in (("KPI", ctx.raw_kpis), ("objective", ctx.raw_objectives)):
        section = "kpis" if what == "KPI" else "objectives"
        first: dict[str, int] = {}
        for i, raw in items:
            rid = _text_id(raw.get("id"))
            if rid is None:
                continue
            if rid in first:
                yield RuleHit(
                    "E003", (section, i, "id"),
                    f"duplicate {what} id {rid!r}: an earlier {what} already uses it; give each "
                    f"{what} a unique id",
                    rid if what == "KPI" else None,
                    related=(section, first[rid], "id"), related_label="first used",
                )
            else:
                first[rid] = i


@_declare(
    "E004", "E", "error", "reference to an unknown objective",
    "Set `objective:` to the id of an entry under `objectives:`, or add that objective.",
)
def check_objective_refs(ctx: RuleContext) -> Iterator[RuleHit]:
    ids = [x for _, raw in ctx.raw_objectives if (x := _text_id(raw.get("id")))]
    for i, raw in ctx.raw_kpis:
        ref = _text_id(raw.get("objective"))
        if ref is None or ref in ids:
            continue
        if ids:
            hint = _did_you_mean(ref, ids) or f"; known objectives: {', '.join(_unique(ids)[:8])}"
            fix = "fix the id, or add the objective under objectives:"
        else:
            hint, fix = "", "no objectives are defined; add it under objectives: with an id and title"
        yield RuleHit(
            "E004", _kpi_path(i, "objective"),
            f"objective {ref!r} is not defined{hint}; {fix}",
            _text_id(raw.get("id")),
        )


def formula_names(text: str) -> frozenset[str]:
    """Names a formula refers to, read by the engine's parser (kpicli.engine.expr).

    Raises ValueError(message, offset) when the formula cannot be read.
    """
    from kpicli.engine.expr import ExpressionError, parse_expression

    try:
        return frozenset(parse_expression(text, "formula").names)
    except ExpressionError as exc:
        raise ValueError(exc.message, exc.offset) from None


def _has_expressions(ctx: RuleContext, *, filters: bool = True) -> bool:
    """Whether any KPI has a formula (or a where filter): the parser (and pandas) load only then."""
    for _, raw in ctx.raw_kpis:
        if isinstance(raw.get("formula"), str):
            return True
        measure = raw.get("measure")
        if filters and isinstance(measure, dict) and isinstance(measure.get("where"), str):
            return True
    return False


@_declare(
    "E005", "E", "error", "formula names an unknown KPI, or formulas form a cycle",
    "Formulas combine other KPIs by id (`a_b` or `` `a-b` `` for ids with `-` or `.`); check the "
    "spelling, and break cycles by measuring one of the KPIs from the data.",
)
def check_formulas(ctx: RuleContext) -> Iterator[RuleHit]:
    if not _has_expressions(ctx, filters=False):
        return
    from kpicli.engine.expr import formula_namespace

    spelling = formula_namespace(
        kid for _, raw in ctx.raw_kpis if (kid := _text_id(raw.get("id")))
    )
    deps: dict[str, set[str]] = {}
    where: dict[str, int] = {}
    order: list[str] = []
    for i, raw in ctx.raw_kpis:
        formula, kid = raw.get("formula"), _text_id(raw.get("id"))
        if not isinstance(formula, str) or not formula.strip() or kid is None:
            continue
        try:
            names = formula_names(formula)
        except ValueError:
            continue  # E006 reports it
        unknown = sorted(n for n in names if n not in spelling)
        for name in unknown:
            hint = _did_you_mean(name, list(spelling))
            yield RuleHit(
                "E005", _kpi_path(i, "formula"),
                f"formula names {name!r}, which is not a KPI id{hint}; formulas combine other KPIs "
                "by id (write ids containing - or . with _ or in backticks)",
                kid,
            )
        deps.setdefault(kid, set()).update(spelling[n] for n in names if n in spelling)
        where.setdefault(kid, i)
        order.append(kid)
    # Cycles: strongly connected components of the formula graph (Tarjan), reported once each.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in deps.get(v, ()):
            if w not in deps:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in deps.get(v, ()):
                cycles.append(comp)

    for v in order:
        if v not in index:
            strongconnect(v)
    for comp in cycles:
        members = sorted(comp, key=lambda k: where[k])
        head = members[0]
        path = _cycle_path(head, set(comp), deps)
        yield RuleHit(
            "E005", _kpi_path(where[head], "formula"),
            f"formulas form a cycle: {' → '.join(path)}; a KPI cannot be computed from itself — "
            "measure one of them from the data (measure:) instead of a formula",
            head,
        )


def _cycle_path(start: str, members: set[str], deps: dict[str, set[str]]) -> list[str]:
    path, seen, current = [start], {start}, start
    while True:
        nxt = sorted(d for d in deps.get(current, ()) if d in members)
        if not nxt:
            return path
        step = next((d for d in nxt if d == start), None) or next(
            (d for d in nxt if d not in seen), start
        )
        path.append(step)
        if step == start:
            return path
        seen.add(step)
        current = step


@_declare(
    "E006", "E", "error", "formula or where filter cannot be read",
    "Write formulas as arithmetic over KPI ids (`cost / tickets * 100`) and filters as "
    "comparisons (`channel == 'email' and region in ['EU', 'UK']`).",
)
def check_expressions(ctx: RuleContext) -> Iterator[RuleHit]:
    if not _has_expressions(ctx):
        return
    from kpicli.engine.expr import ExpressionError, parse_expression

    for i, raw in ctx.raw_kpis:
        kid = _text_id(raw.get("id"))
        formula = raw.get("formula")
        if isinstance(formula, str) and formula.strip():
            try:
                parse_expression(formula, "formula")
            except ExpressionError as exc:
                yield RuleHit(
                    "E006", _kpi_path(i, "formula"),
                    f"formula cannot be read: {_expr_problem(exc)}; write arithmetic over KPI "
                    "ids such as `support_cost / tickets_resolved`",
                    kid,
                )
        measure = raw.get("measure")
        cond = measure.get("where") if isinstance(measure, dict) else None
        if isinstance(cond, str):
            try:
                parse_expression(cond, "filter")
            except ExpressionError as exc:
                yield RuleHit(
                    "E006", _kpi_path(i, "measure", "where"),
                    f"where filter cannot be read: {_expr_problem(exc)}; write a condition "
                    "such as \"channel == 'email' and region in ['EU', 'UK']\"",
                    kid,
                )
                continue
            if ctx.table is not None and not formula:
                # With data, the filter must also apply to it (its columns exist, its values
                # compare): the report refuses the KPI otherwise, with the same rule.
                from kpicli.engine.expr import evaluate_filter

                try:
                    evaluate_filter(cond, ctx.table.frame)
                except ExpressionError as exc:
                    yield RuleHit(
                        "E006", _kpi_path(i, "measure", "where"),
                        f"where filter cannot be applied to the data: {_expr_problem(exc)}; "
                        "name columns as they are in the data",
                        kid,
                    )


def _expr_problem(exc: Any) -> str:
    offset = getattr(exc, "offset", None)
    msg = getattr(exc, "message", None) or str(exc)
    return f"{msg} (at character {offset + 1})" if isinstance(offset, int) and offset else msg


# --------------------------------------------------------------------------------------------
# S: specific

VAGUE_WORDS = {
    "sales", "performance", "quality", "revenue", "growth", "efficiency", "effectiveness",
    "kpi", "kpis", "metric", "metrics", "measure", "score", "scores", "result", "results",
    "productivity", "success", "progress", "output", "value", "improvement", "health",
    "status", "numbers", "stats", "data", "target", "goal", "goals", "index",
}
FILLER_WORDS = {
    "total", "overall", "general", "our", "the", "a", "an", "team", "company", "business",
    "key", "main", "good", "better", "improve", "improved", "increase", "of", "and", "&",
    "in", "for", "new", "my", "kpi", "level",
}


def vague_name(name: str) -> str | None:
    """Why a KPI name is too short or too vague, or None when it is specific enough."""
    text = name.strip()
    words = [w for w in re.split(r"[^\w%&]+", text.lower()) if w]
    meaningful = [w for w in words if w not in FILLER_WORDS]
    if words and (not meaningful or all(w in VAGUE_WORDS for w in meaningful)):
        return "too vague"
    if len(text) < 4 or (len(words) <= 1 and len(text) < 8):
        return "too short"
    return None


@_declare(
    "S101", "S", "warning", "name too short or too vague (\"Sales\", \"Performance\")",
    "Name what is counted or averaged, of what, and where: \"Net new MRR from EU customers\" "
    "rather than \"Revenue\".",
)
def check_names(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        why = vague_name(kpi.name)
        if why:
            yield RuleHit(
                "S101", _kpi_path(i, "name"),
                f"name {kpi.name!r} is {why}: say what is measured, of what and how, e.g. "
                "'Median first-response time (hours)' instead of 'Performance'",
                kpi.id,
            )


@_declare(
    "S102", "S", "warning", "description missing or under five words",
    "Add `description:` saying what is measured and why it matters, in a sentence.",
)
def check_descriptions(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        words = len((kpi.description or "").split())
        if kpi.description is None or not kpi.description.strip():
            yield RuleHit(
                "S102", _kpi_path(i),
                f"KPI {kpi.id!r} has no description: add description: with what it measures "
                "and why it matters (five words or more)",
                kpi.id,
            )
        elif words < 5:
            yield RuleHit(
                "S102", _kpi_path(i, "description"),
                f"description has {words} word{'s' if words != 1 else ''}: say what is measured "
                "and why it matters in at least five words",
                kpi.id,
            )


@_declare(
    "S103", "S", "warning", "no owner",
    "Add `owner:` with the person or role accountable for the KPI.",
)
def check_owners(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if not (kpi.owner or "").strip():
            path = _kpi_path(i, "owner") if "owner" in ctx.raw_kpi(i) else _kpi_path(i)
            yield RuleHit(
                "S103", path,
                f"KPI {kpi.id!r} has no owner: add owner: with the person or role accountable "
                "for it",
                kpi.id,
            )


@_declare(
    "S104", "S", "warning", "no unit",
    "Add `unit:` (percent, count, currency:EUR, hours, days, points, ratio or any word) so "
    "values are formatted and checked correctly.",
)
def check_units(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if not (kpi.unit or "").strip():
            path = _kpi_path(i, "unit") if "unit" in ctx.raw_kpi(i) else _kpi_path(i)
            yield RuleHit(
                "S104", path,
                f"KPI {kpi.id!r} has no unit: add unit: percent, count, currency:EUR, hours, "
                "days, points, ratio or another word",
                kpi.id,
            )


# --------------------------------------------------------------------------------------------
# M: measurable


@_declare(
    "M201", "M", "error", "nothing to measure: no measure, formula or matching data",
    "Add `measure: {column: ...}` naming the data column, or a `formula:`; with data, a KPI "
    "without either is looked up by its id (or, in a long table, its name).",
)
def check_something_to_measure(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.formula is not None and not kpi.formula.strip():
            yield RuleHit(
                "M201", _kpi_path(i, "formula"),
                "formula is empty: write arithmetic over other KPI ids, or replace it with "
                "measure: {column: ...}",
                kpi.id,
            )
        elif kpi.measure is not None and kpi.measure.column is not None and not (
            kpi.measure.column.strip()
        ):
            yield RuleHit(
                "M201", _kpi_path(i, "measure", "column"),
                "measure.column is empty: name the data column to measure, or leave it out to "
                "use the KPI id",
                kpi.id,
            )
    if ctx.table is None:
        return
    yield from _unmatched_kpis(ctx)


_ROW_AGGREGATES = {"count", "nunique"}


def effective_aggregate(kpi: KPI, settings: KPIFile) -> tuple[str, str]:
    """(aggregate, where it comes from: 'measure' | 'defaults' | 'unit')."""
    if kpi.measure is not None and kpi.measure.aggregate:
        return kpi.measure.aggregate, "measure"
    if settings.defaults.aggregate:
        return settings.defaults.aggregate.strip().lower(), "defaults"
    kind = unit_kind(kpi.unit)
    return ("sum" if kind in ("count", "currency") else "mean"), "unit"


@_declare(
    "M202", "M", "warning", "aggregate does not fit the unit (summing percentages)",
    "Average rates (`aggregate: mean` or `median`) instead of summing them, or compute the "
    "rate with a formula over two count KPIs; use `count` only for a unit of count.",
)
def check_aggregate_fits_unit(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.formula is not None:
            continue
        kind = unit_kind(kpi.unit)
        agg, source = effective_aggregate(kpi, ctx.settings)
        path = (
            _kpi_path(i, "measure", "aggregate") if source == "measure"
            else ("defaults", "aggregate") if source == "defaults" else _kpi_path(i, "unit")
        )
        unit = (kpi.unit or "").strip()
        if agg == "sum" and kind in ("percent", "ratio"):
            yield RuleHit(
                "M202", path,
                f"aggregate sum adds up {unit} values, which gives a meaningless total: use "
                "aggregate: mean (or median), or a formula over two count KPIs "
                "(e.g. resolved / received * 100)",
                kpi.id,
            )
        elif agg in _ROW_AGGREGATES and kind in ("percent", "ratio", "currency", "duration"):
            yield RuleHit(
                "M202", path,
                f"aggregate {agg} gives a number of rows, but the unit is {unit}: set unit: count, "
                "or aggregate the values with sum, mean or median",
                kpi.id,
            )
        if kpi.accumulate and kind in ("percent", "ratio"):
            yield RuleHit(
                "M202", _kpi_path(i, "accumulate"),
                f"accumulate: {kpi.accumulate} sums {unit} values over the year or quarter: "
                "remove accumulate, or track the underlying counts instead",
                kpi.id,
            )


# --------------------------------------------------------------------------------------------
# A: achievable


def _level_target(kpi: KPI) -> tuple[str, float] | None:
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


@_declare(
    "A301", "A", "error", "target on the wrong side of the baseline for the direction",
    "With `direction: higher` the target must be above the baseline, with `direction: lower` "
    "below it; fix the target, or the direction if smaller is better.",
)
def check_target_side(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        b = kpi.baseline.value if kpi.baseline else None
        if b is None or kpi.target is None:
            continue
        higher = kpi.direction == "higher"
        note = _direction_note(ctx, i)
        change = kpi.target.change_amount
        if change is not None:
            amount, relative = change
            if amount != 0 and (amount < 0) == higher:
                shown = f"{amount:+g}{'%' if relative else ''}"
                yield RuleHit(
                    "A301", _target_field_path(ctx, i, "change"),
                    f"change {shown} moves the KPI {'down' if amount < 0 else 'up'} but direction "
                    f"is {kpi.direction}{note}: flip the sign of the change, or set direction: "
                    f"{'lower' if higher else 'higher'} if {'smaller' if higher else 'bigger'} "
                    "is better",
                    kpi.id,
                )
            continue
        level = _level_target(kpi)
        if level is None:
            continue
        name, value = level
        if value != b and (value < b) == higher:
            yield RuleHit(
                "A301", _target_field_path(ctx, i, name),
                f"target {_fmt(value)} is {'below' if value < b else 'above'} the baseline "
                f"{_fmt(b)} but direction is {kpi.direction}{note}: set a target "
                f"{'above' if higher else 'below'} {_fmt(b)}, or set direction: "
                f"{'lower' if higher else 'higher'} if {'smaller' if higher else 'bigger'} is better",
                kpi.id,
            )


@_declare(
    "A302", "A", "warning", "target equals baseline",
    "Ask for an improvement, or write the target as a band (`{min: ...}`) if holding the level "
    "is the goal.",
)
def check_target_equals_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        b = kpi.baseline.value if kpi.baseline else None
        t = kpi.target
        if t is None:
            continue
        change = t.change_amount
        if change is not None and change[0] == 0:
            yield RuleHit(
                "A302", _target_field_path(ctx, i, "change"),
                "change 0 asks for no change: set the improvement wanted, or use a band "
                "{min: ...} to hold the level",
                kpi.id,
            )
            continue
        level = t.value
        if level is None and b is not None and not (t.min is not None and t.max is not None):
            level = t.min if t.min is not None else t.max
        if b is not None and level is not None and level == b:
            yield RuleHit(
                "A302", _target_field_path(ctx, i, "value" if t.value is not None else
                                           ("min" if t.min is not None else "max")),
                f"target {_fmt(level)} equals the baseline: it is met from the start; ask for an "
                "improvement, or use a band {min: ...} if holding the level is the goal",
                kpi.id,
            )


@_declare(
    "A303", "A", "error", "percent target outside 0–100",
    "Percent KPIs are on the 0–100 scale: write 85 (or \"85%\") for 85 percent, and keep "
    "targets, bands and schedules within 0–100.",
)
def check_percent_targets(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if unit_kind(kpi.unit) != "percent":
            continue
        t = kpi.target
        candidates: list[tuple[YamlPath, str, float]] = []
        if t is not None:
            for name in ("value", "min", "max"):
                v = getattr(t, name)
                if v is not None:
                    candidates.append((_target_field_path(ctx, i, name), f"target {name}", v))
            change = t.change_amount
            b = kpi.baseline.value if kpi.baseline else None
            if change is not None and b is not None:
                amount, relative = change
                level = b * (1 + amount / 100) if relative else b + amount
                candidates.append((_target_field_path(ctx, i, "change"), "the changed target", level))
        for path, period, v in _schedule_items(ctx, i):
            candidates.append((path, f"scheduled target for {period}", v))
        raw_by = ctx.raw_kpi(i).get("targets_by")
        if isinstance(raw_by, dict):
            for col, members in raw_by.items():
                if not isinstance(members, dict):
                    continue
                for member, value in members.items():
                    try:
                        v = parse_number(value)
                    except ValueError:
                        continue
                    path = _kpi_path(i, "targets_by", col, member)
                    candidates.append((path, f"target for {col} {member}", v))
        for path, what, v in candidates:
            if not 0 <= v <= 100:
                yield RuleHit(
                    "A303", path,
                    f"{what} is {_fmt(v)}, outside 0–100 for a percent KPI: write percentages on "
                    "the 0–100 scale (85 or \"85%\"), or change the unit if this is not a percent",
                    kpi.id,
                )


@_declare(
    "A305", "A", "warning", "KPI has no target",
    "Add `target:` (a level, a change, a band or a schedule), `targets_by:`, or a target column "
    "in the data (`data.target_column`); without one the KPI has no status.",
)
def check_has_target(ctx: RuleContext) -> Iterator[RuleHit]:
    data_spec = ctx.settings.data
    if data_spec is not None and data_spec.target_column:
        return
    if ctx.table is not None:
        from kpicli.model.table import TARGET

        if TARGET in ctx.table.frame.columns:
            return
    for i, kpi in ctx.kpis:
        if kpi.target is None and not kpi.targets_by:
            yield RuleHit(
                "A305", _kpi_path(i),
                f"KPI {kpi.id!r} has no target, so it gets no status: add target: (e.g. "
                "{value: 90, due: 2026-12}), a schedule, targets_by, or a target column in the data",
                kpi.id,
            )


# --------------------------------------------------------------------------------------------
# R: relevant

MAX_KPIS_PER_OBJECTIVE = 7


def _kpis_by_objective(ctx: RuleContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for _, raw in ctx.raw_kpis:
        ref = _text_id(raw.get("objective"))
        if ref is not None:
            out.setdefault(ref, []).append(raw)
    return out


@_declare(
    "R401", "R", "warning", "KPI not linked to an objective",
    "Add `objective:` with the id of the objective the KPI serves (define objectives under "
    "`objectives:`).",
)
def check_linked(ctx: RuleContext) -> Iterator[RuleHit]:
    ids = _unique([x for _, raw in ctx.raw_objectives if (x := _text_id(raw.get("id")))])
    choices = f" (one of: {', '.join(ids[:6])})" if ids else ""
    for i, kpi in ctx.kpis:
        if kpi.objective is None:
            yield RuleHit(
                "R401", _kpi_path(i),
                f"KPI {kpi.id!r} is not linked to an objective: add objective: <id>{choices} so "
                "it is clear what it serves",
                kpi.id,
            )


@_declare(
    "R402", "R", "warning", "objective with no KPI",
    "Link at least one KPI to the objective with `objective: <id>`, or remove the objective.",
)
def check_objective_has_kpi(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        if not linked.get(obj.id):
            yield RuleHit(
                "R402", ("objectives", j),
                f"objective {obj.id!r} has no KPI: link one with objective: {obj.id}, or remove "
                "the objective",
            )


@_declare(
    "R403", "R", "info", "objective measured only by lagging KPIs: add a leading one",
    "Lagging KPIs confirm results after the fact; add a `kind: leading` KPI that predicts them "
    "(first-response time for satisfaction, pipeline for revenue).",
)
def check_leading(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        kpis = linked.get(obj.id, [])
        if kpis and all(raw.get("kind") == "lagging" for raw in kpis):
            ids = ", ".join(str(raw.get("id")) for raw in kpis[:5])
            yield RuleHit(
                "R403", ("objectives", j),
                f"objective {obj.id!r} is measured only by lagging KPIs ({ids}): add a leading "
                "KPI (kind: leading) that predicts it, so problems show before the results do",
            )


@_declare(
    "R404", "R", "warning", f"more than {MAX_KPIS_PER_OBJECTIVE} KPIs on one objective",
    "Keep the few KPIs that decide the objective; move the rest to a diagnostic file or split "
    "the objective.",
)
def check_too_many(ctx: RuleContext) -> Iterator[RuleHit]:
    linked = _kpis_by_objective(ctx)
    for j, obj in ctx.objectives:
        n = len(linked.get(obj.id, []))
        if n > MAX_KPIS_PER_OBJECTIVE:
            yield RuleHit(
                "R404", ("objectives", j),
                f"objective {obj.id!r} has {n} KPIs: more than {MAX_KPIS_PER_OBJECTIVE} dilutes "
                "focus; keep the few that decide it, or split the objective",
            )


# --------------------------------------------------------------------------------------------
# T: time-bound


def _is_per_period(kpi: KPI) -> bool:
    t = kpi.target
    if t is None:
        return True
    return t.is_band or t.schedule is not None or (t.per is not None and kpi.accumulate is not None)


@_declare(
    "T501", "T", "warning", "target has no due period and is not a per-period band",
    "Add `due:` (e.g. `due: 2026-12`) to say by when the target is to be reached, or write a "
    "per-period target as a band (`{min: ...}`) or a schedule.",
)
def check_due(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.target is None or _is_per_period(kpi) or kpi.target.due is not None:
            continue
        yield RuleHit(
            "T501", _target_base(ctx, i),
            "target has no due period: add due: (e.g. {value: 90, due: 2026-12}) to make it "
            "time-bound, or write it as a band {min: ...} / {max: ...} if it holds every period",
            kpi.id,
        )


@_declare(
    "T502", "T", "error", "due period before the baseline period",
    "The due period must come after the baseline period; correct one of them.",
)
def check_due_after_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        due = kpi.target.due if kpi.target else None
        start = kpi.baseline.period if kpi.baseline else None
        if due is None or start is None:
            continue
        due_end = period_span(due, fys)[1]
        base_end = period_span(start, fys)[1]
        if due_end <= base_end:
            same = due_end == base_end
            yield RuleHit(
                "T502", _kpi_path(i, "target", "due"),
                f"due period {due} is {'the same as' if same else 'before'} the baseline period "
                f"{start}: there is no time to reach the target; set due: to a period after "
                f"{start}, or correct baseline.period",
                kpi.id, related=_kpi_path(i, "baseline", "period"), related_label="baseline",
            )


@_declare(
    "T503", "T", "warning", "due period already past",
    "Set a new due period for the next cycle, or remove the KPI if its target is no longer "
    "pursued.",
)
def check_due_past(ctx: RuleContext) -> Iterator[RuleHit]:
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        due = kpi.target.due if kpi.target else None
        if due is None:
            continue
        end = period_span(due, fys)[1]
        if end < ctx.today:
            yield RuleHit(
                "T503", _kpi_path(i, "target", "due"),
                f"due period {due} ended on {end.isoformat()}, before today "
                f"({ctx.today.isoformat()}): set the next due period, or retire the KPI",
                kpi.id,
            )


@_declare(
    "T504", "T", "error", "relative (`change`) target without a baseline",
    "A `change` target is relative to the baseline: add `baseline: {value: ..., period: ...}` "
    "(or `baseline: {period: ...}` to take the value from the data).",
)
def check_change_baseline(ctx: RuleContext) -> Iterator[RuleHit]:
    for i, kpi in ctx.kpis:
        if kpi.target is None or kpi.target.change is None:
            continue
        b = kpi.baseline
        if b is None or (b.value is None and b.period is None):
            yield RuleHit(
                "T504", _target_field_path(ctx, i, "change"),
                f"change {kpi.target.change} is relative to a baseline, but KPI {kpi.id!r} has "
                "none: add baseline: {value: ..., period: ...}, or give the target as a value",
                kpi.id,
            )


# --------------------------------------------------------------------------------------------
# Data-backed rules (run with --data or when the file names its data)


def _data_labels(table: Table) -> list[str]:
    """Names a KPI can be found under: data columns (records) or KPI labels (long)."""
    from kpicli.model.table import KPI as KPI_COL

    if table.layout == "long":
        if KPI_COL not in table.frame.columns:
            return []
        return [str(x) for x in table.frame[KPI_COL].dropna().unique()]
    return [str(c) for c in table.data_columns]


def _norm_label(text: object) -> str:
    """How the aggregation matches KPI labels in a long table (case, spaces, _ and - ignored)."""
    from kpicli.engine.aggregate import normalise_label

    return normalise_label(text)


def _unmatched_kpis(ctx: RuleContext) -> Iterator[RuleHit]:
    """M201 with data: a KPI with neither measure nor formula must match a column or label."""
    assert ctx.table is not None
    labels = _data_labels(ctx.table)
    long = ctx.table.layout == "long"
    normalised = {_norm_label(x) for x in labels}
    for i, kpi in ctx.kpis:
        if kpi.formula is not None or (kpi.measure is not None and kpi.measure.column):
            continue
        wanted = [kpi.id, kpi.name] if long else [kpi.id]
        if long and any(_norm_label(w) in normalised for w in wanted):
            continue
        if not long and kpi.id in labels:
            continue
        what = "KPI label" if long else "column"
        hint = _did_you_mean(kpi.id, labels) or _did_you_mean(kpi.name, labels)
        yield RuleHit(
            "M201", _kpi_path(i),
            f"nothing to measure: KPI {kpi.id!r} has no measure or formula and the data has no "
            f"{what} {kpi.id!r}{hint}; add measure: {{column: ...}} naming the data, or a formula",
            kpi.id,
        )


@_declare(
    "M207", "M", "error", "data.url holds a password or secret parameter",
    "Remove the password from `data.url` (or the variable `data.url_env` names): kpicli takes "
    "credentials only from the engine's own sources — PGPASSWORD, ~/.pgpass or PGSERVICE for "
    "PostgreSQL — so they never land in version control or a report.",
)
def check_data_url_secret(ctx: RuleContext) -> Iterator[RuleHit]:
    import os

    from kpicli.model.dataurl import url_problem

    spec = ctx.settings.data
    if spec is None:
        return
    url, field = spec.url, "url"
    if url is None and spec.url_env:
        url, field = os.environ.get(spec.url_env), "url_env"
    problem = url_problem(url) if url else None
    if problem and ("password" in problem or "secret" in problem):
        yield RuleHit("M207", ("data", field), problem, None)


CATALOGUE["M206"] = Rule(
    "M206", "M", "error", "the data named in data.path cannot be read",
    "Fix `data.path` (relative to the KPI file; globs allowed), the sheet name, or the file "
    "itself; `--data FILE` on the command line overrides it.",
    needs_data=True,
)


@_declare(
    "M203", "M", "error", "measure column not in the data (with --data; did-you-mean)",
    "Set `measure.column` to a column that is in the data (in a long table: a value of the KPI "
    "column); the message suggests the closest one.",
    needs_data=True,
)
def check_column_exists(ctx: RuleContext) -> Iterator[RuleHit]:
    assert ctx.table is not None
    labels = _data_labels(ctx.table)
    long = ctx.table.layout == "long"
    normalised = {_norm_label(x) for x in labels}
    shown = ", ".join(repr(x) for x in labels[:10]) + (" ..." if len(labels) > 10 else "")
    for i, kpi in ctx.kpis:
        if kpi.measure is None or not kpi.measure.column or kpi.formula is not None:
            continue
        col = kpi.measure.column
        if long:
            if any(_norm_label(w) in normalised for w in (col, kpi.id, kpi.name)):
                continue
        elif col in labels:
            continue
        hint = _did_you_mean(col, labels) or (f"; the data has {shown}" if labels else "")
        what = "no KPI rows labelled" if long else "no column"
        yield RuleHit(
            "M203", _kpi_path(i, "measure", "column"),
            f"the data has {what} {col!r}{hint}: fix measure.column (or the data header)",
            kpi.id,
        )


@_declare(
    "M204", "M", "error", "measure column not numeric (with --data)",
    "Clean the column so it holds numbers (no text such as `n/a`), or use `aggregate: count` / "
    "`nunique` to count rows instead.",
    needs_data=True,
)
def check_column_numeric(ctx: RuleContext) -> Iterator[RuleHit]:
    import pandas as pd

    assert ctx.table is not None
    table = ctx.table
    frame = table.frame
    for i, kpi in ctx.kpis:
        if kpi.formula is not None:
            continue
        agg, _ = effective_aggregate(kpi, ctx.settings)
        if agg in _ROW_AGGREGATES:
            continue
        if table.layout == "long":
            col = None
            from kpicli.model.table import VALUE

            if VALUE not in frame.columns or pd.api.types.is_numeric_dtype(frame[VALUE]):
                continue
            col = VALUE
        else:
            col = (kpi.measure.column if kpi.measure and kpi.measure.column else None) or kpi.id
            if col not in frame.columns:
                continue
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        present = series.dropna()
        present = present[present.astype("string").str.strip() != ""]
        if present.empty:
            continue
        numeric = pd.to_numeric(present, errors="coerce")
        bad = present[numeric.isna()]
        if bad.empty:
            continue
        share = len(bad) / len(present)
        example = str(bad.iloc[0])
        where = ""
        try:
            from kpicli.model.table import ROW, SRC

            first = bad.index[0]
            where = " at " + table.location(int(frame.at[first, SRC]), int(frame.at[first, ROW]),
                                            col)
        except (KeyError, ValueError, TypeError):
            where = ""
        label = (table.value_label or "value") if col.startswith("_") else col
        path = (_kpi_path(i, "measure", "column") if kpi.measure and kpi.measure.column
                else _kpi_path(i))
        yield RuleHit(
            "M204", path,
            f"column {label!r} is not numeric: {len(bad)} of {len(present)} values "
            f"({share:.0%}) are text, e.g. {example!r}{where}; clean the data, or use "
            "aggregate: count to count rows",
            kpi.id,
        )


def _latest_period(ctx: RuleContext) -> Any:
    if not ctx.series:
        return None
    latest = None
    for s in ctx.series.values():
        present = s.dropna()
        if len(present):
            p = present.index.max()
            latest = p if latest is None or p > latest else latest
    return latest


@_declare(
    "M205", "M", "warning", "no data for the latest period (with --data)",
    "Add this KPI's value for the latest period to the data, or check its `measure.where` "
    "filter and column.",
    needs_data=True,
)
def check_latest_period(ctx: RuleContext) -> Iterator[RuleHit]:
    latest = _latest_period(ctx)
    if latest is None or ctx.series is None:
        return
    for i, kpi in ctx.kpis:
        s = ctx.series.get(kpi.id)
        if s is None:
            continue
        present = s.dropna()
        value = s.get(latest)
        if value is not None and value == value:
            continue
        last = _label(present.index.max()) if len(present) else None
        since = f"its last value is from {last}" if last else "it has no value in any period"
        yield RuleHit(
            "M205", _kpi_path(i),
            f"no value for the latest period in the data ({_label(latest)}); {since}: add the "
            "data, or check the measure's column and where filter",
            kpi.id,
        )


def _label(period: Any) -> str:
    freq = getattr(period, "freqstr", "") or ""
    if freq.startswith("M"):
        return f"{period.year:04d}-{period.month:02d}"
    if freq.startswith("Q"):
        return f"{period.qyear:04d}-Q{period.quarter}"
    if freq.startswith("W"):
        iso = period.start_time.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if freq.startswith(("Y", "A")):
        return f"{period.year:04d}"
    return str(period)


MIN_HISTORY_FOR_PACE = 3


@_declare(
    "A304", "A", "warning",
    "the pace the target needs exceeds the best pace seen in the history (with --data)",
    "Ease the target or move the due period out; if a planned change will speed things up, "
    "say so with `ignore: [A304]` on the KPI.",
    needs_data=True,
)
def check_pace(ctx: RuleContext) -> Iterator[RuleHit]:
    if ctx.series is None:
        return
    import pandas as pd

    grain = ctx.settings.period
    fys = ctx.settings.fiscal_year_start
    for i, kpi in ctx.kpis:
        s = ctx.series.get(kpi.id)
        t = kpi.target
        if s is None or t is None or t.due is None or kpi.accumulate:
            continue
        present = s.dropna()
        if len(present) < MIN_HISTORY_FOR_PACE:
            continue
        target = _target_level(kpi)
        if target is None:
            continue
        last_period = present.index.max()
        actual = float(present.iloc[-1])
        higher = kpi.direction == "higher"
        gap = (target - actual) if higher else (actual - target)
        if gap <= 0:
            continue  # already met
        try:
            due_end = period_span(t.due, fys)[1]
            due_period = pd.Period(due_end, freq=last_period.freq)
        except (ValueError, TypeError):
            continue
        remaining = int(due_period.ordinal - last_period.ordinal)
        if remaining <= 0:
            continue  # T503 / report's off_track cover a passed due date
        needed = gap / remaining
        steps = present.diff().dropna()
        # Only consecutive periods count as one step of pace.
        ordinals = pd.Series([p.ordinal for p in present.index], index=present.index).diff()
        steps = steps[ordinals.reindex(steps.index) == 1]
        if len(steps) < MIN_HISTORY_FOR_PACE - 1:
            continue
        best = float(steps.max() if higher else -steps.min())
        if best >= needed:
            continue
        sign = "+" if higher else "-"
        best_txt = f"{sign}{best:.3g}" if best > 0 else "no improvement at all"
        yield RuleHit(
            "A304", _target_field_path(ctx, i, "due"),
            f"reaching {_fmt(target)} by {t.due} needs {sign}{needed:.3g} per {grain} for "
            f"{remaining} {grain}{'s' if remaining != 1 else ''} from {_fmt(actual)} "
            f"({_label(last_period)}), but the best change from one {grain} to the next in "
            f"{len(present)} {grain}s of history is {best_txt}: ease the target, move the due "
            "period, or add ignore: [A304] if a planned change will speed it up",
            kpi.id,
        )


def _target_level(kpi: KPI) -> float | None:
    t = kpi.target
    if t is None:
        return None
    if t.value is not None:
        return t.value
    change = t.change_amount
    if change is not None:
        b = kpi.baseline.value if kpi.baseline else None
        if b is None:
            return None
        amount, relative = change
        return b * (1 + amount / 100) if relative else b + amount
    level = _level_target(kpi)
    return level[1] if level else None


def series_from_table(model: KPIFile, table: Table) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """Per-KPI values per period of the file's grain, for M205 and A304.

    Uses the engine's aggregation (kpicli.engine.aggregate.compute_actuals), so ``where``
    filters, aggregates and formulas are applied exactly as ``kpi report`` applies them.
    """
    from kpicli.engine.aggregate import OVERALL, compute_actuals

    actuals = compute_actuals(model, table, model.period)
    series = {}
    for kpi in model.kpis:
        if kpi.id in actuals.problems:
            continue
        values = actuals.series(kpi.id, OVERALL)
        if kpi.formula is None and kpi.id in actuals.counts.columns:
            # A sum over rows whose cells are all empty is 0 in the report; for "is there
            # data for this period" only periods with at least one non-empty value count.
            counts = actuals.series(kpi.id, OVERALL, frame="counts")
            values = values.where(counts > 0)
        series[kpi.id] = values
    return series, dict(actuals.problems)


# --------------------------------------------------------------------------------------------
# D: data-quality findings. They are made by the readers (kpicli.readers) and by
# kpicli.engine.quality while the data is read and checked, each at its cell or line; they are
# declared here so that `kpi rules`, docs/rules.md, SARIF and --select/--ignore know them.


def _data_rule(rule_id: str, severity: Severity, summary: str, fix: str) -> None:
    CATALOGUE[rule_id] = Rule(rule_id, "D", severity, summary, fix, needs_data=True)


_data_rule(
    "D601", "warning", "a value that is not a number",
    "Fix the cell (a number, optionally with %, a currency sign or thousands separators), or "
    "set data.decimal / data.delimiter when a whole column is misread.",
)
_data_rule(
    "D602", "warning", "the same KPI, period (and group) appears more than once",
    "Remove the extra rows, or add the column that tells them apart; duplicates are "
    "aggregated together.",
)
_data_rule(
    "D603", "warning", "a gap: periods without data inside the series",
    "Add the missing periods, or check that the export covers the whole range.",
)
_data_rule(
    "D604", "warning", "rows dated in the future",
    "Check the date column (data.date_column) and the day/month order (data.dayfirst).",
)
_data_rule(
    "D605", "warning", "stale data: nothing for the report period",
    "Export newer data, or report an earlier period with --period.",
)
_data_rule(
    "D606", "warning", "a value impossible for the KPI (unit or range)",
    "Fix the value, or correct the KPI's unit or its range: [min, max].",
)
_data_rule(
    "D607", "warning", "a date that cannot be read",
    "Write dates like 2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3; or set "
    "data.date_format.",
)
_data_rule(
    "D608", "warning", "a formula cell without a cached value",
    "Open and save the workbook in Excel or LibreOffice so that formulas store their values.",
)
_data_rule(
    "D609", "warning", "duplicate column headers",
    "Rename one of the columns so each header is unique.",
)
_data_rule(
    "D610", "warning", "rows or columns skipped while reading",
    "Check the rows named: they have no readable date or period, or lie outside the table.",
)
_data_rule(
    "D611", "info", "an outlier (robust z-score above 3.5)",
    "Check the value; nothing to do if it is genuine.",
)
_data_rule(
    "D620", "info", "the day/month order chosen for a date column",
    "Nothing to do when the dates read right; otherwise set data.dayfirst (or "
    "data.date_format) in the KPI file.",
)
_data_rule(
    "D600", "info", "row-level checks skipped: the data is aggregated in a database engine",
    "Nothing to do; to run them (non-numeric cells, impossible values), read the data with "
    "data.engine: pandas.",
)
_data_rule(
    "D615", "warning", "a target column in the data disagrees with the kpis.yaml target",
    "Name the column with data.target_column to use it, or fix the cells or the YAML target.",
)


# --------------------------------------------------------------------------------------------
# Documentation


def catalogue_rows() -> list[Rule]:
    """Rules in id order."""
    order = "ESMARTD"
    return sorted(
        CATALOGUE.values(),
        key=lambda r: (order.index(r.letter) if r.letter in order else len(order), r.id),
    )


def rules_markdown() -> str:
    """docs/rules.md, generated from the catalogue (a test checks the committed copy)."""
    lines = [
        "# Validation rules",
        "",
        "<!-- Generated by `kpi rules --format markdown` from kpicli/engine/rules.py; "
        "do not edit by hand. -->",
        "",
        "`kpi validate` checks KPI definitions against these rules. Each finding carries the rule "
        "id, its SMART letter, a severity and the `file:line:col` of the YAML node it is about.",
        "Rules marked *data* run only when data is available (`--data`, or `data.path` in the file).",
        "",
        "Choose rules with `--select` / `--ignore` (ids or prefixes such as `S` or `T50`), or "
        "silence one for a single KPI with `ignore: [A304]` on that KPI. Data-quality findings "
        "of the data reader (`D6xx`) are shown too when data is read.",
        "",
        "| letter | meaning |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in LETTERS.items()]
    lines += ["", "| id | letter | severity | rule | data |", "|---|---|---|---|---|"]
    for r in catalogue_rows():
        summary = r.summary.replace("|", "\\|")
        data = "data" if r.needs_data else ""
        lines.append(f"| {r.id} | {r.letter} | {r.severity} | {summary} | {data} |")
    lines += ["", "## How to fix each finding", ""]
    for r in catalogue_rows():
        lines += [f"### {r.id} — {r.summary}", "", f"*{r.letter}, {r.severity}"
                  f"{', needs data' if r.needs_data else ''}.* {r.fix}", ""]
    return "\n".join(lines)
