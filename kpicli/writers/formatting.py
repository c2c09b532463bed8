"""Human formatting shared by the terminal, Markdown, HTML and CSV writers: status icons,
arrows, sparklines, targets and headings. Values in their unit come from model/units.py
(``format_value``) and status labels from model/results.py, re-exported here."""

from __future__ import annotations

from collections.abc import Sequence

from kpicli.model.results import STATUS_LABEL, KPIResult, Report, ScoreLine
from kpicli.model.units import format_value
from kpicli.model.units import missing as _missing

__all__ = [
    "CHANGE_ARROW",
    "CHANGE_ORDER",
    "SPARK",
    "STATUS_ICON",
    "STATUS_LABEL",
    "arrow",
    "change_phrase",
    "change_suffix",
    "delta_is_good",
    "format_ratio",
    "format_target",
    "format_value",
    "has_moved",
    "moved",
    "objective_sections",
    "period_heading",
    "sparkline",
]

STATUS_ICON = {"met": "●", "on_track": "●", "at_risk": "▲", "off_track": "■", "no_data": "○"}


def format_ratio(x: float | None) -> str:
    return "–" if _missing(x) else f"{x * 100:.0f}%"  # type: ignore[operator]


def format_target(r: KPIResult) -> str:
    if r.target_min is not None or r.target_max is not None:
        if r.target_min is not None and r.target_max is not None:
            return f"{format_value(r.target_min, r.unit)}–{format_value(r.target_max, r.unit)}"
        if r.target_min is not None:
            return f"≥ {format_value(r.target_min, r.unit)}"
        return f"≤ {format_value(r.target_max, r.unit)}"
    return format_value(r.target, r.unit)


def delta_is_good(r: KPIResult) -> bool | None:
    if r.delta is None or r.delta == 0:
        return None
    return (r.delta > 0) == (r.direction == "higher")


def arrow(r: KPIResult) -> str:
    if r.delta is None:
        return ""
    return "▲" if r.delta > 0 else ("▼" if r.delta < 0 else "▶")


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """Block sparkline; gaps shown as spaces."""
    vals = [v for v in values if not _missing(v)]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)  # type: ignore[type-var]
    span = (hi - lo) or 1.0  # type: ignore[operator]
    out = []
    for v in values:
        if _missing(v):
            out.append(" ")
        else:
            out.append(SPARK[min(7, int((v - lo) / span * 7.999))])  # type: ignore[operator]
    return "".join(out)


def period_heading(report: Report) -> str:
    """``2026-10 (month)``, or ``2026-11 (month, in progress: 17% covered)``."""
    period = report.period or "—"
    if report.period_complete:
        return f"{period} ({report.grain})"
    return f"{period} ({report.grain}, in progress: {report.period_coverage:.0%} covered)"


# Status changes since the previous period: a word and an arrow, so the meaning never
# rests on colour alone (plain output, colour-blind readers, printed pages).
CHANGE_ARROW = {"improved": "↑", "worsened": "↓", "new": "+", "unchanged": ""}
CHANGE_ORDER = ("worsened", "improved", "new")


def has_moved(r: KPIResult) -> bool:
    """The status differs from the previous period's (worsened, improved or new)."""
    return r.status_change in CHANGE_ORDER


def change_suffix(r: KPIResult) -> str:
    """``← on track`` after the status when it moved: where it came from."""
    if not has_moved(r) or r.previous_status is None:
        return ""
    return f"← {STATUS_LABEL[r.previous_status]}"


def moved(results: list[KPIResult]) -> list[KPIResult]:
    """Results whose status moved, worsened first, then improved, then new (stable within)."""
    rank = {c: i for i, c in enumerate(CHANGE_ORDER)}
    picked = [r for r in results if has_moved(r)]
    return sorted(picked, key=lambda r: rank[r.status_change or "new"])


def change_phrase(r: KPIResult) -> str:
    """``on track → at risk`` (the direction of reading: from the previous period to now)."""
    before = STATUS_LABEL[r.previous_status or "no_data"]
    return f"{before} → {STATUS_LABEL[r.status]}"


def objective_sections(
    report: Report, results: Sequence[KPIResult]
) -> tuple[list[tuple[ScoreLine, str, list[KPIResult]]], list[KPIResult]]:
    """The results grouped as the scorecard shows them: (score line, title, results) per
    objective in report order (objectives without results left out), and the results that
    belong to no known objective, which each writer titles its own way."""
    known = {o.id for o in report.objectives}
    sections = []
    for obj in report.objectives:
        members = [r for r in results if r.objective == obj.id]
        if members:
            sections.append((obj, obj.title or obj.id, members))
    return sections, [r for r in results if r.objective not in known]
