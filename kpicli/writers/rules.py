"""`kpi rules` output: the rule catalogue as aligned text (severity coloured) or JSON.

Contract: the JSON is a list of ``{id, letter, severity, summary, fix, needs_data,
severities}`` (``severities``: every severity a finding of the rule may have) in the
catalogue's order (keys are only ever added); the text is one line a rule,
``ID  LETTER  SEVERITY  SUMMARY``, with the severity padded to the widest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

__all__ = ["render_rules_json", "render_rules_text"]

_SEVERITY_COLOUR = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}


class CatalogueRow(Protocol):
    """What the writer needs of a catalogue entry (kpicli.engine.rules.Rule fits)."""

    id: str
    letter: str
    severity: str
    summary: str
    fix: str
    needs_data: bool
    severities: tuple[str, ...]


def render_rules_json(rows: Sequence[CatalogueRow]) -> str:
    doc = [
        {"id": r.id, "letter": r.letter, "severity": r.severity, "summary": r.summary,
         "fix": r.fix, "needs_data": r.needs_data, "severities": list(r.severities)}
        for r in rows
    ]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_rules_text(rows: Sequence[CatalogueRow], *, color: bool = False) -> str:
    width = max(len(r.severity) for r in rows)
    lines = []
    for r in rows:
        sev = r.severity.ljust(width)
        if color:
            sev = f"{_SEVERITY_COLOUR.get(r.severity, '')}{sev}\x1b[0m"
        lines.append(f"{r.id}  {r.letter}  {sev}  {r.summary}")
    return "\n".join(lines) + "\n"
