"""The Python twins of the commands: what the CLI calls, and what scripts and tests call.

The api is the only orchestration layer: each command is one call here (load the KPI file,
read the data, run the engine, check the definitions) that returns a result from
kpicli.model for a writer to render. One module per command: ``load`` (KPI files and their
data, shared by all), ``report``, ``show``, ``validate``, ``compare`` (``kpi diff``),
``template``, ``init``, ``rules`` and ``schema``.

Importing this package is light (no pandas, no pydantic models): the names below load their
module on first use, so ``kpi --help`` stays fast and ``from kpicli.api import build_report``
works as documented.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpicli.api.compare import diff
    from kpicli.api.init import init_project
    from kpicli.api.load import data_paths, load_kpi_file, load_kpi_text, read_table
    from kpicli.api.report import (
        ProgressCallback,
        ReportOptions,
        build_report,
        fail_on,
        run_report,
    )
    from kpicli.api.rules import rule_catalogue, rules_markdown
    from kpicli.api.schema import kpi_json_schema, schema_text
    from kpicli.api.show import show_kpi
    from kpicli.api.template import template_plan
    from kpicli.api.validate import parse_selectors, validate_files

# name -> the module of this package that defines it
_HOME = {
    "ProgressCallback": "report",
    "ReportOptions": "report",
    "build_report": "report",
    "data_paths": "load",
    "diff": "compare",
    "fail_on": "report",
    "init_project": "init",
    "kpi_json_schema": "schema",
    "load_kpi_file": "load",
    "load_kpi_text": "load",
    "parse_selectors": "validate",
    "read_table": "load",
    "rule_catalogue": "rules",
    "rules_markdown": "rules",
    "run_report": "report",
    "schema_text": "schema",
    "show_kpi": "show",
    "template_plan": "template",
    "validate_files": "validate",
}

__all__ = [
    "ProgressCallback",
    "ReportOptions",
    "build_report",
    "data_paths",
    "diff",
    "fail_on",
    "init_project",
    "kpi_json_schema",
    "load_kpi_file",
    "load_kpi_text",
    "parse_selectors",
    "read_table",
    "rule_catalogue",
    "rules_markdown",
    "run_report",
    "schema_text",
    "show_kpi",
    "template_plan",
    "validate_files",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'kpicli.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kpicli.api.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
