"""The examples every rule declares: a small ``kpis.yaml`` and, for rules about data, the
``data.csv`` beside it; helpers that write them briefly.

Contract: an example is text exactly as docs/rules.md shows it and as
tests/test_rule_examples.py writes it to disk (a rule's ``bad`` example gives a finding of
that rule, its ``good`` example none). Most examples are the KPI ``csat`` with a few keys.
"""

from __future__ import annotations

from dataclasses import dataclass

OBJECTIVE = "objectives:\n  - id: delight\n    title: Delight our customers\n"
NPS = "  - id: nps\n    name: Net promoter score\n"


@dataclass(frozen=True)
class Example:
    """A small KPI file (``kpis.yaml``) and, for rules about data, the ``data.csv`` beside it."""

    kpis: str
    data: str | None = None


def kpi_file(
    *keys: str,
    kpi: str = "csat",
    name: str = "Customer satisfaction",
    top: str = "",
    more: str = "",
    data: str | None = None,
) -> Example:
    """``top`` (objectives:, data:), then KPI ``kpi`` called ``name`` with the YAML lines
    ``keys`` (``"unit: percent"``), then the KPIs ``more``; ``data`` is the data.csv, which the
    file names with ``data: {path: data.csv}`` unless ``top`` says where its data is."""
    if data is not None and "data:" not in top:
        top = "data: {path: data.csv}\n" + top
    lines = [f"  - id: {kpi}", f"    name: {name}", *(f"    {key}" for key in keys)]
    return Example(top + "kpis:\n" + "\n".join(lines) + "\n" + more, data)


def monthly(column: str, *values: object) -> str:
    """A data.csv with a ``month`` column from 2026-01 and one value a month in ``column``."""
    rows = "".join(f"2026-{i:02d},{v}\n" for i, v in enumerate(values, 1))
    return f"month,{column}\n{rows}"
