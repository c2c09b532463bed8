"""What changed since the last period: a KPI's status there and how it moved.

Contract: ``status_change(previous, current)`` orders statuses
``met > on_track > at_risk > off_track`` (``kpicli.model.results.STATUS_RANK``) and returns

* ``improved`` / ``worsened`` / ``unchanged`` when both periods have a status;
* ``new`` when the previous period had none (``no_data``: no value, too few rows, no
  target, or a period before the data) and this one has: there is nothing to compare with;
* ``worsened`` when the previous period had a status and this one is ``no_data``: a feed
  that stops or a member without data is news for the review meeting, and a scheduled
  ``--fail-on worsened`` job must not stay green while the numbers vanish;
* ``unchanged`` when neither period has a status.

The previous status itself is computed by the same evaluation as the report period (see
``engine.report``), never re-derived here.
"""

from __future__ import annotations

from kpicli.model.results import STATUS_RANK, Status, StatusChange


def status_change(previous: Status | None, current: Status) -> StatusChange:
    """How ``current`` compares with ``previous`` (``None`` counts as ``no_data``)."""
    before = STATUS_RANK.get(previous or "no_data")
    now = STATUS_RANK.get(current)
    if before is None:
        return "unchanged" if now is None else "new"
    if now is None:
        return "worsened"
    if now > before:
        return "improved"
    return "worsened" if now < before else "unchanged"
