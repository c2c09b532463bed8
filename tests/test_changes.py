"""What changed since the last period: previous_status, status_change, --changes, --fail-on
worsened, and the changes marks in every writer.

The previous statuses of the shipped examples are computed here independently, with plain
pandas and the SPEC §2 rules written out by hand, never through kpicli's engine.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from kpicli.api import read_table
from kpicli.definitions.load import load_kpi_file
from kpicli.engine.changes import status_change
from kpicli.engine.report import build_report
from kpicli.model.results import Report
from kpicli.writers.csvout import render_csv
from tests.helpers import invoke, write_csv, write_kpis

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STATUSES = ["met", "on_track", "at_risk", "off_track", "no_data"]
RANK = {"off_track": 0, "at_risk": 1, "on_track": 2, "met": 3}





def example_report(name: str, period: str | None = None, by: str | None = None) -> Report:
    defs = load_kpi_file(EXAMPLES / name / "kpis.yaml")
    model = defs.model
    assert model is not None and model.data is not None
    # As the command reads it (data files named from the working directory).
    table = read_table(defs)
    return build_report(model, table, period=period, by=by)


# --- the ordering rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ("off_track", "at_risk", "improved"),
        ("off_track", "met", "improved"),
        ("at_risk", "on_track", "improved"),
        ("on_track", "met", "improved"),
        ("met", "on_track", "worsened"),
        ("met", "off_track", "worsened"),
        ("on_track", "at_risk", "worsened"),
        ("at_risk", "off_track", "worsened"),
        ("met", "met", "unchanged"),
        ("at_risk", "at_risk", "unchanged"),
        ("no_data", "no_data", "unchanged"),
        ("no_data", "off_track", "new"),
        ("no_data", "met", "new"),
        (None, "at_risk", "new"),
        (None, "no_data", "unchanged"),
        ("met", "no_data", "worsened"),
        ("off_track", "no_data", "worsened"),
    ],
)
def test_status_change_table(previous: str | None, current: str, expected: str) -> None:
    assert status_change(previous, current) == expected  # type: ignore[arg-type]


@given(st.sampled_from(STATUSES[:4]), st.sampled_from(STATUSES[:4]))
def test_status_change_is_antisymmetric(a: str, b: str) -> None:
    there, back = status_change(a, b), status_change(b, a)  # type: ignore[arg-type]
    flip = {"improved": "worsened", "worsened": "improved", "unchanged": "unchanged"}
    assert back == flip[there]
    assert (there == "unchanged") == (a == b)


# --- independent statuses on the shipped examples -----------------------------------------------


def verdict(ratio: float, at_risk: float = 0.9) -> str:
    if ratio >= 1:
        return "on_track"
    return "at_risk" if ratio >= at_risk else "off_track"


def level_status(actual: float, target: float, higher: bool = True) -> str:
    """A level or band bound without a due period: met, else attainment vs 0.9."""
    if (actual >= target) if higher else (actual <= target):
        return "met"
    att = actual / target if higher else target / actual
    return "at_risk" if att >= 0.9 else "off_track"


def paced_status(actual: float, base: float, target: float, elapsed: int, span: int) -> str:
    """A time-bound target with a baseline, before its due period."""
    higher = target > base
    if (actual >= target) if higher else (actual <= target):
        return "met"
    progress = (actual - base) / (target - base)
    return verdict(progress / (elapsed / span))


def sales_statuses(month: str) -> dict[tuple[str, str | None], str]:
    """Every sales KPI, overall and per rep, for one month of 2026, from the CSV alone."""
    df = pd.read_csv(EXAMPLES / "sales" / "sales.csv")
    yaml_text = (EXAMPLES / "sales" / "kpis.yaml").read_text(encoding="utf-8")
    annual = {}
    for line in yaml_text.splitlines():
        part = line.strip()
        if part.endswith("k") and ": " in part and part.split(": ")[0].isalpha():
            rep, amount = part.split(": ")
            annual[rep] = float(amount[:-1]) * 1000
    m = int(month[-2:])
    out: dict[tuple[str, str | None], str] = {}
    groups: list[tuple[str | None, pd.DataFrame]] = [(None, df)]
    groups += list(df.groupby("rep"))  # type: ignore[arg-type]
    for rep, part in groups:
        now = part[part.month == month]
        by_kpi = now.groupby("kpi")
        rev, rev_t = by_kpi["value"].sum()["Revenue"], by_kpi["target"].sum()["Revenue"]
        deals, deals_t = by_kpi["value"].sum()["Deals won"], by_kpi["target"].sum()["Deals won"]
        out[("revenue", rep)] = level_status(rev, rev_t)
        out[("deals_won", rep)] = level_status(deals, deals_t)
        out[("avg_deal_size", rep)] = level_status(rev / deals, 9000.0)
        out[("pipeline_coverage", rep)] = level_status(
            now[now.kpi == "Pipeline coverage"].value.mean(), 3.0
        )
        out[("win_rate", rep)] = paced_status(
            now[now.kpi == "Win rate"].value.mean(), 24.2, 30.0, elapsed=m, span=12
        )
        ytd = part[(part.month >= "2026-01") & (part.month <= month) & (part.kpi == "Revenue")]
        plan = (14.4e6 if rep is None else annual[str(rep)]) / 12 * m
        out[("revenue_ytd", rep)] = level_status(ytd.value.sum(), plan)
    return out


def test_sales_previous_status_by_hand_overall_and_per_rep() -> None:
    rep = example_report("sales", by="rep")
    assert rep.period == "2026-10" and rep.previous_period == "2026-09"
    before, now = sales_statuses("2026-09"), sales_statuses("2026-10")
    assert len(rep.kpis) == 6 * 26 == len(before)
    for r in rep.kpis:
        key = (r.id, r.group)
        assert r.status == now[key], key
        assert r.previous_status == before[key], key
        a, b = RANK[before[key]], RANK[now[key]]
        expected = "improved" if b > a else ("worsened" if b < a else "unchanged")
        assert r.status_change == expected, key
    # The headline, by hand: revenue 1,391,090 of 1,200,000 in September (met) fell to
    # 1,127,999 (0.94: at risk); deals 133 of 126 (met) fell to 107 (0.85: off track).
    top = {r.id: r for r in rep.kpis if r.group is None}
    assert (top["revenue"].previous_status, top["revenue"].status) == ("met", "at_risk")
    assert (top["deals_won"].previous_status, top["deals_won"].status) == ("met", "off_track")
    assert top["win_rate"].status_change == "improved"
    assert top["pipeline_coverage"].status_change == "worsened"


def test_support_changes_by_hand() -> None:
    df = pd.read_csv(EXAMPLES / "support" / "tickets.csv", parse_dates=["closed_at"])
    df["month"] = df.closed_at.dt.strftime("%Y-%m")
    statuses = {}
    for month, elapsed in (("2026-09", 8), ("2026-10", 9)):
        m = df[df.month == month]
        # Median resolution time: baseline 32.1 in 2026-01, target -20% = 25.68 due 2026-12.
        res = m.resolution_hours.median()
        statuses[("resolution_time", month)] = paced_status(res, 32.1, 32.1 * 0.8, elapsed, 11)
        # Monthly support cost: sum of cost within max 8000.
        statuses[("support_cost", month)] = level_status(m.cost.sum(), 8000.0, higher=False)
        # NPS: 100*(promoters - detractors)/answers; baseline 27.3 in 2025-12, 40 due 2026-12.
        nps = m.nps_score.dropna()
        value = 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps)
        statuses[("nps", month)] = paced_status(value, 27.3, 40.0, elapsed + 1, 12)
    rep = example_report("support")
    got = {r.id: r for r in rep.kpis}
    for kid in ("resolution_time", "support_cost", "nps"):
        assert got[kid].previous_status == statuses[(kid, "2026-09")], kid
        assert got[kid].status == statuses[(kid, "2026-10")], kid
    assert (statuses[("resolution_time", "2026-09")], got["resolution_time"].status) == (
        "on_track",
        "at_risk",
    )
    assert got["support_cost"].status_change == "worsened"
    assert got["nps"].status_change == "improved"
    moved = {r.id: r.status_change for r in rep.kpis if r.status_change != "unchanged"}
    assert moved == {"nps": "improved", "resolution_time": "worsened", "support_cost": "worsened"}


@pytest.mark.parametrize("name", ["support", "sales", "ecommerce-cx"])
def test_previous_status_is_the_previous_periods_report(name: str) -> None:
    """The same rules, that period's target: exactly the status `--period` prev reports."""
    now = example_report(name, period="2026-06")
    before = example_report(name, period="2026-05")
    assert now.previous_period == "2026-05"
    then = {r.id: r.status for r in before.kpis}
    for r in now.kpis:
        assert r.previous_status == then[r.id]
        assert r.status_change == status_change(then[r.id], r.status)


def test_first_period_of_data_is_new() -> None:
    rep = example_report("ecommerce-cx", period="2025-01")
    assert rep.previous_period == "2024-12"
    assert {r.previous_status for r in rep.kpis} == {"no_data"}
    assert {r.status_change for r in rep.kpis} == {"new"}


# --- the command line -------------------------------------------------------------------------


SUPPORT = str(EXAMPLES / "support" / "kpis.yaml")


def test_changes_table_lists_only_what_moved() -> None:
    code, out, _ = invoke("report", SUPPORT, "--changes")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Customer Support Scorecard · status changes 2026-09 → 2026-10")
    assert "2 worsened, 1 improved" in lines[0]
    body = [ln for ln in lines if "worsened" in ln or "improved" in ln][1:]
    assert [ln.split()[1] for ln in body] == ["worsened", "worsened", "improved"]
    assert "Median resolution time" in body[0] and "on track" in body[0] and "at risk" in body[0]
    assert "Monthly support cost" in body[1]
    assert "Net Promoter Score (NPS)" in body[2]
    assert "CSAT" not in out  # unchanged KPIs are left out


def test_changes_markdown_json_csv() -> None:
    code, md, _ = invoke("report", SUPPORT, "--changes", "-f", "markdown")
    assert code == 0
    rows = [ln for ln in md.splitlines() if ln.startswith("| ↓") or ln.startswith("| ↑")]
    assert rows[0].startswith("| ↓ worsened | Median resolution time | on track | **at risk** |")
    assert len(rows) == 3
    code, js, _ = invoke("report", SUPPORT, "--changes", "-f", "json")
    doc = json.loads(js)
    assert doc["schema"] == "kpicli.changes/1"
    assert (doc["period"], doc["previous_period"]) == ("2026-10", "2026-09")
    assert doc["counts"] == {"worsened": 2, "improved": 1, "new": 0}
    assert [(c["id"], c["previous_status"], c["status"]) for c in doc["changes"]] == [
        ("resolution_time", "on_track", "at_risk"),
        ("support_cost", "at_risk", "off_track"),
        ("nps", "off_track", "on_track"),
    ]
    code, text, _ = invoke("report", SUPPORT, "--changes", "-f", "csv")
    rows2 = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows2] == ["resolution_time", "support_cost", "nps"]
    assert rows2[0]["status_change"] == "worsened"


def test_changes_with_by_lists_members() -> None:
    code, js, _ = invoke(
        "report", str(EXAMPLES / "sales" / "kpis.yaml"), "--by", "rep", "--changes", "-f", "json"
    )
    assert code == 0
    doc = json.loads(js)
    by_hand_before, by_hand_now = sales_statuses("2026-09"), sales_statuses("2026-10")
    moved = {k for k in by_hand_now if by_hand_now[k] != by_hand_before[k]}
    assert {(c["id"], c["group"]) for c in doc["changes"]} == moved
    kinds = [c["status_change"] for c in doc["changes"]]
    assert kinds == sorted(kinds, key=["worsened", "improved", "new"].index)


def test_fail_on_worsened() -> None:
    code, _, err = invoke("report", SUPPORT, "--fail-on", "worsened", "-f", "json")
    assert code == 1
    assert "2 KPI result(s) worsened since 2026-09" in err
    # March 2026: every support status as in February (hand-checked with --period 2026-02).
    code, _, _ = invoke("report", SUPPORT, "--fail-on", "worsened", "-p", "2026-03", "-f", "json")
    assert code == 0


def test_fail_on_worsened_counts_members() -> None:
    sales = str(EXAMPLES / "sales" / "kpis.yaml")
    # May 2026 overall: only an improvement; some representatives worsened.
    code, _, _ = invoke("report", sales, "--fail-on", "worsened", "-p", "2026-05", "-f", "json")
    assert code == 0
    code, _, err = invoke(
        "report", sales, "--by", "rep", "--fail-on", "worsened", "-p", "2026-05", "-f", "json"
    )
    assert code == 1 and "worsened since 2026-04" in err


def test_json_carries_both_fields() -> None:
    code, js, _ = invoke("report", SUPPORT, "-f", "json")
    assert code == 0
    doc = json.loads(js)
    assert doc["previous_period"] == "2026-09"
    for k in doc["kpis"]:
        assert k["previous_status"] in STATUSES
        assert k["status_change"] in ("improved", "worsened", "unchanged", "new")


def test_terminal_marks_changes_plain() -> None:
    code, out, _ = invoke("report", SUPPORT, "--no-color")
    assert code == 0
    line = next(ln for ln in out.splitlines() if "Median resolution time" in ln)
    assert "▲ at risk ← on track" in line
    line = next(ln for ln in out.splitlines() if "Customer satisfaction" in ln)
    assert "←" not in line
    assert "Since 2026-09: ↓ 2 worsened" in out
    assert "\x1b[" not in out


def test_markdown_and_csv_carry_changes() -> None:
    code, md, _ = invoke("report", SUPPORT, "-f", "markdown")
    assert "**Changes since 2026-09:**" in md
    assert "- ↓ worsened: **Median resolution time** (on track → at risk)" in md
    assert "| 🟡 at risk ← on track |" in md
    code, text, _ = invoke("report", SUPPORT, "-f", "csv")
    assert code == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["nps"]["previous_status"] == "off_track"
    assert rows["nps"]["status_change"] == "improved"
    # Appended after the older columns, so positional readers keep working.
    assert text.splitlines()[0].endswith(
        ",why,period_complete,period_coverage,previous_status,status_change"
    )


def test_xlsx_summary_changes_block(tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    code, _, err = invoke("report", SUPPORT, "-o", str(out))
    assert code == 0, err
    ws = load_workbook(out)["Summary"]
    col_a = [c.value for c in ws["A"]]
    start = col_a.index("Changes since 2026-09")
    header = col_a.index("KPI")
    assert start < header
    block = [
        (ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value)
        for r in range(start + 2, header)
        if ws.cell(r, 1).value
    ]
    assert block == [
        ("Median resolution time", "↓ worsened", "on track → at risk"),
        ("Monthly support cost", "↓ worsened", "at risk → off track"),
        ("Net Promoter Score (NPS)", "↑ improved", "off track → on track"),
    ]
    assert ws.freeze_panes == f"B{header + 2}"


def test_csv_writer_renders_the_fields_it_is_given() -> None:
    rep = example_report("ecommerce-cx")
    rows = list(csv.DictReader(io.StringIO(render_csv(rep))))
    assert [r["status_change"] for r in rows] == [r.status_change for r in rep.kpis]


def test_unwritable_extension_is_one_clear_error(tmp_path: Path) -> None:
    for name in ("review.pdf", "review.docx", "review"):
        code, out, err = invoke("report", SUPPORT, "-o", str(tmp_path / name))
        assert code == 2
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kpi: error: ")
        assert ".xlsx, .html, .htm, .json, .csv, .md" in lines[0]
        assert "--debug" not in lines[0]
        assert not (tmp_path / name).exists()


def test_txt_output_is_the_plain_table(tmp_path: Path) -> None:
    out = tmp_path / "review.txt"
    code, stdout, _ = invoke("report", SUPPORT, "-o", str(out))
    assert code == 0 and stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Customer Support Scorecard")
    assert "Median resolution time" in text and "\x1b[" not in text


def test_previous_period_of_a_partial_period_is_judged_whole(tmp_path: Path) -> None:
    """--period on an in-progress month pro-rates that month's target only: October is
    complete and is judged against the whole 300 (155 of 300 = 0.52: off track)."""
    import datetime as dt

    lines = ["date,orders"]
    d = dt.date(2026, 10, 1)
    while d <= dt.date(2026, 11, 5):
        lines.append(f"{d.isoformat()},{5 if d.month == 10 else 10}")
        d += dt.timedelta(days=1)
    write_csv(tmp_path, "\n".join(lines) + "\n", "daily.csv")
    kpis = write_kpis(
        tmp_path,
        "version: 1\nperiod: month\ndata: {path: daily.csv}\nkpis:\n"
        "  - id: orders\n    name: Orders placed per month\n    unit: count\n"
        "    measure: {column: orders, aggregate: sum}\n    target: 300\n",
    )
    code, out, err = invoke("report", str(kpis), "--period", "2026-11", "-f", "json")
    assert code == 0, err
    (k,) = json.loads(out)["kpis"]
    assert (k["actual"], k["status"]) == (50.0, "met")  # 50 of 300 x 5/30
    assert k["previous_status"] == "off_track"
    assert k["status_change"] == "improved"
