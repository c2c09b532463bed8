"""The SMART validation rules: the catalogue and the pure rule functions, returning hits
with YAML paths.

Layout: ``catalogue`` (every rule id with its letter, severity, summary, fix), ``context``
(what a rule looks at and returns, how rules run), one module per letter (``structural`` for
E, ``specific``, ``measurable``, ``achievable``, ``relevant``, ``timebound``), ``data`` for
the rules that read the data, ``data_quality`` for the D6xx findings of the readers, and
``docs`` for docs/rules.md. Importing this package registers every check; the names below
are what the rest of kpicli uses.
"""

from __future__ import annotations

# The letter modules register their checks and examples in the catalogue when imported.
from kpicli.engine.rules import (  # noqa: F401
    achievable,
    data,
    data_quality,
    measurable,
    relevant,
    specific,
    structural,
    timebound,
)
from kpicli.engine.rules.catalogue import (
    CATALOGUE,
    LETTERS,
    MAX_KPIS_PER_OBJECTIVE,
    Example,
    Rule,
    Severity,
    catalogue_rows,
    finding,
    is_rule_selector,
)
from kpicli.engine.rules.context import (
    PartialModel,
    RuleContext,
    RuleHit,
    YamlPath,
    check_definitions,
    effective_aggregate,
    make_context,
    partial_model,
    period_span,
    run_rules,
    unit_kind,
)
from kpicli.engine.rules.data import MIN_HISTORY_FOR_PACE, series_from_table
from kpicli.engine.rules.docs import rules_markdown
from kpicli.engine.rules.specific import FILLER_WORDS, VAGUE_WORDS, vague_name
from kpicli.engine.rules.structural import check_expressions

__all__ = [
    "CATALOGUE",
    "FILLER_WORDS",
    "LETTERS",
    "MAX_KPIS_PER_OBJECTIVE",
    "MIN_HISTORY_FOR_PACE",
    "VAGUE_WORDS",
    "Example",
    "PartialModel",
    "Rule",
    "RuleContext",
    "RuleHit",
    "Severity",
    "YamlPath",
    "catalogue_rows",
    "check_definitions",
    "check_expressions",
    "effective_aggregate",
    "finding",
    "is_rule_selector",
    "make_context",
    "partial_model",
    "period_span",
    "rules_markdown",
    "run_rules",
    "series_from_table",
    "unit_kind",
    "vague_name",
]
