"""Hand-built Report and KPIFile objects for the Excel writer tests."""

from __future__ import annotations

from kpicli.engine.changes import status_change
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Finding, HistoryPoint, KPIResult, Report, ScoreLine

PERIODS = [f"2026-{m:02d}" for m in range(1, 11)]

INJECTION_NAMES = {
    "evil-link": '=HYPERLINK("http://evil.example","click me")',
    "evil-at": "@SUM(A1)",
    "evil-minus": "-1+2",
}
BELL_NAME = "Bell\x07 tickets"


def _history(values: list[float | None], target: float | None) -> list[HistoryPoint]:
    periods = PERIODS[-len(values) :]
    return [HistoryPoint(period=p, actual=v, target=target) for p, v in zip(periods, values, strict=True)]


def summary_report() -> Report:
    """A single-level report: three objectives plus Other, every status and every unit kind."""
    kpis = [
        KPIResult(
            id="csat", name="Customer satisfaction (CSAT)", unit="percent", direction="higher",
            objective="delight-customers", owner="Support lead", actual=87.5, target_min=85.0,
            baseline=78.0, baseline_period="2026-01", due="2026-12", attainment=1.0,
            progress=1.0, status="met", previous=84.0, delta=3.5, delta_pct=0.0417,
            forecast=89.1, forecast_period="2026-12", forecast_meets=True, score=1.0, weight=2,
            why="87.5 is inside the band ≥ 85 → met",
            history=_history([78, 79.5, 80.2, 81, 82.4, 83, 83.9, 84, 84, 87.5], 85.0),
        ),
        KPIResult(
            id="resolution-time", name="Median resolution time", unit="hours", direction="lower",
            objective="delight-customers", owner="Support lead", actual=26.0, target=24.0,
            baseline=30.0, baseline_period="2026-03", due="2026-12", attainment=24 / 26,
            progress=4 / 6, expected_progress=7 / 9, status="on_track", previous=27.5,
            delta=-1.5, delta_pct=-0.0545, forecast=23.5, forecast_period="2026-12",
            forecast_meets=True, needed=23.0, score=24 / 26,
            why="progress 0.67 of expected 0.78 = 0.86 ... → on_track",
            history=_history([30, 29.5, 29, 28.5, 28, 27.5, 27.5, 26], 24.0),
        ),
        KPIResult(
            id="cost-per-ticket", name="Cost per resolved ticket", unit="currency:EUR",
            direction="lower", objective="run-efficiently", owner="=cmd|' /C calc'!A0",
            actual=13.2, target=12.5, attainment=12.5 / 13.2, status="at_risk", previous=12.9,
            delta=0.3, delta_pct=0.0233, forecast=13.4, forecast_meets=False,
            score=12.5 / 13.2, why="attainment 0.95 ≥ 0.90 → at_risk",
            history=_history([12.1, 12.4, 12.6, 12.9, 13.2], 12.5),
        ),
        KPIResult(
            id="tickets-resolved", name="Tickets resolved", unit="count", direction="higher",
            objective="run-efficiently", owner="Ops", actual=1180.0, target=1500.0,
            attainment=1180 / 1500, status="off_track", previous=1250.0, delta=-70.0,
            delta_pct=-0.056, score=1180 / 1500, count=1180,
            why="attainment 0.79 < 0.90 → off_track",
            history=_history([1400, 1350, 1300, 1250, 1180], 1500.0),
        ),
        KPIResult(
            id="backlog-age", name="Backlog age", unit="days", direction="lower",
            objective="run-efficiently", owner="Ops", target=3.0, status="no_data",
            why="no value for 2026-10", history=[],
        ),
        KPIResult(
            id="conversion", name="Trial conversion", unit="ratio", direction="higher",
            objective="grow", owner="Sales", actual=0.31, target=0.3, attainment=0.31 / 0.3,
            status="met", previous=0.28, delta=0.03, score=0.31 / 0.3,
            why="0.31 ≥ 0.30 → met", history=_history([0.25, 0.27, 0.28, 0.31], 0.3),
        ),
        KPIResult(
            id="revenue-us", name="US revenue", unit="currency:USD", direction="higher",
            objective="grow", owner="Sales", actual=120500.0, target=150000.0,
            attainment=120500 / 150000, status="off_track", previous=130000.0, delta=-9500.0,
            score=120500 / 150000, why="attainment 0.80 < 0.90 → off_track",
            history=_history([140000, 135000, 130000, 120500], 150000.0),
        ),
        KPIResult(
            id="revenue-uk", name="UK revenue", unit="currency:GBP", direction="higher",
            objective="grow", actual=50200.0, target=50000.0, attainment=50200 / 50000,
            status="met", delta=0.0, score=1.004, why="50200 ≥ 50000 → met",
            history=_history([48000, 50200], 50000.0),
        ),
        KPIResult(
            id="nps", name="Net promoter score", unit="points", direction="higher",
            actual=41.0, target=45.0, attainment=41 / 45, status="at_risk", delta=2.0,
            score=41 / 45, why="attainment 0.91 ≥ 0.90 → at_risk",
            history=_history([35, 37, 39, 41], None),
        ),
        KPIResult(
            id="handle-time", name="Average handle time", unit="minutes", direction="lower",
            actual=7.5, target_max=8.0, attainment=1.0, status="met", score=1.0,
            why="7.5 ≤ 8 → met", history=_history([8.5, 8.1, 7.5], 8.0),
        ),
        KPIResult(
            id="budget-var", name="Budget variance", unit="ratio", direction="lower",
            actual=0.02, target_min=-0.05, target_max=0.05, attainment=1.0, status="met",
            score=1.0, why="inside the band", history=_history([0.04, 0.02], None),
        ),
        *[
            KPIResult(
                id=kid, name=name, unit="count", actual=float(i), target=10.0, attainment=i / 10,
                status="off_track", score=i / 10, why=name, history=_history([1, 2, i], 10.0),
            )
            for i, (kid, name) in enumerate(INJECTION_NAMES.items(), start=3)
        ],
        KPIResult(
            id="bell", name=BELL_NAME, unit="count", actual=5.0, target=5.0, attainment=1.0,
            status="met", score=1.0, why="ring\x07 the bell", history=_history([5], 5.0),
        ),
    ]
    objectives = [
        ScoreLine(id="delight-customers", title="Delight our customers", score=0.974, weight=3, kpis=2),
        ScoreLine(id="run-efficiently", title="Run efficiently", score=0.86, weight=3, kpis=3),
        ScoreLine(id="grow", title="Grow revenue", score=0.94, weight=3, kpis=3),
    ]
    findings = [
        Finding(rule="D601", severity="warning", message="3 rows have no date and were skipped.",
                location="tickets.xlsx!Tickets!A17", kpi="csat", letter="D"),
        Finding(rule="D602", severity="error", message="Value 'n/a' is not a number.",
                location="tickets.xlsx!Tickets!C40", kpi="tickets-resolved", letter="D"),
        Finding(rule="D610", severity="info", message="=1+1 looks like a formula in the data.",
                location="tickets.csv:12"),
    ]
    # What the engine would say about 2026-09 (hand-picked: every kind of change once).
    before = {
        "csat": "at_risk",  # improved
        "resolution-time": "met",  # worsened
        "cost-per-ticket": "at_risk",  # unchanged
        "tickets-resolved": "at_risk",  # worsened
        "backlog-age": "on_track",  # worsened: the value is gone
        "conversion": "no_data",  # new
        "revenue-us": "off_track",  # unchanged
    }
    for k in kpis:
        prev = before.get(k.id, k.status)
        k.previous_status = prev  # type: ignore[assignment]
        k.status_change = status_change(prev, k.status)  # type: ignore[arg-type]
    return Report(
        title="Customer Support Scorecard", period="2026-10", previous_period="2026-09",
        grain="month", score=0.912, kpis=kpis, objectives=objectives, findings=findings,
        sources=["data/tickets.xlsx"], periods=PERIODS,
    )


REPS = ["Alice", "Bob", "Chen", "Dana", "=Evil()"]


def breakdown_report(*, with_overall: bool = False) -> Report:
    """``--by rep`` for 5 members and 3 KPIs; ranks are deliberately not in list order."""
    scores = {"Alice": 0.91, "Bob": 1.05, "Chen": 0.62, "Dana": 0.84, "=Evil()": 0.77}
    ranked = sorted(scores, key=lambda r: -scores[r])
    statuses = ["met", "on_track", "at_risk", "off_track", "no_data"]
    kpis: list[KPIResult] = []
    for i, rep in enumerate(REPS):
        s = statuses[i]
        actual = None if s == "no_data" else 130.0 - 10 * i
        kpis += [
            KPIResult(
                id="deals", name="Deals won", unit="count", group=rep, objective="grow",
                actual=actual, target=120.0, status=s, score=scores[rep],
                attainment=None if actual is None else actual / 120,
                why=f"{rep}: {s}", history=_history([90, 95, actual], 120.0),
            ),
            KPIResult(
                id="win-rate", name="Win rate", unit="percent", group=rep, objective="grow",
                actual=20.0 + i, target=25.0, status="at_risk", attainment=(20 + i) / 25,
                why="close", history=_history([18, 19, 20.0 + i], 25.0),
            ),
            KPIResult(
                id="cycle", name="Sales cycle", unit="days", direction="lower", group=rep,
                actual=30.0 - i, target=28.0, status="on_track", why="ok",
            ),
        ]
    if with_overall:
        kpis.insert(0, KPIResult(id="deals", name="Deals won", unit="count", actual=550.0,
                                 target=600.0, status="at_risk", why="overall",
                                 history=_history([500, 520, 550], 600.0)))
    groups = [
        ScoreLine(id=rep, title=rep, score=scores[rep], weight=3, kpis=3, rank=ranked.index(rep) + 1)
        for rep in REPS
    ]
    # Alice improved on deals, Chen worsened, Dana is new; the rest unchanged.
    before = {("deals", "Alice"): "at_risk", ("deals", "Chen"): "on_track",
              ("deals", "Dana"): "no_data", ("deals", None): "met"}
    for k in kpis:
        prev = before.get((k.id, k.group), k.status)
        k.previous_status = prev  # type: ignore[assignment]
        k.status_change = status_change(prev, k.status)  # type: ignore[arg-type]
    return Report(
        title="Sales team", period="2026-10", previous_period="2026-09", grain="month",
        score=0.84, group_by="rep",
        kpis=kpis, groups=groups,
        objectives=[ScoreLine(id="grow", title="Grow revenue", score=0.84, kpis=3)],
        periods=PERIODS,
    )


def kpi_model() -> KPIFile:
    return KPIFile.model_validate(
        {
            "title": "Customer Support Scorecard",
            "objectives": [
                {"id": "delight-customers", "title": "Delight our customers"},
                {"id": "run-efficiently", "title": "Run efficiently"},
            ],
            "kpis": [
                {
                    "id": "csat", "name": "Customer satisfaction (CSAT)", "unit": "percent",
                    "objective": "delight-customers", "owner": "Support lead", "kind": "lagging",
                    "description": "Share of survey answers rating 4 or 5 out of 5.",
                    "measure": {"column": "csat", "aggregate": "mean",
                                "where": "channel == 'email'"},
                    "baseline": {"value": 78, "period": "2026-01"},
                    "target": {"min": 85, "due": "2026-12"}, "weight": 2,
                },
                {
                    "id": "resolution-time", "name": "Median resolution time", "unit": "hours",
                    "direction": "lower",
                    "measure": {"column": "resolution_hours", "aggregate": "median"},
                    "baseline": {"value": 30, "period": "2026-03"},
                    "target": {"change": "-20%", "due": "2026-09"},
                },
                {
                    "id": "cost-per-ticket", "name": "Cost per resolved ticket",
                    "unit": "currency:EUR", "direction": "lower",
                    "formula": "support_cost / tickets_resolved", "target": 12.5,
                },
                {
                    "id": "tickets-resolved", "name": "=HYPERLINK(\"x\")", "unit": "count",
                    "schedule": {"2026-01": 100, "2026-02": 110, "2026-03": 120},
                },
            ],
        }
    )


def definition_findings() -> list[Finding]:
    return [
        Finding(rule="S101", severity="warning", message="KPI has no description.",
                location="kpis.yaml:20:5", kpi="resolution-time", letter="S"),
        Finding(rule="T501", severity="error", message="Target has no due date.",
                location="kpis.yaml:30:5", kpi="cost-per-ticket", letter="T"),
        Finding(rule="R401", severity="info", message="Objective run-efficiently has no owner.",
                location="kpis.yaml:8:5", letter="R"),
    ]
