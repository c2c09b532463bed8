"""Human formatting of values by unit, shared by the terminal, Markdown and CSV writers."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kpicli.model.results import KPIResult, Report, ScoreLine

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}
STATUS_LABEL = {
    "met": "met",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "no_data": "no data",
}
STATUS_ICON = {"met": "●", "on_track": "●", "at_risk": "▲", "off_track": "■", "no_data": "○"}


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def _plain(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def _auto_decimals(x: float) -> int:
    ax = abs(x)
    if ax >= 1000 or float(x).is_integer():
        return 0
    if ax >= 100:
        return 1
    if ax >= 1:
        return 2 if ax < 10 else 1
    return 3


def format_value(x: float | None, unit: str | None, *, signed: bool = False) -> str:
    """86.2%, €12.50, 1,234, 23.5 h, 0.45 — the way a reader expects the unit."""
    if _missing(x):
        return "–"
    assert x is not None
    u = (unit or "").strip()
    low = u.lower()
    sign = "+" if signed and x > 0 else ""
    if low in ("percent", "%", "pct", "percentage"):
        # A signed change of a percentage is in percentage points, not percent.
        return f"{sign}{_plain(x, 1)} pp" if signed else f"{_plain(x, 1)}%"
    if low.startswith("currency"):
        code = u.split(":", 1)[1].strip().upper() if ":" in u else ""
        sym = CURRENCY_SYMBOLS.get(code)
        dec = 0 if abs(x) >= 1000 else 2
        neg = "-" if x < 0 else sign
        body = _plain(abs(x), dec)
        if sym:
            return f"{neg}{sym}{body}"
        return f"{neg}{body} {code}".rstrip()
    if low in ("count", "number", "#"):
        return f"{sign}{_plain(x, 0 if float(x).is_integer() else 1)}"
    if low in ("hours", "hour", "h"):
        return f"{sign}{_plain(x, 1)} h"
    if low in ("days", "day", "d"):
        return f"{sign}{_plain(x, 1)} d"
    if low in ("minutes", "minute", "min"):
        return f"{sign}{_plain(x, 1)} min"
    if low in ("ratio",):
        return f"{sign}{_plain(x, 2)}"
    if low in ("points", "pts", "point"):
        return f"{sign}{_plain(x, 1 if not float(x).is_integer() else 0)} pts"
    text = f"{sign}{_plain(x, _auto_decimals(x))}"
    return f"{text} {u}" if u else text


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
