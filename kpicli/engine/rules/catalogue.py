"""The rule catalogue: every rule id kpicli reports, in one place.

Each entry names the rule's SMART letter, its severity, a one-line summary and how to fix a
finding of it; `kpi rules`, docs/rules.md, SARIF's ``driver.rules`` and ``--select`` /
``--ignore`` read this table and nothing else. The checks themselves live in one module per
letter (structural, specific, measurable, achievable, relevant, timebound), in ``data`` for the
rules that need the data and in ``data_quality`` for the D6xx findings of the readers and of
kpicli.engine.quality; each attaches its check function and its ``bad`` / ``good`` examples
to its entry with :func:`check` or :func:`examples`.

Contract: light at import (no pandas, no rule module); every Finding kpicli reports is built
by :func:`finding` (for YAML paths through kpicli.definitions' ``finding_at``, which calls it),
which takes the letter and the severity from here so that no caller can disagree with the
catalogue. A rule whose problem comes in two strengths declares both (``severities``); a caller
asking for a severity its rule does not declare is a bug, refused with ValueError.
tests/test_rule_agreement.py checks that no other module builds a Finding itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from kpicli.engine.rules.example import Example
from kpicli.model.results import ContextValue, Finding, FindingContext

if TYPE_CHECKING:
    from kpicli.engine.rules.context import RuleContext, RuleHit

Severity = Literal["error", "warning", "info"]
Command = Literal["validate", "report"]
Check = Callable[["RuleContext"], Iterable["RuleHit"]]

LETTERS = {
    "E": "Errors: the file cannot be used as written",
    "S": "Specific: clear name, description, owner and unit",
    "M": "Measurable: something in the data to compute it from",
    "A": "Achievable: a target that is possible and points the right way",
    "R": "Relevant: linked to the objectives it serves",
    "T": "Time-bound: a due period that is ahead, after the baseline",
    "D": "Data quality: findings of the data readers and checks, with the file, sheet and cell",
}

MAX_KPIS_PER_OBJECTIVE = 7


@dataclass(frozen=True)
class Rule:
    """One entry of the catalogue.

    ``severity`` is the rule's usual severity; ``severities`` every severity a finding of it may
    have (the usual one first), for a problem that comes in two strengths.
    ``check`` is None for rules applied elsewhere (the loader, the readers, engine.quality).
    ``found_by`` is the command whose findings show the rule. ``bad`` must give a finding of
    this rule and ``good`` none (tests/test_rule_examples.py runs both); ``untestable`` says
    why a rule has no examples, when no small text file can make it fire.
    """

    id: str
    letter: str
    severity: Severity
    summary: str
    fix: str
    needs_data: bool = False
    found_by: Command = "validate"
    untestable: str | None = None
    severities: tuple[Severity, ...] = ()
    check: Check | None = field(default=None, compare=False)
    bad: Example | None = field(default=None, compare=False)
    good: Example | None = field(default=None, compare=False)


CATALOGUE: dict[str, Rule] = {}


def _rule(
    rule_id: str,
    letter: str,
    severity: Severity,
    summary: str,
    fix: str,
    *,
    needs_data: bool = False,
    found_by: Command = "validate",
    untestable: str | None = None,
    severities: tuple[Severity, ...] = (),
) -> None:
    allowed = severities or (severity,)
    assert allowed[0] == severity, f"{rule_id}: the usual severity comes first"
    CATALOGUE[rule_id] = Rule(rule_id, letter, severity, summary, fix, needs_data, found_by,
                              untestable, allowed)


def examples(rule_id: str, *, bad: Example, good: Example) -> None:
    """Attach a rule's examples: ``bad`` makes it fire, ``good`` (the fix) does not."""
    CATALOGUE[rule_id] = replace(CATALOGUE[rule_id], bad=bad, good=good)


def check(rule_id: str, *, bad: Example, good: Example) -> Callable[[Check], Check]:
    """Decorator: ``fn`` is the check of catalogue rule ``rule_id``, with its examples."""

    def register(fn: Check) -> Check:
        examples(rule_id, bad=bad, good=good)
        CATALOGUE[rule_id] = replace(CATALOGUE[rule_id], check=fn)
        return fn

    return register


def finding(
    rule_id: str,
    message: str,
    *,
    severity: Severity | None = None,
    location: str | None = None,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    kpi: str | None = None,
    context: Mapping[str, object] | None = None,
) -> Finding:
    """A Finding of catalogue rule ``rule_id``: the letter and severity come from its entry.

    ``severity`` picks one of the strengths the rule declares (``Rule.severities``); any other
    raises ValueError, so a new strength is a decision recorded in the catalogue, not a
    caller's. ``context`` holds the facts the message is built from (see :func:`json_context`).
    """
    rule = CATALOGUE[rule_id]
    if severity is None:
        severity = rule.severity
    elif severity not in rule.severities:
        raise ValueError(
            f"rule {rule_id} is declared {' or '.join(rule.severities)}, not {severity}"
        )
    return Finding(
        rule=rule.id, severity=severity, letter=rule.letter, message=message,
        location=location, file=file, line=line, column=column, kpi=kpi,
        context=json_context(context),
    )


def json_context(context: Mapping[str, object] | None) -> FindingContext | None:
    """A finding's facts as JSON scalars and lists of them: numpy numbers become Python
    numbers, NaN and infinities null, tuples lists, anything else (dates, periods) its text."""
    if context is None:
        return None
    out: FindingContext = {}
    for key, value in context.items():
        if isinstance(value, list | tuple):
            out[key] = [_scalar(v) for v in value]
        else:
            out[key] = _scalar(value)
    return out


def _scalar(value: object) -> ContextValue:
    if value is None or isinstance(value, str | bool):
        return value
    item = getattr(value, "item", None)  # numpy scalars, without importing numpy
    if callable(item) and not isinstance(value, int | float):
        try:
            value = item()
        except (TypeError, ValueError):
            return str(value)
        if value is None or isinstance(value, str | bool):
            return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())  # type: ignore[attr-defined]
    return str(value)


_SELECTOR = re.compile(r"^[A-Z]\d{0,3}$")


def is_rule_selector(text: str) -> bool:
    """A rule id or prefix that matches something: E, S1, T501, D (data-quality) or D601."""
    t = text.strip().upper()
    if not _SELECTOR.match(t):
        return False
    return any(rid.startswith(t) for rid in CATALOGUE)


def catalogue_rows() -> list[Rule]:
    """Rules in id order."""
    order = "ESMARTD"
    return sorted(
        CATALOGUE.values(),
        key=lambda r: (order.index(r.letter) if r.letter in order else len(order), r.id),
    )


# --------------------------------------------------------------------------------------------
# The rules. E001 and M206 are applied while the file and its data are loaded
# (kpicli.definitions.load, kpicli.api.validate); the D6xx rules are findings of the readers
# (kpicli.readers) and of kpicli.engine.quality, each at its cell or line.

_rule(
    "E001", "E", "error",
    "YAML syntax error",
    "Fix the YAML at the reported position: indentation with spaces, a colon after each key, "
    "quotes around text that contains `: ` or starts with a special character.",
)
_rule(
    "E002", "E", "error",
    "schema error: unknown key (did-you-mean), wrong type, missing field",
    "Rename or remove the key, or give the value the type the message names. The JSON Schema "
    "from `kpi schema` lets an editor check this as you type.",
)
_rule(
    "E003", "E", "error",
    "duplicate KPI or objective id",
    "Give every KPI and every objective its own id; ids are how formulas, objectives and `kpi"
    " show` refer to them.",
)
_rule(
    "E004", "E", "error",
    "reference to an unknown objective",
    "Set `objective:` to the id of an entry under `objectives:`, or add that objective.",
)
_rule(
    "E005", "E", "error",
    "formula names an unknown KPI, or formulas form a cycle",
    "Formulas combine other KPIs by id (`a_b` or `` `a-b` `` for ids with `-` or `.`); check "
    "the spelling, and break cycles by measuring one of the KPIs from the data.",
)
_rule(
    "E006", "E", "error",
    "formula or where filter cannot be read",
    "Write formulas as arithmetic over KPI ids (`cost / tickets * 100`) and filters as "
    "comparisons (`channel == 'email' and region in ['EU', 'UK']`).",
)
_rule(
    "S101", "S", "warning",
    'name too short or too vague ("Sales", "Performance")',
    'Name what is counted or averaged, of what, and where: "Net new MRR from EU customers" '
    'rather than "Revenue".',
)
_rule(
    "S102", "S", "warning",
    "description missing or under five words",
    "Add `description:` saying what is measured and why it matters, in a sentence.",
)
_rule(
    "S103", "S", "warning",
    "no owner",
    "Add `owner:` with the person or role accountable for the KPI.",
)
_rule(
    "S104", "S", "warning",
    "no unit",
    "Add `unit:` (percent, count, currency:EUR, hours, days, points, ratio or any word) so "
    "values are formatted and checked correctly.",
)
_rule(
    "M201", "M", "error",
    "nothing to measure: no measure, formula or matching data",
    "Add `measure: {column: ...}` naming the data column, or a `formula:`; with data, a KPI "
    "without either is looked up by its id (or, in a long table, its name).",
)
_rule(
    "M202", "M", "warning",
    "aggregate does not fit the unit (summing percentages)",
    "Average rates (`aggregate: mean` or `median`) instead of summing them, or compute the "
    "rate with a formula over two count KPIs; use `count` only for a unit of count.",
)
_rule(
    "A301", "A", "error",
    "target on the wrong side of the baseline for the direction",
    "With `direction: higher` the target must be above the baseline, with `direction: lower` "
    "below it; fix the target, or the direction if smaller is better.",
)
_rule(
    "A302", "A", "warning",
    "target equals baseline",
    "Ask for an improvement, or write the target as a band (`{min: ...}`) if holding the "
    "level is the goal.",
)
_rule(
    "A303", "A", "error",
    "percent target outside 0–100",
    'Percent KPIs are on the 0–100 scale: write 85 (or "85%") for 85 percent, and keep '
    "targets, bands and schedules within 0–100.",
)
_rule(
    "A305", "A", "warning",
    "KPI has no target",
    "Add `target:` (a level, a change, a band or a schedule), `targets_by:`, or a target "
    "column in the data (`data.target_column`); without one the KPI has no status.",
)
_rule(
    "R401", "R", "warning",
    "KPI not linked to an objective",
    "Add `objective:` with the id of the objective the KPI serves (define objectives under "
    "`objectives:`).",
)
_rule(
    "R402", "R", "warning",
    "objective with no KPI",
    "Link at least one KPI to the objective with `objective: <id>`, or remove the objective.",
)
_rule(
    "R403", "R", "info",
    "objective measured only by lagging KPIs: add a leading one",
    "Lagging KPIs confirm results after the fact; add a `kind: leading` KPI that predicts "
    "them (first-response time for satisfaction, pipeline for revenue).",
)
_rule(
    "R404", "R", "warning",
    f"more than {MAX_KPIS_PER_OBJECTIVE} KPIs on one objective",
    "Keep the few KPIs that decide the objective; move the rest to a diagnostic file or split"
    " the objective.",
)
_rule(
    "T501", "T", "warning",
    "target has no due period and is not a per-period band",
    "Add `due:` (e.g. `due: 2026-12`) to say by when the target is to be reached, or write a "
    "per-period target as a band (`{min: ...}`) or a schedule.",
)
_rule(
    "T502", "T", "error",
    "due period before the baseline period",
    "The due period must come after the baseline period; correct one of them.",
)
_rule(
    "T503", "T", "warning",
    "due period already past",
    "Set a new due period for the next cycle, or remove the KPI if its target is no longer "
    "pursued.",
)
_rule(
    "T504", "T", "error",
    "relative (`change`) target without a baseline",
    "A `change` target is relative to the baseline: add `baseline: {value: ..., period: ...}`"
    " (or `baseline: {period: ...}` to take the value from the data).",
)
_rule(
    "M207", "M", "error",
    "data.url holds a password or secret parameter",
    "Remove the password from `data.url` (or the variable `data.url_env` names): kpicli takes"
    " credentials only from the engine's own sources — PGPASSWORD, ~/.pgpass or PGSERVICE for"
    " PostgreSQL — so they never land in version control or a report.",
)
_rule(
    "M206", "M", "error",
    "the data named in data.path cannot be read",
    "Fix `data.path` (relative to the KPI file; globs allowed), the sheet name, or the file "
    "itself; `--data FILE` on the command line overrides it.",
    needs_data=True,
)
_rule(
    "M203", "M", "error",
    "measure column not in the data (with --data; did-you-mean)",
    "Set `measure.column` to a column that is in the data (in a long table: a value of the "
    "KPI column); the message suggests the closest one.",
    needs_data=True,
)
_rule(
    "M204", "M", "error",
    "measure column not numeric (with --data)",
    "Clean the column so it holds numbers (no text such as `n/a`), or use `aggregate: count` "
    "/ `nunique` to count rows instead.",
    needs_data=True,
)
_rule(
    "M205", "M", "warning",
    "no data for the latest period (with --data)",
    "Add this KPI's value for the latest period to the data, or check its `measure.where` "
    "filter and column.",
    needs_data=True,
)
_rule(
    "A304", "A", "warning",
    "the pace the target needs exceeds the best pace seen in the history (with --data)",
    "Ease the target or move the due period out; if a planned change will speed things up, "
    "say so with `ignore: [A304]` on the KPI.",
    needs_data=True,
)
_rule(
    "D601", "D", "warning",
    "a value that is not a number",
    "Fix the cell (a number, optionally with %, a currency sign or thousands separators), or "
    "set data.decimal / data.delimiter when a whole column is misread.",
    needs_data=True,
)
_rule(
    "D602", "D", "warning",
    "the same KPI, period (and group) appears more than once",
    "Remove the extra rows, or add the column that tells them apart; duplicates are "
    "aggregated together.",
    needs_data=True,
    found_by="report",
)
_rule(
    "D603", "D", "warning",
    "a gap: periods without data inside the series",
    "Add the missing periods, or check that the export covers the whole range.",
    needs_data=True,
    found_by="report",
)
_rule(
    "D604", "D", "warning",
    "rows dated in the future",
    "Check the date column (data.date_column) and the day/month order (data.dayfirst).",
    needs_data=True,
    found_by="report",
)
_rule(
    "D605", "D", "warning",
    "stale data: nothing for the report period",
    "Export newer data, or report an earlier period with --period.",
    needs_data=True,
    found_by="report",
)
_rule(
    "D606", "D", "warning",
    "a value impossible for the KPI (unit or range)",
    "Fix the value, or correct the KPI's unit or its range: [min, max].",
    needs_data=True,
    found_by="report",
)
_rule(
    "D607", "D", "warning",
    "a date that cannot be read",
    "Write dates like 2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3; or set "
    "data.date_format.",
    needs_data=True,
)
_rule(
    "D608", "D", "warning",
    "a formula cell without a cached value",
    "Open and save the workbook in Excel or LibreOffice so that formulas store their values.",
    needs_data=True,
    untestable="needs a workbook (binary) whose formula cells were never calculated; "
    "tests/test_readers_workbook.py covers it",
)
_rule(
    "D609", "D", "warning",
    "duplicate column headers",
    "Rename one of the columns so each header is unique.",
    needs_data=True,
)
_rule(
    "D610", "D", "warning",
    "rows or columns skipped while reading",
    "Check the rows named: they have no readable date or period, or lie outside the table.",
    needs_data=True,
    # info for rows kpicli recognises as totals ("Total", "Grand total"): nothing is lost,
    # since kpicli computes totals itself; warning for rows whose values are dropped.
    severities=("warning", "info"),
)
_rule(
    "D611", "D", "info",
    "an outlier (robust z-score above 3.5)",
    "Check the value; nothing to do if it is genuine.",
    needs_data=True,
    found_by="report",
)
_rule(
    "D620", "D", "info",
    "the day/month order chosen for a date column",
    "Nothing to do when the dates read right; otherwise set data.dayfirst (or "
    "data.date_format) in the KPI file.",
    needs_data=True,
)
_rule(
    "D600", "D", "info",
    "row-level checks skipped: the data is aggregated in a database engine",
    "Nothing to do; to run them (non-numeric cells, impossible values), read the data with "
    "data.engine: pandas.",
    needs_data=True,
    untestable="needs a Parquet file or a database (binary) aggregated by DuckDB or "
    "PostgreSQL; a CSV is always read row by row",
)
_rule(
    "D615", "D", "warning",
    "a target column in the data disagrees with the kpis.yaml target",
    "Name the column with data.target_column to use it, or fix the cells or the YAML target.",
    needs_data=True,
    found_by="report",
)
