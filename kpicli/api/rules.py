"""`kpi rules`: the validation rule catalogue as the CLI and the findings writers need it.

Contract: the rows come in the order `kpi rules` lists them (by letter, then id), each with
its letter, default severity, summary, fix and whether it needs the data; :func:`rules_markdown` is docs/rules.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpicli.engine.rules import Rule

__all__ = ["rule_catalogue", "rules_markdown"]


def rule_catalogue() -> list[Rule]:
    """Every rule of the catalogue, in the order `kpi rules` lists them."""
    from kpicli.engine.rules import catalogue_rows

    return list(catalogue_rows())


def rules_markdown() -> str:
    """The catalogue as Markdown (docs/rules.md, `kpi rules --format markdown`)."""
    from kpicli.engine.rules import rules_markdown as markdown

    return markdown()
