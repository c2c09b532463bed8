"""Generate the example KPI files and data sets (fixed seed, byte-for-byte reproducible)."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

SEED = 2026
FIRST_MONTH = "2025-01"
LAST_MONTH = "2026-10"  # the report month of every example
FIXED_TIME = dt.datetime(2026, 11, 1, 9, 0, 0)
HERE = Path(__file__).resolve().parent


@dataclass
class ExampleSet:
    """One example: its data (written as CSV and XLSX), its sheet and its kpis.yaml text."""

    name: str
    stem: str
    sheet: str
    frame: pd.DataFrame
    yaml: str


def _months() -> pd.PeriodIndex:
    return pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")


def _path(values: dict[str, float], months: pd.PeriodIndex) -> np.ndarray:
    """Piecewise-linear monthly levels through anchor months like {"2025-01": 30, ...}."""
    anchors = sorted((pd.Period(k, "M"), v) for k, v in values.items())
    xs = [(p - months[0]).n for p, _ in anchors]
    ys = [v for _, v in anchors]
    return np.interp(np.arange(len(months)), xs, ys)


def _season(months: pd.PeriodIndex, factors: dict[int, float]) -> np.ndarray:
    """Multiplicative seasonal factor per month (1.0 where not given)."""
    return np.array([factors.get(p.month, 1.0) for p in months])


def _bump(months: pd.PeriodIndex, offsets: dict[int, float]) -> np.ndarray:
    """Additive seasonal offset per month (0 where not given)."""
    return np.array([offsets.get(p.month, 0.0) for p in months])


def _round_sum(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``shares`` that add up to ``total`` exactly."""
    raw = shares / shares.sum() * total
    out = np.floor(raw).astype(int)
    out[np.argsort(out - raw)[: total - out.sum()]] += 1
    return out


# --------------------------------------------------------------------------- support

SUPPORT_AGENTS = {
    "North": ["Maya Keller", "Jonas Berg", "Lea Hoffmann", "Tom Schulz"],
    "South": ["Sofia Romano", "Luca Bianchi", "Elena Ruiz", "Marco Costa"],
    "West": ["Chloe Martin", "Hugo Bernard", "Ines Silva", "Noah Peeters"],
}


def build_support(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """One row per closed ticket; monthly levels follow designed paths plus noise."""
    months = _months()
    n_months = len(months)
    volume = (720 + 6 * np.arange(n_months)) * _season(
        months,
        {1: 1.12, 2: 1.02, 3: 0.99, 4: 0.95, 5: 0.95, 6: 0.92, 7: 0.9, 8: 0.87, 9: 0.97,
         11: 1.07, 12: 1.17},
    )
    volume = np.round(volume * (1 + rng.normal(0, 0.03, n_months))).astype(int)
    volume[-1] = 846
    wiggle = rng.normal(0, 1, (5, n_months))
    wiggle[:, -1] = 0.0  # the report month lands exactly on its designed value
    # Designed monthly levels (the report month 2026-10 is the last one).
    resolution = _path({"2025-01": 33.5, "2025-12": 32.0, "2026-01": 31.6, "2026-10": 27.1},
                       months) + 0.6 * wiggle[0] + _bump(months, {12: 1.5, 1: 1.0, 8: -1.0})
    email_p90 = _path({"2025-01": 500, "2025-12": 470, "2026-01": 480, "2026-06": 410,
                       "2026-10": 400}, months) + 12 * wiggle[1]
    reopen_pct = _path({"2025-01": 8.8, "2025-12": 8.2, "2026-10": 6.5}, months) + 0.35 * wiggle[2]
    csat_pct = _path({"2025-01": 79.0, "2025-12": 80.0, "2026-06": 84.5, "2026-10": 86.8},
                     months) + 0.8 * wiggle[3]
    nps = _path({"2025-01": 24.0, "2025-12": 28.0, "2026-10": 38.6}, months) + 1.5 * wiggle[4]
    cost_per_ticket = _path({"2025-01": 12.9, "2026-01": 12.4, "2026-10": 10.75}, months)
    cost_per_ticket = cost_per_ticket + 0.15 * rng.normal(0, 1, n_months) * (
        np.arange(n_months) < n_months - 1
    )

    agents = [(team, a) for team, names in SUPPORT_AGENTS.items() for a in names]
    parts = []
    ticket_no = 250001
    for i, period in enumerate(months):
        n = int(volume[i])
        days = pd.date_range(period.start_time, period.end_time.normalize(), freq="D")
        weights = np.where(days.day_of_week < 5, 1.0, 0.35)
        day = rng.choice(len(days), size=n, p=weights / weights.sum())
        channel = rng.choice(["email", "chat", "phone"], size=n, p=[0.47, 0.33, 0.20])
        who = rng.choice(len(agents), size=n, p=np.repeat([0.36, 0.34, 0.30], 4) / 4)
        z = rng.normal(0, 1, n)
        chan_factor = np.select([channel == "chat", channel == "phone"], [0.45, 0.55], 1.5)
        hours = np.exp(0.8 * z) * chan_factor
        hours = np.maximum(hours * resolution[i] / np.median(hours), 0.2)
        # Tickets nobody closes are closed automatically after 8 to 14 days.
        hours = np.where(hours > 336, rng.uniform(192, 336, n), hours)
        first = np.select(
            [channel == "chat", channel == "phone"],
            [np.exp(0.7 * rng.normal(0, 1, n)) * 2.0, np.exp(0.6 * rng.normal(0, 1, n)) * 1.2],
            np.exp(0.9 * rng.normal(0, 1, n)),
        )
        email = channel == "email"
        first[email] = first[email] * email_p90[i] / np.percentile(first[email], 90)
        first = np.maximum(np.round(first), 1)
        # Exact counts make each month's rate land on its designed level.
        reopened = np.zeros(n, dtype=int)
        reopened[rng.choice(n, round(n * reopen_pct[i] / 100), replace=False)] = 1
        answered = rng.choice(n, round(n * 0.27), replace=False)
        n_sat = round(len(answered) * csat_pct[i] / 100)
        sat_mask = np.zeros(len(answered), dtype=bool)
        sat_mask[rng.choice(len(answered), n_sat, replace=False)] = True
        csat = np.full(n, np.nan)
        csat[answered[sat_mask]] = rng.choice([4, 5], size=n_sat, p=[0.38, 0.62])
        csat[answered[~sat_mask]] = rng.choice([1, 2, 3], size=len(answered) - n_sat,
                                               p=[0.25, 0.3, 0.45])
        satisfied = np.where(np.isnan(csat), np.nan, (csat >= 4).astype(float))
        nps_idx = rng.choice(n, round(n * 0.22), replace=False)
        n_nps = len(nps_idx)
        promoters_share = (0.75 + nps[i] / 100) / 2
        n_pro = round(n_nps * promoters_share)
        n_det = round(n_nps * (0.75 - promoters_share))
        kinds = rng.permutation(np.repeat([2, 0, 1], [n_pro, n_det, n_nps - n_pro - n_det]))
        score = np.select(
            [kinds == 2, kinds == 0],
            [rng.choice([9, 10], n_nps, p=[0.55, 0.45]), rng.choice(7, n_nps,
                                                                   p=[.04, .04, .06, .1, .16, .25, .35])],
            rng.choice([7, 8], n_nps, p=[0.45, 0.55]),
        )
        nps_score = np.full(n, np.nan)
        nps_score[nps_idx] = score
        base_cost = np.select([channel == "chat", channel == "phone"], [0.75, 1.3], 1.0)
        cost = base_cost * (0.6 + 0.4 * hours / resolution[i]) ** 0.5 * np.exp(
            0.15 * rng.normal(0, 1, n))
        cost = cost * cost_per_ticket[i] * n / cost.sum()
        order = np.lexsort((rng.random(n), day))
        frame = pd.DataFrame(
            {
                "ticket_id": [f"T-{ticket_no + k}" for k in range(n)],
                "closed_at": days[day[order]].date,
                "channel": channel[order],
                "team": [agents[w][0] for w in who[order]],
                "agent": [agents[w][1] for w in who[order]],
                "csat": pd.array(csat[order], dtype="Int64"),
                "csat_satisfied": pd.array(satisfied[order], dtype="Int64"),
                "nps_score": pd.array(nps_score[order], dtype="Int64"),
                "resolution_hours": np.round(hours[order], 1),
                "first_response_minutes": first[order].astype(int),
                "reopened": reopened[order],
                "cost": np.round(cost[order], 2),
            }
        )
        ticket_no += n
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)

    month = pd.to_datetime(data["closed_at"]).dt.to_period("M").astype(str)
    jan = data[month == "2026-01"]
    dec = data[month == "2025-12"]
    dec_nps = dec["nps_score"].dropna()
    facts = {
        "resolution_2026_01": float(jan["resolution_hours"].median()),
        "email_p90_2026_01": float(
            jan.loc[jan["channel"] == "email", "first_response_minutes"].quantile(0.9)),
        "cost_per_ticket_2026_01": float(jan["cost"].sum() / len(jan)),
        "csat_2025_12": float(100 * dec["csat_satisfied"].sum() / dec["csat"].count()),
        "nps_2025_12": float(
            100 * ((dec_nps >= 9).sum() - (dec_nps <= 6).sum()) / len(dec_nps)),
    }
    return data, facts


SUPPORT_YAML = """\
# Customer support scorecard: one row per closed ticket in tickets.csv (also tickets.xlsx).
# Run: kpi report examples/support/kpis.yaml   (the latest month with data is 2026-10)
version: 1
title: Customer Support Scorecard
period: month
data:
  path: tickets.csv
  date_column: closed_at
  layout: records
defaults:
  thresholds: {{at_risk: 0.9}}

objectives:
  - id: delight-customers
    title: Delight our customers with every answer
    perspective: customer
    owner: VP Customer Support
  - id: hear-customers
    title: Hear from enough customers to trust the scores
    perspective: learning
    owner: CX Analyst
  - id: resolve-fast
    title: Resolve tickets quickly and for good
    perspective: internal
    owner: Head of Support Operations
  - id: efficient-support
    title: Run support within budget
    perspective: financial
    owner: Finance Business Partner

kpis:
  # --- customer -------------------------------------------------------------------
  - id: csat
    name: Customer satisfaction (CSAT)
    description: Share of survey answers rating the support 4 or 5 out of 5.
    objective: delight-customers
    owner: Support Lead
    kind: lagging
    unit: percent
    direction: higher
    formula: 100 * satisfied_answers / csat_answers   # a ratio of monthly sums
    baseline: {{value: {csat_2025_12:.1f}, period: 2025-12}}
    target: {{min: 85, due: 2026-12}}
    weight: 2

  - id: nps
    name: Net Promoter Score (NPS)
    description: Percent promoters (9-10) minus percent detractors (0-6) among survey answers.
    objective: delight-customers
    owner: Support Lead
    kind: lagging
    unit: points
    direction: higher
    formula: 100 * (promoters - detractors) / nps_responses
    baseline: {{value: {nps_2025_12:.1f}, period: 2025-12}}
    target: {{value: 40, due: 2026-12}}
    weight: 2

  - id: satisfied_answers
    name: Satisfied CSAT answers
    description: Number of CSAT survey answers rating the support 4 or 5.
    objective: delight-customers
    owner: CX Analyst
    kind: lagging
    unit: count
    measure: {{column: csat, aggregate: count, where: "csat >= 4"}}
    target: {{min: 170}}
    weight: 0   # an input of csat; shown, not scored

  - id: promoters
    name: NPS promoters
    description: Number of NPS answers scoring 9 or 10 this month.
    objective: delight-customers
    owner: CX Analyst
    kind: leading
    unit: count
    measure: {{column: nps_score, aggregate: count, where: "nps_score >= 9"}}
    target: {{min: 80}}
    weight: 0   # an input of nps

  - id: detractors
    name: NPS detractors
    description: Number of NPS answers scoring 0 to 6 this month.
    objective: delight-customers
    owner: CX Analyst
    kind: leading
    unit: count
    direction: lower
    measure: {{column: nps_score, aggregate: count, where: "nps_score <= 6"}}
    target: {{max: 40}}
    weight: 0   # an input of nps

  # --- learning -------------------------------------------------------------------
  - id: csat_answers
    name: CSAT survey answers
    description: Number of tickets whose customer answered the CSAT survey.
    objective: hear-customers
    owner: CX Analyst
    kind: leading
    unit: count
    measure: {{column: csat, aggregate: count}}
    target: {{min: 150}}
    weight: 0   # an input of csat

  - id: nps_responses
    name: NPS survey answers
    description: Number of tickets whose customer answered the NPS question.
    objective: hear-customers
    owner: CX Analyst
    kind: leading
    unit: count
    measure: {{column: nps_score, aggregate: count}}
    target: {{min: 150}}
    weight: 0   # an input of nps

  # --- internal -------------------------------------------------------------------
  - id: resolution_time
    name: Median resolution time
    description: Median hours from ticket creation to its final close.
    objective: resolve-fast
    owner: Head of Support Operations
    kind: lagging
    unit: hours
    direction: lower
    measure: {{column: resolution_hours, aggregate: median}}
    baseline: {{value: {resolution_2026_01:.1f}, period: 2026-01}}
    target: {{change: -20%, due: 2026-12}}

  - id: email_first_response
    name: Email first response time (p90)
    description: Minutes within which 90% of email tickets get a first human reply.
    objective: resolve-fast
    owner: Email Team Lead
    kind: leading
    unit: minutes
    direction: lower
    measure: {{column: first_response_minutes, aggregate: p90, where: "channel == 'email'"}}
    baseline: {{value: {email_p90_2026_01:.0f}, period: 2026-01}}
    target: {{value: 240, due: 2026-12}}

  - id: reopen_rate
    name: Ticket reopen rate
    description: Share of closed tickets that the customer had to reopen.
    objective: resolve-fast
    owner: Quality Coach
    kind: leading
    unit: percent
    direction: lower
    formula: 100 * reopened_tickets / tickets_resolved
    target: {{max: 7.5}}

  - id: reopened_tickets
    name: Reopened tickets
    description: Closed tickets reopened by the customer; each one is handled and paid twice.
    objective: efficient-support
    owner: Quality Coach
    kind: leading
    unit: count
    direction: lower
    measure: {{column: reopened, aggregate: sum}}
    target: {{max: 80}}
    weight: 0   # an input of reopen_rate

  - id: tickets_resolved
    name: Tickets resolved
    description: Number of tickets closed in the month, all channels.
    objective: resolve-fast
    owner: Head of Support Operations
    kind: lagging
    unit: count
    measure: {{column: ticket_id, aggregate: count}}
    target: {{min: 700}}

  # --- financial ------------------------------------------------------------------
  - id: support_cost
    name: Monthly support cost
    description: Fully loaded cost of handling all tickets closed this month.
    objective: efficient-support
    owner: Finance Business Partner
    kind: lagging
    unit: currency:EUR
    direction: lower
    measure: {{column: cost, aggregate: sum}}
    target: {{max: 8000}}

  - id: cost_per_ticket
    name: Cost per resolved ticket
    description: Support cost divided by the number of tickets resolved.
    objective: efficient-support
    owner: Finance Business Partner
    kind: lagging
    unit: currency:EUR
    direction: lower
    formula: support_cost / tickets_resolved
    baseline: {{value: {cost_per_ticket_2026_01:.2f}, period: 2026-01}}
    target: {{value: 10.5, due: 2026-12}}
"""


def support(rng: np.random.Generator) -> ExampleSet:
    data, facts = build_support(rng)
    return ExampleSet("support", "tickets", "Tickets", data, SUPPORT_YAML.format(**facts))


# --------------------------------------------------------------------------- sales

# 25 representatives: (name, region, monthly revenue target in 2026, EUR).
SALES_REPS = [
    ("Anna", "DACH", 62000), ("Lukas", "DACH", 55000), ("Mia", "DACH", 48000),
    ("Felix", "DACH", 44000), ("Hannah", "DACH", 38000),
    ("Sophie", "Benelux", 58000), ("Daan", "Benelux", 52000), ("Emma", "Benelux", 46000),
    ("Lars", "Benelux", 41000), ("Julia", "Benelux", 36000),
    ("Oscar", "Nordics", 60000), ("Freja", "Nordics", 50000), ("Elias", "Nordics", 47000),
    ("Astrid", "Nordics", 42000), ("Nils", "Nordics", 37000),
    ("Camille", "France", 61000), ("Louis", "France", 53000), ("Manon", "France", 49000),
    ("Hugo", "France", 45000), ("Chloe", "France", 40000),
    ("Lucia", "Iberia", 57000), ("Mateo", "Iberia", 51000), ("Carmen", "Iberia", 46000),
    ("Diego", "Iberia", 43000), ("Ines", "Iberia", 39000),
]
SALES_KPIS = ["Revenue", "Deals won", "Win rate", "Pipeline coverage"]


def build_sales(rng: np.random.Generator) -> pd.DataFrame:
    """Long layout: one row per month, representative and KPI, with per-rep targets."""
    months = _months()
    n_m, n_r = len(months), len(SALES_REPS)
    target_2026 = np.array([t for _, _, t in SALES_REPS], dtype=float)
    assert target_2026.sum() == 1_200_000
    year = np.array([p.year for p in months])
    rev_target = np.where(year[:, None] == 2026, target_2026, np.round(target_2026 * 0.9, -3))
    skill = rng.normal(1.0, 0.1, n_r)
    season = _season(months, {1: 0.85, 3: 1.12, 6: 1.12, 7: 0.92, 8: 0.8, 9: 1.12, 12: 1.1})
    revenue = rev_target * skill * season[:, None] * np.exp(rng.normal(0, 0.16, (n_m, n_r)))
    # Calibrate the team: 2026-10 at 94% of target, 2026 YTD (Jan-Oct) at 12.25M.
    is_2026 = year == 2026
    revenue[-1] *= 0.94 * rev_target[-1].sum() / revenue[-1].sum()
    ytd_before = revenue[is_2026][:-1].sum()
    revenue[is_2026 & (np.arange(n_m) < n_m - 1)] *= (12_250_000 - revenue[-1].sum()) / ytd_before
    revenue = np.round(revenue)

    deal_size = rng.uniform(8000, 13000, n_r)
    deals_target = np.maximum(np.round(rev_target / 9500), 2)
    deals = np.maximum(np.round(revenue / (deal_size * np.exp(rng.normal(0, 0.12, (n_m, n_r))))),
                       1)
    want = round(float(0.85 * deals_target[-1].sum()))
    deals[-1] = np.maximum(_round_sum(deals[-1], want), 1)

    win_base = rng.normal(0, 3.0, n_r)
    win_team = _path({"2025-01": 22.5, "2025-12": 24.0, "2026-04": 26.0, "2026-10": 29.4}, months)
    win_team[:-1] += rng.normal(0, 0.6, n_m - 1)
    win = win_base + rng.normal(0, 2.5, (n_m, n_r))
    win = np.clip(win - win.mean(axis=1, keepdims=True) + win_team[:, None], 8, 60)
    win[-1] += win_team[-1] - win[-1].mean()
    win = np.round(win, 1)

    cov_team = _path({"2025-01": 3.3, "2025-12": 3.1, "2026-06": 3.0, "2026-10": 2.85}, months)
    cov_team[:-1] += rng.normal(0, 0.08, n_m - 1)
    cov = rng.normal(0, 0.35, n_r) + rng.normal(0, 0.25, (n_m, n_r))
    cov = np.clip(cov - cov.mean(axis=1, keepdims=True) + cov_team[:, None], 1.2, 6)
    cov[-1] += cov_team[-1] - cov[-1].mean()
    cov = np.round(cov, 2)

    rows = []
    for i, period in enumerate(months):
        for r, (rep, region, _) in enumerate(SALES_REPS):
            label = str(period)
            rows.append((label, rep, region, "Revenue", revenue[i, r], rev_target[i, r]))
            rows.append((label, rep, region, "Deals won", deals[i, r], deals_target[i, r]))
            rows.append((label, rep, region, "Win rate", win[i, r], np.nan))
            rows.append((label, rep, region, "Pipeline coverage", cov[i, r], np.nan))
    frame = pd.DataFrame(rows, columns=["month", "rep", "region", "kpi", "value", "target"])
    whole = frame["kpi"].isin(["Revenue", "Deals won"])
    frame["value"] = frame["value"].astype(object)
    frame.loc[whole, "value"] = frame.loc[whole, "value"].astype(int)
    frame["target"] = pd.array(frame["target"], dtype="Int64")
    return frame


def _sales_yaml(frame: pd.DataFrame) -> str:
    win = frame[(frame["kpi"] == "Win rate") & (frame["month"] == "2025-12")]["value"]
    win_base = float(pd.to_numeric(win).mean())
    targets = "\n".join(
        f"        {rep}: {12 * t // 1000}k" for rep, _, t in SALES_REPS
    )
    return SALES_YAML.format(win_2025_12=win_base, rep_year_targets=targets)


SALES_YAML = """\
# Sales team scorecard: 25 representatives, one row per month, rep and KPI (long layout).
# Run: kpi report examples/sales/kpis.yaml --by rep   (one ranked row per representative)
version: 1
title: Sales Team Scorecard
period: month
data:
  path: sales.csv
  date_column: month
  layout: long
  kpi_column: kpi
  value_column: value
  target_column: target       # monthly revenue and deal targets per representative

objectives:
  - id: grow-revenue
    title: Grow revenue to 14.4M EUR in 2026
    perspective: financial
    owner: Sales Director
  - id: win-customers
    title: Win more of the customers we pitch to
    perspective: customer
    owner: Head of Sales
  - id: healthy-pipeline
    title: Keep a pipeline that covers the coming quarter
    perspective: internal
    owner: Sales Operations Manager

kpis:
  - id: revenue
    name: Monthly revenue
    description: Revenue booked in the month from deals won.
    objective: grow-revenue
    owner: Sales Director
    kind: lagging
    unit: currency:EUR
    direction: higher
    measure: {{column: Revenue, aggregate: sum}}
    # The target is the per-representative monthly target in the data's target column.
    weight: 2

  - id: revenue_ytd
    name: Revenue year to date
    description: Revenue booked since January against the annual plan, pro-rated by month.
    objective: grow-revenue
    owner: Sales Director
    kind: lagging
    unit: currency:EUR
    direction: higher
    measure: {{column: Revenue, aggregate: sum}}
    accumulate: ytd
    target: {{value: 14.4M, per: year}}
    targets_by:               # annual plan per representative, for --by rep
      rep:
{rep_year_targets}
    weight: 2

  - id: avg_deal_size
    name: Average deal size
    description: Revenue divided by the number of deals won in the month.
    objective: grow-revenue
    owner: Sales Director
    kind: leading
    unit: currency:EUR
    direction: higher
    formula: revenue / deals_won
    target: {{min: 9000}}

  - id: deals_won
    name: Deals won
    description: Number of deals closed as won in the month.
    objective: win-customers
    owner: Head of Sales
    kind: lagging
    unit: count
    direction: higher
    measure: {{column: Deals won, aggregate: sum}}
    # The target is the per-representative monthly deal target in the data's target column.

  - id: win_rate
    name: Win rate
    description: Share of closed opportunities that were won, averaged over representatives.
    objective: win-customers
    owner: Head of Sales
    kind: leading
    unit: percent
    direction: higher
    measure: {{column: Win rate, aggregate: mean}}
    baseline: {{value: {win_2025_12:.1f}, period: 2025-12}}
    target: {{value: 30, due: 2026-12}}

  - id: pipeline_coverage
    name: Pipeline coverage
    description: Open pipeline value divided by the quota of the next three months.
    objective: healthy-pipeline
    owner: Sales Operations Manager
    kind: leading
    unit: ratio
    direction: higher
    measure: {{column: Pipeline coverage, aggregate: mean}}
    target: {{min: 3}}
"""


def sales(rng: np.random.Generator) -> ExampleSet:
    frame = build_sales(rng)
    return ExampleSet("sales", "sales", "Sales", frame, _sales_yaml(frame))


# --------------------------------------------------------------------------- ecommerce-cx


def build_ecommerce(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """Weekly CX tracker (one row per week); monthly means follow designed paths."""
    months = _months()
    weeks = pd.date_range("2025-01-06", "2026-10-26", freq="W-MON")
    month_of = weeks.to_period("M")
    idx = np.array([(p - months[0]).n for p in month_of])
    n_m, n_w = len(months), len(weeks)

    def monthly(levels: dict[str, float], noise: float, decimals: int, week_noise: float,
                seasonal: dict[int, float] | None = None) -> np.ndarray:
        level = _path(levels, months) + _bump(months, seasonal or {})
        level[:-2] += rng.normal(0, noise, n_m - 2)  # 2026-09 and 2026-10 exactly as designed
        weekly = level[idx] + rng.normal(0, week_noise, n_w)
        for m in range(n_m):  # each month's weekly mean equals its level
            sel = idx == m
            weekly[sel] += level[m] - weekly[sel].mean()
        return np.round(weekly, decimals)

    orders = np.round(
        (2400 + 25 * idx) * _season(months, {11: 1.45, 12: 1.6, 1: 0.9, 8: 0.9})[idx]
        * np.exp(rng.normal(0, 0.06, n_w))
    ).astype(int)
    frame = pd.DataFrame(
        {
            "week_start": weeks.date,
            "orders": orders,
            "repeat_purchase_rate": monthly(
                {"2025-01": 27.0, "2025-12": 29.0, "2026-10": 31.4}, 0.5, 1, 1.2, {12: -1.5}),
            "return_rate": monthly(
                {"2025-01": 8.2, "2025-12": 8.8, "2026-06": 9.0, "2026-10": 9.4}, 0.25, 1, 0.5,
                {1: 1.2}),
            "nps": monthly({"2025-01": 26.0, "2025-12": 29.0, "2026-09": 31.0, "2026-10": 35.2},
                           1.5, 1, 3.0),
            "csat": monthly({"2025-01": 84.0, "2025-07": 85.5, "2026-02": 85.8, "2026-07": 84.4,
                             "2026-09": 85.3, "2026-10": 86.1}, 0.5, 1, 1.0),
            "avg_resolution_hours": monthly(
                {"2025-01": 24.5, "2025-12": 22.5, "2026-09": 21.6, "2026-10": 21.2}, 0.5, 1, 1.2,
                {12: 1.5, 1: 1.0}),
        }
    )
    sep = frame[pd.to_datetime(frame["week_start"]).dt.to_period("M") == pd.Period("2026-09")]
    facts = {
        "nps_2026_09": float(sep["nps"].mean()),
        "resolution_2026_09": float(sep["avg_resolution_hours"].mean()),
    }
    return frame, facts


ECOMMERCE_YAML = """\
# E-commerce customer experience: raise NPS by 10 points in the next quarter, keep CSAT
# at 85% or higher, cut average resolution time by 20% in six months.
# Data: one row per week in cx-weekly.csv (also cx-weekly.xlsx); weeks roll up to months.
# Run: kpi report        (in this folder; the latest month with data is 2026-10)
version: 1
title: E-commerce Customer Experience
period: month
data:
  path: cx-weekly.csv
  date_column: week_start
  layout: records

objectives:
  - id: loyal-customers
    title: Turn buyers into loyal promoters
    perspective: customer
    owner: Head of Customer Experience
  - id: satisfied-customers
    title: Keep every customer satisfied
    perspective: customer
    owner: Customer Care Manager
  - id: fast-service
    title: Resolve customer issues faster
    perspective: internal
    owner: Customer Care Manager

kpis:
  - id: nps
    name: Net Promoter Score (NPS)
    description: Percent promoters minus percent detractors in the post-purchase survey.
    objective: loyal-customers
    owner: Head of Customer Experience
    kind: leading
    unit: points
    direction: higher
    measure: {{column: nps, aggregate: mean}}
    baseline: {{value: {nps_2026_09:.1f}, period: 2026-09}}
    target: {{change: +10, due: 2026-12}}     # +10 points in the next quarter
    weight: 2

  - id: repeat_purchase_rate
    name: Repeat purchase rate
    description: Share of orders placed by customers who had ordered before.
    objective: loyal-customers
    owner: CRM Manager
    kind: lagging
    unit: percent
    direction: higher
    measure: {{column: repeat_purchase_rate, aggregate: mean}}
    target: {{min: 30}}

  - id: csat
    name: Customer satisfaction (CSAT)
    description: Share of support survey answers rating 4 or 5 out of 5.
    objective: satisfied-customers
    owner: Customer Care Manager
    kind: lagging
    unit: percent
    direction: higher
    measure: {{column: csat, aggregate: mean}}
    target: {{min: 85}}                       # 85% or higher, every month
    weight: 2

  - id: return_rate
    name: Order return rate
    description: Share of shipped orders that customers sent back.
    objective: satisfied-customers
    owner: Fulfilment Manager
    kind: leading
    unit: percent
    direction: lower
    measure: {{column: return_rate, aggregate: mean}}
    target: {{max: 9}}

  - id: resolution_time
    name: Average resolution time
    description: Mean hours from a customer contact to its resolution.
    objective: fast-service
    owner: Customer Care Manager
    kind: leading
    unit: hours
    direction: lower
    measure: {{column: avg_resolution_hours, aggregate: mean}}
    baseline: {{value: {resolution_2026_09:.1f}, period: 2026-09}}
    target: {{change: -20%, due: 2027-03}}    # -20% in six months
"""


def ecommerce(rng: np.random.Generator) -> ExampleSet:
    frame, facts = build_ecommerce(rng)
    return ExampleSet("ecommerce-cx", "cx-weekly", "Weekly", frame, ECOMMERCE_YAML.format(**facts))


SETS: dict[str, Callable[[np.random.Generator], ExampleSet]] = {
    "ecommerce-cx": ecommerce,
    "sales": sales,
    "support": support,
}


# --------------------------------------------------------------------------- writers


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str) -> None:
    """One sheet, header in row 1, same values as the CSV; fixed timestamps in the zip."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "kpicli examples/generate.py"
    wb.properties.created = FIXED_TIME
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    for i, col in enumerate(frame.columns):
        width = max(len(col), *(len(str(v)) for v in frame[col].head(200))) + 2
        ws.column_dimensions[_letter(i)].width = min(width, 24)
    bold = Font(bold=True)
    header = []
    for col in frame.columns:
        cell = WriteOnlyCell(ws, value=col)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    columns = [frame[c].tolist() for c in frame.columns]
    for row in zip(*columns, strict=True):
        ws.append([None if v is pd.NA or (isinstance(v, float) and v != v) else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times and a fixed modified date in docProps/core.xml."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zout.writestr(entry, body)
    return out.getvalue()


def generate(name: str, out_dir: Path) -> list[Path]:
    """Write one example set (kpis.yaml, <stem>.csv, <stem>.xlsx) into ``out_dir``."""
    example = SETS[name](np.random.default_rng(SEED))
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"{example.stem}.csv"
    xlsx = out_dir / f"{example.stem}.xlsx"
    yml = out_dir / "kpis.yaml"
    write_csv(example.frame, csv)
    write_xlsx(example.frame, xlsx, example.sheet)
    yml.write_bytes(example.yaml.encode("utf-8"))
    return [yml, csv, xlsx]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"sets to write: {', '.join(SETS)} (default: all)")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder that receives one sub-folder per set (default: examples/)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SETS))
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; choose from {', '.join(SETS)}")
    for name in args.names or list(SETS):
        for path in generate(name, args.out / name):
            print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
