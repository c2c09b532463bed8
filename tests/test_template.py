"""`kpi template`: the data-entry workbook, and `kpi report --data entry.xlsx` reading it back.

Round trip: template -> values typed with openpyxl -> report -> exactly those numbers, and the
statuses the SPEC arithmetic gives for them (computed by hand in each test).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from external import missing
from openpyxl import load_workbook

import kpicli.cli  # noqa: F401 - registers every command
from kpicli import api
from kpicli.engine.template import _bounds, entry_periods
from kpicli.model.entry_layout import DATA_SHEET, INSTRUCTIONS_SHEET, MARKER_SHEET
from kpicli.writers.template import write_template
from tests.helpers import invoke, write_kpis

ROOT = Path(__file__).resolve().parent.parent
SALES = ROOT / "examples" / "sales"

# `data:` describes the team's usual records CSV (absent here): a template ignores it.
KPIS = """\
version: 1
title: Team scorecard
period: month
data: {path: usual.csv, layout: records, date_column: day, sheet: Export}
objectives:
  - {id: serve, title: Serve customers well}
kpis:
  - id: csat
    name: "-Customer satisfaction"
    objective: serve
    owner: '=HYPERLINK("http://x","owner")'
    unit: percent
    measure: {column: CSAT, aggregate: mean}
    target: {min: 85}
  - id: revenue
    name: Revenue
    objective: serve
    owner: Sales
    unit: currency:EUR
    measure: {column: Revenue, aggregate: sum}
    target: 100000
    targets_by: {team: {North: 60000, South: 40000}}
  - id: tickets
    name: Tickets handled
    objective: serve
    unit: count
    direction: lower
    measure: {column: Tickets, aggregate: sum}
    target: {max: 500}
  - id: revenue_per_ticket
    name: Revenue per ticket
    unit: currency:EUR
    formula: revenue / tickets
    target: 250
  - id: answers
    name: Survey answers
    unit: count
    measure: {column: answer, aggregate: count}
    target: {min: 100}
"""
TODAY = dt.date(2026, 11, 30)




@pytest.fixture
def kpis(tmp_path: Path) -> Path:
    path = write_kpis(tmp_path, KPIS)
    return path


def fill(path: Path, values: dict[tuple[str, str | None], list[float | None]]) -> None:
    """Type values into the Data entry sheet: (KPI label, member) -> one per period column."""
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    first = header.index("Target (kpis.yaml)") + 2
    member_col = 2 if header[1] not in ("KPI title",) else None
    for row in ws.iter_rows(min_row=2):
        key = (row[0].value, row[member_col - 1].value if member_col else None)
        for j, v in enumerate(values.get(key, [])):
            ws.cell(row=row[0].row, column=first + j, value=v)
    wb.save(path)


def report(kpis: Path, entry: Path, *args: str) -> dict:
    code, out, err = invoke("report", str(kpis), "--data", str(entry), "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def test_workbook_layout_formats_and_validation(kpis: Path, tmp_path: Path) -> None:
    plan = api.template_plan(kpis, periods="2026-01..2026-03", today=TODAY)
    out = tmp_path / "entry.xlsx"
    write_template(plan, out, today=TODAY)
    wb = load_workbook(out)
    assert wb.sheetnames == [DATA_SHEET, INSTRUCTIONS_SHEET, MARKER_SHEET]
    assert wb[MARKER_SHEET].sheet_state == "hidden"
    ws = wb[DATA_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["KPI", "KPI title", "Unit", "Owner", "Target (kpis.yaml)",
                       "2026-01", "2026-02", "2026-03"]
    # One row per typed series; the formula and the row-counting KPI are left out.
    assert [r[0] for r in rows[1:]] == ["CSAT", "Revenue", "Tickets"]
    assert {s.kpi for s in plan.skipped} == {"revenue_per_ticket", "answers"}
    # Text from the KPI file is never a formula: = and - are quoted.
    assert rows[1][1] == "'-Customer satisfaction"
    assert rows[1][3] == "'=HYPERLINK(\"http://x\",\"owner\")"
    assert [r[4] for r in rows[1:]] == ["≥ 85.0%", "€100,000", "≤ 500"]
    assert ws.freeze_panes == "F2"
    assert ws["F2"].number_format == '0.0"%"'
    assert ws["H3"].number_format.startswith('"€"')
    assert ws["G4"].number_format == "#,##0"
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            rules[ref] = (dv.type, dv.operator, dv.formula1, dv.formula2)
    assert rules["F2:H2"] == ("decimal", "between", "0", "100")  # percent
    assert rules["F3:H3"][:2] == ("decimal", "between")  # any number
    assert float(rules["F3:H3"][2]) < -1e300 and float(rules["F3:H3"][3]) > 1e300
    assert rules["F4:H4"] == ("decimal", "greaterThanOrEqual", "0", None)  # counts
    text = "\n".join(str(c.value) for c in wb[INSTRUCTIONS_SHEET]["A"] if c.value)
    assert "revenue_per_ticket: computed by kpicli from its formula" in text
    assert f"kpi report {kpis} --data <this file>" in text


def test_round_trip_exact_numbers_and_statuses(kpis: Path, tmp_path: Path) -> None:
    out = tmp_path / "entry.xlsx"
    code, _, err = invoke("template", str(kpis), "-o", str(out), "--periods", "2026-01..2026-03")
    assert code == 0, err
    assert "not in the template: answers" in err
    fill(out, {
        ("CSAT", None): [80, 86.5, 90],
        ("Revenue", None): [90000, 95000.5, 101000],
        ("Tickets", None): [520, 480, 450],
    })
    doc = report(kpis, out)
    assert doc["period"] == "2026-03"
    got = {k["id"]: (k["actual"], k["status"]) for k in doc["kpis"]}
    assert got["csat"] == (90.0, "met")
    assert got["revenue"] == (101000.0, "met")
    assert got["tickets"] == (450.0, "met")
    # The formula KPI is computed from the typed inputs: 101000 / 450.
    assert doc["kpis"][3]["actual"] == pytest.approx(101000 / 450, abs=1e-9)
    doc = report(kpis, out, "--period", "2026-01")
    got = {k["id"]: (k["actual"], k["status"], k["attainment"]) for k in doc["kpis"]}
    # 80 below the band's 85: 80/85 = 0.941 >= 0.9 -> at_risk; 90000/100000 = 0.9 -> at_risk;
    # 520 above the max 500: 500/520 = 0.9615 -> at_risk.
    assert got["csat"] == (80.0, "at_risk", pytest.approx(80 / 85, abs=1e-9))
    assert got["revenue"] == (90000.0, "at_risk", pytest.approx(0.9, abs=1e-12))
    assert got["tickets"] == (520.0, "at_risk", pytest.approx(500 / 520, abs=1e-9))
    doc = report(kpis, out, "--period", "2026-02")
    assert {k["id"]: k["actual"] for k in doc["kpis"]}["revenue"] == 95000.5


def test_round_trip_by_member_from_targets_by(kpis: Path, tmp_path: Path) -> None:
    out = tmp_path / "entry.xlsx"
    code, _, err = invoke("template", str(kpis), "-o", str(out), "--periods", "2026-02..2026-03",
                       "--by", "team")
    assert code == 0, err
    assert "members of team: the keys of targets_by.team" in err  # usual.csv does not exist
    wb = load_workbook(out)
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]][:3] == ["KPI", "team", "KPI title"]
    assert [(r[0].value, r[1].value, r[5].value) for r in ws.iter_rows(min_row=2)] == [
        ("CSAT", "North", "≥ 85.0%"), ("CSAT", "South", "≥ 85.0%"),
        ("Revenue", "North", "€60,000 (targets_by.team)"),
        ("Revenue", "South", "€40,000 (targets_by.team)"),
        ("Tickets", "North", "≤ 500"), ("Tickets", "South", "≤ 500"),
    ]
    assert ws.freeze_panes == "G2"
    fill(out, {
        ("CSAT", "North"): [88, 84], ("CSAT", "South"): [92, 90],
        ("Revenue", "North"): [61000, 57000], ("Revenue", "South"): [39000, 45000],
        ("Tickets", "North"): [200, 260], ("Tickets", "South"): [210, 230],
    })
    doc = report(kpis, out, "--by", "team")
    assert doc["period"] == "2026-03"
    got = {(k["id"], k["group"]): (k["actual"], k["target"], k["status"]) for k in doc["kpis"]}
    # Overall: CSAT mean (84 + 90) / 2 = 87 met; revenue 57000 + 45000 = 102000 >= 100000 met;
    # tickets 260 + 230 = 490 <= 500 met.
    assert got[("csat", None)] == (87.0, 85.0, "met")
    assert got[("revenue", None)] == (102000.0, 100000.0, "met")
    assert got[("tickets", None)] == (490.0, 500.0, "met")
    # North: 57000 / 60000 = 0.95 -> at_risk; South: 45000 >= 40000 met; CSAT North 84/85.
    assert got[("revenue", "North")] == (57000.0, 60000.0, "at_risk")
    assert got[("revenue", "South")] == (45000.0, 40000.0, "met")
    assert got[("csat", "North")] == (84.0, 85.0, "at_risk")


def test_sales_example_members_from_the_data_and_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "sales-entry.xlsx"
    code, _, err = invoke("template", str(SALES / "kpis.yaml"), "-o", str(out), "--periods",
                       "2026-01..2026-02", "--by", "rep")
    assert code == 0, err
    # Data files are named from the working directory, like every finding and message.
    from kpicli.paths import shown_path

    shown = shown_path(SALES / "sales.csv")
    assert f"members of rep: the distinct values in the data ({shown})" in err
    ws = load_workbook(out)[DATA_SHEET]
    reps = sorted({r[1].value for r in ws.iter_rows(min_row=2)})
    assert len(reps) == 25 and "Anna" in reps
    labels = [r[0].value for r in ws.iter_rows(min_row=2)]
    # revenue and revenue_ytd share the Revenue series; avg_deal_size is a formula.
    assert sorted(set(labels)) == ["Deals won", "Pipeline coverage", "Revenue", "Win rate"]
    assert len(labels) == 4 * 25
    values = {}
    for i, rep in enumerate(reps):
        values[("Revenue", rep)] = [50000 + i, 60000 + i]
        values[("Deals won", rep)] = [5, 6]
        values[("Win rate", rep)] = [25.5, 31]
        values[("Pipeline coverage", rep)] = [2.5, 3.25]
    fill(out, values)
    doc = report(SALES / "kpis.yaml", out, "--by", "rep")
    got = {(k["id"], k["group"]): k["actual"] for k in doc["kpis"]}
    assert doc["period"] == "2026-02"
    # sum over 25 reps of 60000 + i (i = 0..24) = 1,500,000 + 300
    assert got[("revenue", None)] == 1_500_300.0
    assert got[("revenue_ytd", None)] == 1_500_300.0 + 1_250_300.0
    assert got[("deals_won", None)] == 150.0
    assert got[("win_rate", None)] == 31.0
    assert got[("avg_deal_size", None)] == pytest.approx(1_500_300 / 150, abs=1e-9)
    assert got[("revenue", "Anna")] == 60000.0 + reps.index("Anna")
    assert got[("pipeline_coverage", "Anna")] == 3.25


def test_default_periods_are_the_fiscal_year_of_today() -> None:
    assert entry_periods(None, "month", 1, TODAY)[0] == [f"2026-{m:02d}" for m in range(1, 13)]
    labels, why = entry_periods(None, "month", 4, TODAY)
    assert labels[0] == "2026-04" and labels[-1] == "2027-03" and len(labels) == 12
    assert "fiscal year of today (2026-11-30)" in why
    assert entry_periods(None, "quarter", 4, TODAY)[0] == [
        "FY2027-Q1", "FY2027-Q2", "FY2027-Q3", "FY2027-Q4"
    ]
    assert entry_periods("2026", "quarter", 1, TODAY)[0] == [
        "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"
    ]
    assert entry_periods("2026-W51..2027-W02", "week", 1, TODAY)[0] == [
        "2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02"
    ]


def test_fiscal_quarter_headers_read_back(tmp_path: Path) -> None:
    path = write_kpis(
        tmp_path, KPIS.replace("period: month", "period: quarter\nfiscal_year_start: 4")
    )
    out = tmp_path / "entry.xlsx"
    write_template(api.template_plan(path, today=TODAY), out, today=TODAY)
    fill(out, {("Revenue", None): [100, 200, 300, 400]})
    doc = report(path, out, "--period", "FY2027-Q2")
    assert {k["id"]: k["actual"] for k in doc["kpis"]}["revenue"] == 200.0


def test_range_of_a_kpi_overrides_the_percent_bounds() -> None:
    # Read with getattr: works whether or not this version's KPI model has `range`.
    assert _bounds(SimpleNamespace(range=[-5, 5], is_percent=True, unit="percent")) == (-5, 5)
    assert _bounds(SimpleNamespace(range=(None, 1e6), is_percent=False, unit="EUR")) == (None, 1e6)
    band = SimpleNamespace(min=0.5, max=2.0)
    assert _bounds(SimpleNamespace(range=band, is_percent=True, unit="percent")) == (0.5, 2.0)
    assert _bounds(SimpleNamespace(range=None, is_percent=True, unit="percent")) == (0, 100)
    assert _bounds(SimpleNamespace(is_percent=False, unit="count")) == (0, None)
    assert _bounds(SimpleNamespace(is_percent=False, unit="hours")) == (None, None)


def test_errors_exit_2(kpis: Path, tmp_path: Path) -> None:
    code, _, err = invoke("template", str(kpis), "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "*.xlsx" in err
    code, _, err = invoke("template", str(kpis), "-o", str(tmp_path / "x.xlsx"), "--periods",
                       "2026-12..2026-01")
    assert code == 2 and "end comes before the start" in err
    code, _, err = invoke("template", str(kpis), "-o", str(tmp_path / "x.xlsx"), "--periods",
                       "someday")
    assert code == 2 and "--periods 'someday'" in err
    code, _, err = invoke("template", str(kpis), "-o", str(tmp_path / "x.xlsx"), "--periods",
                       "2000-01..2099-12")
    assert code == 2 and "at most" in err
    code, _, err = invoke("template", str(kpis), "-o", str(tmp_path / "x.xlsx"), "--by", "region")
    assert code == 2 and "no members of 'region'" in err
    code, _, err = invoke("template", str(kpis), "-o", str(kpis.with_suffix(".xlsx")), "--by",
                       "region", "--members", "EU,US")
    assert code == 0, err
    assert not (tmp_path / "x.xlsx").exists()


def test_never_overwrites_the_data_it_read(tmp_path: Path) -> None:
    entry = tmp_path / "entry.xlsx"
    code, _, err = invoke("template", str(SALES / "kpis.yaml"), "-o", str(entry), "--by", "rep",
                       "--periods", "2026-01")
    assert code == 0, err
    before = entry.read_bytes()
    # The data named with --data is an input: writing over it is refused, the file survives.
    code, _, err = invoke("template", str(SALES / "kpis.yaml"), "-o", str(entry), "--by", "rep",
                       "--members", "Anna", "--data", str(entry))
    assert code == 2 and "input" in err
    assert entry.read_bytes() == before


def test_range_key_sets_the_validation_of_a_percent_kpi(tmp_path: Path) -> None:
    from kpicli.model.kpifile import KPI

    if "range" not in KPI.model_fields:
        pytest.skip("this KPI model has no range: key")
    path = write_kpis(
        tmp_path,
        KPIS.replace("    target: {min: 85}\n", "    target: {min: 85}\n    range: [-50, 150]\n"),
    )
    out = tmp_path / "entry.xlsx"
    write_template(api.template_plan(path, periods="2026-01", today=TODAY), out, today=TODAY)
    ws = load_workbook(out)[DATA_SHEET]
    rules = {str(dv.sqref): (dv.operator, dv.formula1, dv.formula2)
             for dv in ws.data_validations.dataValidation}
    assert rules["F2"] == ("between", "-50", "150")


def test_libreoffice_opens_saves_and_the_report_still_reads_it(kpis: Path, tmp_path: Path) -> None:
    """A filled template saved again by LibreOffice Calc keeps its layout, marker and numbers."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        missing("LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
    assert soffice is not None
    out = tmp_path / "entry.xlsx"
    write_template(api.template_plan(kpis, periods="2026-01..2026-03", today=TODAY), out,
                   today=TODAY)
    fill(out, {
        ("CSAT", None): [80, 86.5, 90],
        ("Revenue", None): [90000, 95000.5, 101000],
        ("Tickets", None): [520, 480, 450],
    })
    saved = tmp_path / "saved"
    saved.mkdir()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved),
         str(out)],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    again = saved / "entry.xlsx"
    assert again.exists(), proc.stdout + proc.stderr
    wb = load_workbook(again)
    assert wb.sheetnames[:2] == [DATA_SHEET, INSTRUCTIONS_SHEET]
    assert wb[MARKER_SHEET].sheet_state == "hidden"
    assert wb[DATA_SHEET].data_validations.dataValidation  # the validation survived
    doc = report(kpis, again)
    got = {k["id"]: (k["actual"], k["status"]) for k in doc["kpis"]}
    assert doc["period"] == "2026-03"
    assert got["csat"] == (90.0, "met")
    assert got["revenue"] == (101000.0, "met")
    assert got["tickets"] == (450.0, "met")
    doc = report(kpis, again, "--period", "2026-02")
    assert {k["id"]: k["actual"] for k in doc["kpis"]}["revenue"] == 95000.5
