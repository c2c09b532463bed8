"""Kept for scripts written against earlier releases: `kpi validate` lives in kpicli.api.

``from kpicli.validation import validate_files`` (and the result types, the selector parser
and the schema functions) keep working; new code imports them from kpicli.api and
kpicli.model.validation.
"""

from __future__ import annotations

from kpicli.api.schema import aggregate_schema, kpi_json_schema, rule_selector_schema, schema_text
from kpicli.api.validate import parse_selectors, validate_files
from kpicli.model.validation import FINDINGS_SCHEMA, FileResult, ValidationResult

__all__ = [
    "FINDINGS_SCHEMA",
    "FileResult",
    "ValidationResult",
    "aggregate_schema",
    "kpi_json_schema",
    "parse_selectors",
    "rule_selector_schema",
    "schema_text",
    "validate_files",
]
