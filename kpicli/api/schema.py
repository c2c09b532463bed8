"""`kpi schema`: the JSON Schema of kpis.yaml, generated from the pydantic model.

Contract: the schema accepts what validation accepts (the friendlier spellings the model
widens: ``"85%"``, ``2026``, scalar targets) and enumerates what validation enumerates
(aggregates, rule selectors in ``ignore:``), so editors flag and complete the same values;
:func:`schema_text` is the text committed in schema/kpis.schema.json.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "SCHEMA_ID",
    "aggregate_schema",
    "kpi_json_schema",
    "rule_selector_schema",
    "schema_text",
]


def kpi_json_schema() -> dict[str, Any]:
    """JSON Schema of kpis.yaml (``kpi schema``), from the pydantic model.

    The model accepts friendlier input than its types say: numbers written as ``"85%"``,
    ``"1.2M"`` or ``"-20%"``, periods written as ``2026`` or a date, and ``target: 42`` /
    ``baseline: 78`` as scalars. A schema generator widens those spots so editors do not flag
    valid files.
    """
    from pydantic.json_schema import GenerateJsonSchema

    from kpicli.model import kpifile

    number = {
        "anyOf": [
            {"type": "number"},
            {
                "type": "string",
                "pattern": r"^\s*[+-]?\s*[\d.,_]+\s*(k|K|m|M|mn|b|B|bn|%)?\s*$",
            },
        ]
    }
    period = {
        "anyOf": [
            {"type": "string", "examples": ["2026-10", "2026-Q3", "2026-W07", "FY2026", "Oct 2026"]},
            {"type": "integer", "minimum": 1000, "maximum": 9999},
        ]
    }
    special = {
        getattr(kpifile, "_number", None): number,
        getattr(kpifile, "_change", None): number,
        getattr(kpifile, "_period", None): period,
    }
    special.pop(None, None)

    class Generator(GenerateJsonSchema):
        def function_before_schema(self, schema: Any) -> Any:
            fn = schema.get("function", {}).get("function")
            if fn in special:
                return dict(special[fn])
            return super().function_before_schema(schema)

    schema = kpifile.KPIFile.model_json_schema(schema_generator=Generator)
    defs = schema.get("$defs", {})
    scalar = {
        "Target": "a level to reach, such as 42, \"85%\" or \"1.2M\"",
        "Baseline": "the starting value, such as 78",
    }
    for name, what in scalar.items():
        if name in defs:
            obj = defs[name]
            defs[name] = {
                "description": obj.get("description", ""),
                "anyOf": [{**number, "description": f"Shorthand: {what}."}, obj],
            }
    _tighten(schema)
    ordered = {"$schema": schema.pop("$schema", None), "$id": SCHEMA_ID}
    ordered = {k: v for k, v in ordered.items() if v is not None}
    ordered["title"] = schema.pop("title", "kpicli KPI definitions (kpis.yaml)")
    ordered["description"] = (
        "KPI definitions for kpicli (kpis.yaml): objectives, KPIs with their measures, "
        "formulas, baselines and targets, and where the measurements are. Check a file with "
        "`kpi validate`."
    )
    schema.pop("description", None)
    return {**ordered, **schema}


SCHEMA_ID = "urn:kpicli:schema:kpis:1"


def _any_case(word: str) -> str:
    """A regex for ``word`` in any letter case (JSON Schema patterns have no ``(?i)``)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def aggregate_schema() -> dict[str, Any]:
    """What ``aggregate:`` accepts, as kpicli.model.kpifile.check_aggregate does: the names
    (offered by editors), and the same in any case with spaces around, ``avg``/``average``
    and ``p1``..``p99`` (and ``p100``)."""
    from kpicli.model.kpifile import AGGREGATES

    words = "|".join(_any_case(w) for w in (*AGGREGATES, "average", "avg"))
    pct = f"{_any_case('p')}(?:[1-9][0-9]?|100)"
    return {
        "anyOf": [
            {"enum": list(AGGREGATES)},
            {"type": "string", "pattern": rf"^\s*(?:{words}|{pct})\s*$"},
            {"type": "null"},
        ]
    }


def rule_selector_schema() -> dict[str, Any]:
    """What ``ignore:`` accepts, as kpicli.engine.rules.is_rule_selector does: a rule id of
    the catalogue (offered by editors) or a prefix of one (``S``, ``T50``, ``D6``), in any
    case."""
    from kpicli.engine.rules import CATALOGUE, is_rule_selector

    ids = sorted(CATALOGUE)
    prefixes = sorted(
        {rid[:n] for rid in ids for n in range(1, len(rid) + 1) if is_rule_selector(rid[:n])}
    )
    alternatives = "|".join(_any_case(p) for p in prefixes)
    return {
        "anyOf": [
            {"enum": ids},
            {"type": "string", "pattern": rf"^\s*(?:{alternatives})\s*$"},
        ]
    }


def _tighten(schema: dict[str, Any]) -> None:
    """Enumerate what validation enumerates, so editors flag and complete the same values."""
    defs = schema.get("$defs", {})
    for model in ("Measure", "Defaults"):
        prop = defs.get(model, {}).get("properties", {}).get("aggregate")
        if prop is not None:
            prop.pop("anyOf", None)
            prop.pop("type", None)
            prop.update(aggregate_schema())
    ignore = defs.get("KPI", {}).get("properties", {}).get("ignore")
    if ignore is not None:
        ignore["items"] = rule_selector_schema()


def schema_text() -> str:
    """The schema as committed in schema/kpis.schema.json."""
    import json

    return json.dumps(kpi_json_schema(), indent=2, ensure_ascii=False) + "\n"
