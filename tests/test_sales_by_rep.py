"""`kpi report --by rep` on the sales example against numbers computed by hand with plain pandas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from kpicli.api import build_report

SALES = Path(__file__).resolve().parent.parent / "examples" / "sales"


@pytest.fixture(scope="module")
def report():
    return build_report(SALES / "kpis.yaml", by="rep", today=dt.date(2026, 11, 22))


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(SALES / "sales.csv", dtype={"month": str})


@pytest.mark.parametrize("rep", ["Anna", "Diego", "Freja"])
def test_member_numbers_match_hand_computation(report, raw: pd.DataFrame, rep: str) -> None:
    res = {r.id: r for r in report.kpis if r.group == rep}
    mine = raw[raw["rep"] == rep]
    oct_rows = mine[mine["month"] == "2026-10"]

    def value(kpi: str) -> float:
        return float(oct_rows.loc[oct_rows["kpi"] == kpi, "value"].sum())

    def target(kpi: str) -> float:
        return float(oct_rows.loc[oct_rows["kpi"] == kpi, "target"].sum())

    rev, rev_t = value("Revenue"), target("Revenue")
    assert res["revenue"].actual == pytest.approx(rev)
    assert res["revenue"].target == pytest.approx(rev_t)
    assert res["revenue"].attainment == pytest.approx(rev / rev_t)
    expected = "met" if rev >= rev_t else ("at_risk" if rev / rev_t >= 0.9 else "off_track")
    assert res["revenue"].status == expected

    deals = value("Deals won")
    assert res["deals_won"].actual == pytest.approx(deals)
    assert res["avg_deal_size"].actual == pytest.approx(rev / deals)  # ratio of sums

    ytd_rows = mine[(mine["month"] >= "2026-01") & (mine["month"] <= "2026-10")]
    rev_rows = ytd_rows[ytd_rows["kpi"] == "Revenue"]
    assert res["revenue_ytd"].actual == pytest.approx(rev_rows["value"].sum())
    # The data's monthly targets accumulate like the actuals.
    assert res["revenue_ytd"].target == pytest.approx(rev_rows["target"].sum())

    win = float(oct_rows.loc[oct_rows["kpi"] == "Win rate", "value"].iloc[0])
    assert res["win_rate"].actual == pytest.approx(win)


def test_ranking_follows_weighted_scores(report) -> None:
    assert len(report.groups) == 25
    for line in report.groups:
        rows = [r for r in report.kpis if r.group == line.id and r.score is not None and r.weight > 0]
        expected = sum(r.score * r.weight for r in rows) / sum(r.weight for r in rows)
        assert line.score == pytest.approx(expected)
    scores = [g.score for g in report.groups]
    assert scores == sorted(scores, reverse=True)
    assert [g.rank for g in report.groups] == list(range(1, 26))


def test_team_total_is_the_sum_of_members(report) -> None:
    total = next(r for r in report.kpis if r.group is None and r.id == "revenue")
    members = [r.actual for r in report.kpis if r.group is not None and r.id == "revenue"]
    assert total.actual == pytest.approx(sum(members))
