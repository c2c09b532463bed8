"""Reading workbooks into the Table: title rows, merged cells, formulas, percent formats, ODS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import BASELINE, COL, DATE, KPI, ROW, SRC, TARGET, VALUE
from kpicli.readers.files import read_data
from tests.helpers import new_sheet

DATA = Path(__file__).parent / "data"


def dates(frame: pd.DataFrame) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in frame[DATE]]


def by_rule(findings: list) -> dict[str, list]:  # type: ignore[type-arg]
    out: dict[str, list] = {}  # type: ignore[type-arg]
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_tracker_kpi_rows_melted_with_exact_values() -> None:
    t = read_data(["tracker.xlsx"], base_dir=DATA)
    f = t.frame
    src = t.sources[0]
    assert (src.path, src.sheet, src.kind, src.header_row, src.layout) == (
        "tracker.xlsx",
        "Tracker",
        "workbook",
        4,
        "kpi_rows",
    )
    assert t.layout == "long"
    assert list(f.columns) == [DATE, KPI, VALUE, TARGET, "Owner", "Unit", SRC, ROW, COL]
    got = list(
        zip(f[KPI], dates(f), f[VALUE].round(6).tolist(), f[TARGET], f[ROW], f[COL], strict=True)
    )
    nan = float("nan")
    expected = [
        ("Revenue", "2026-01-01", 95000.0, 100000.0, 5, "E"),
        ("Revenue", "2026-02-01", 110250.0, 100000.0, 5, "F"),  # "110,250" stored as text
        # G5 is a formula nobody calculated: missing (D608), never 0.
        ("CSAT", "2026-01-01", 82.0, 85.0, 6, "E"),  # 0.82 shown as 82%
        ("CSAT", "2026-02-01", 86.0, 85.0, 6, "F"),
        ("CSAT", "2026-03-01", 90.0, 85.0, 6, "G"),
        ("Churn rate", "2026-01-01", 4.0, 5.0, 7, "E"),  # Unit says percent: fractions x 100
        ("Churn rate", "2026-02-01", 6.0, 5.0, 7, "F"),
        ("Churn rate", "2026-03-01", nan, 5.0, 7, "G"),  # "tbd"
        ("Margin", "2026-01-01", nan, 1.5, 8, "E"),  # #DIV/0!
        ("Margin", "2026-02-01", 1.4, 1.5, 8, "F"),
        ("Tickets", "2026-01-01", 480.0, 500.0, 10, "E"),
        ("Tickets", "2026-02-01", 510.0, 500.0, 10, "F"),
        ("Tickets", "2026-03-01", 505.0, 500.0, 10, "G"),
        ("Tickets", "2026-04-01", 515.0, 500.0, 10, "H"),
    ]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[0] == e[0] and g[1] == e[1] and g[3:] == e[3:]
        assert (np.isnan(g[2]) and np.isnan(e[2])) or g[2] == e[2], (g, e)
    assert f["Owner"].iloc[0] == "Ann" and f["Unit"].iloc[2] == "%"
    assert t.native_grain == "month"
    assert t.target_label == "Target"
    assert src.columns["Feb 2026"] == "F" and src.columns[KPI] == "A"
    assert src.columns[TARGET] == "D"

    rules = by_rule(t.findings)
    assert sorted(rules) == ["D601", "D608"]
    (d608,) = rules["D608"]
    assert d608.location == "tracker.xlsx!Tracker!G5" and d608.severity == "warning"
    assert "Tracker!G5" in d608.message and "no calculated value" in d608.message
    churn, margin = rules["D601"]
    assert churn.location == "tracker.xlsx!Tracker!G7" and "'tbd'" in churn.message
    assert margin.location == "tracker.xlsx!Tracker!E8" and "'#DIV/0!'" in margin.message
    assert t.location(0, 7, col="G") == "tracker.xlsx!Tracker!G7"


def test_tracker_percent_kpi_from_the_model_and_a_declared_scale() -> None:
    model = KPIFile.model_validate(
        {
            "kpis": [
                {"id": "churn", "name": "Churn rate", "unit": "percent", "target": {"max": 5}},
                {"id": "tickets", "name": "Tickets", "unit": "count"},
            ]
        }
    )
    t = read_data(["tracker.xlsx"], base_dir=DATA, model=model)
    churn = t.frame[t.frame[KPI] == "Churn rate"]
    assert churn[VALUE].tolist()[:2] == [4.0, 6.0]
    assert churn[TARGET].tolist() == [5.0, 5.0, 5.0]


def test_records_sheet_after_a_notes_sheet() -> None:
    t = read_data(["records.xlsx"], base_dir=DATA)
    f = t.frame
    src = t.sources[0]
    assert (src.sheet, src.header_row, src.layout) == ("Tickets", 4, "records")
    assert src.columns == {
        "Closed": "B",
        "Team": "C",
        "Tickets": "D",
        "CSAT": "E",
        "Hours": "F",
        "Hours.1": "G",
    }
    assert list(f.columns) == [DATE, "Team", "Tickets", "CSAT", "Hours", "Hours.1", SRC, ROW]
    # A real date, a date, the Excel serial 46055, a datetime; "Feb 30th" is dropped (D607).
    assert dates(f) == ["2026-01-05", "2026-01-19", "2026-02-02", "2026-02-16"]
    assert f[ROW].tolist() == [5, 6, 7, 8]
    assert f["Team"].tolist() == ["North", "North", "South", "South"]  # C5:C6 merged
    assert f["Tickets"].tolist() == [120.0, 95.0, 1130.0, 101.0]  # "95" and "1,130" as text
    assert f["CSAT"].tolist() == pytest.approx([82.0, 78.0, 85.0, 80.0])  # 0% number format
    assert f["Hours"].tolist()[:3] == [30.5, 28.0, 27.25]  # "30,5": decimal comma
    assert np.isnan(f["Hours"].iloc[3])  # "n/a"
    assert f["Hours.1"].tolist() == [1.0, 2.0, 3.0, 4.0]
    rules = by_rule(t.findings)
    assert sorted(rules) == ["D607", "D608", "D609"]
    assert rules["D607"][0].location == "records.xlsx!Tickets!B9"
    assert "'Feb 30th'" in rules["D607"][0].message
    assert rules["D608"][0].location == "records.xlsx!Tickets!G10"
    assert rules["D609"][0].location == "records.xlsx!Tickets!G4"
    assert t.location(0, 7, "Tickets") == "records.xlsx!Tickets!D7"


def test_sheet_by_name_and_by_index() -> None:
    by_name = read_data(["records.xlsx"], DataSpec(sheet="tickets"), base_dir=DATA)
    assert by_name.sources[0].sheet == "Tickets"
    by_index = read_data(["records.xlsx"], DataSpec(sheet=1), base_dir=DATA)
    assert by_index.frame["Tickets"].tolist() == by_name.frame["Tickets"].tolist()


def test_placeholder_zero_of_uncalculated_formulas_is_not_a_value() -> None:
    t = read_data(["placeholder_formulas.xlsx"], base_dir=DATA)
    f = t.frame
    assert f["Orders"].tolist() == [10.0, 12.0]
    assert f["Total"].isna().all() and f["Total"].dtype == "float64"
    (d608,) = t.findings
    assert d608.rule == "D608" and d608.location == "placeholder_formulas.xlsx!Data!D2"
    assert "Data!D2, Data!D3" in d608.message


def test_ods_written_from_the_odf_package_rules() -> None:
    t = read_data(["small.ods"], base_dir=DATA)
    f = t.frame
    assert t.sources[0].sheet == "Daten"
    assert dates(f) == ["2026-01-01", "2026-02-01"]
    assert f["Team"].tolist() == ["Nord", "Süd"]
    assert f["Tickets"].tolist() == [120.0, 95.0]
    assert f["CSAT"].tolist() == [82.5, 78.0]
    assert t.native_grain == "month"


def test_long_layout_workbook_with_baseline_and_percent_format(tmp_path: Path) -> None:
    wb, ws = new_sheet("Long")
    ws.append(["Period", "Metric", "Actual", "Target", "Baseline", "Region"])
    ws.append(["Q1 2026", "On-time delivery", 0.91, 0.95, 0.88, "EU"])
    ws.append(["Q2 2026", "On-time delivery", 0.93, 0.95, 0.88, "EU"])
    ws.append(["Q1 2026", "Orders", 1200, 1500, 1000, "EU"])
    for row in (2, 3):
        for col in "CDE":
            ws[f"{col}{row}"].number_format = "0.0%"
    p = tmp_path / "long.xlsx"
    wb.save(p)
    t = read_data([p])
    f = t.frame
    assert t.layout == "long" and t.native_grain == "quarter"
    assert f[KPI].tolist() == ["On-time delivery", "On-time delivery", "Orders"]
    assert f[VALUE].tolist() == pytest.approx([91.0, 93.0, 1200.0])
    assert f[TARGET].tolist() == pytest.approx([95.0, 95.0, 1500.0])
    assert f[BASELINE].tolist() == pytest.approx([88.0, 88.0, 1000.0])
    assert COL not in f.columns  # the value column's letter is in Source.columns
    assert t.sources[0].columns[VALUE] == "C"
    assert t.location(0, 2, t.value_label) == f"{p}!Long!C2"
    assert dates(f) == ["2026-01-01", "2026-04-01", "2026-01-01"]
    assert t.value_label == "Actual" and t.date_label == "Period"


def test_excel_serials_in_a_named_date_column_and_datetimes(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Amount"])
    ws.append([46023, 25000])  # a serial without a date format
    ws.append([dt.datetime(2026, 1, 2, 17, 45), 30000])
    p = tmp_path / "serial.xlsx"
    wb.save(p)
    f = read_data([p]).frame
    assert dates(f) == ["2026-01-01", "2026-01-02"]
    # Amounts in the serial range are not dates: they are not in a date column.
    assert f["Amount"].tolist() == [25000.0, 30000.0]


def test_kpi_rows_with_real_date_headers_and_weekly_grain(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Indicator", dt.date(2026, 1, 5), dt.date(2026, 1, 12), dt.date(2026, 1, 19)])
    ws.append(["Calls", 10, 11, 12])
    p = tmp_path / "weekly.xlsx"
    wb.save(p)
    t = read_data([p])
    assert dates(t.frame) == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert t.native_grain == "week"
    assert t.frame[VALUE].tolist() == [10.0, 11.0, 12.0]


def test_mixed_layouts_are_refused() -> None:
    from kpicli.errors import DataError

    with pytest.raises(DataError, match="different layouts"):
        read_data(["tracker.xlsx", "utf8.csv"], base_dir=DATA)


def test_workbook_and_csv_of_the_same_layout_combine() -> None:
    t = read_data(["long.csv", "tracker.xlsx"], base_dir=DATA)
    assert t.frame[SRC].unique().tolist() == [0, 1]
    csv_rows = t.frame[t.frame[SRC] == 0]
    assert csv_rows[COL].unique().tolist() == ["3"]
    assert t.frame[t.frame[SRC] == 1][COL].iloc[0] == "E"


def test_hidden_sheets_are_skipped_by_default(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "Old"
    hidden.append(["date", "x"])
    hidden.append(["2026-01-01", 1])
    hidden.sheet_state = "hidden"
    shown = wb.create_sheet("Current")
    shown.append(["date", "y"])
    shown.append(["2026-02-01", 2])
    p = tmp_path / "hidden.xlsx"
    wb.save(p)
    t = read_data([p])
    assert t.sources[0].sheet == "Current" and t.frame["y"].tolist() == [2.0]
    assert read_data([p], DataSpec(sheet="Old")).frame["x"].tolist() == [1.0]


def test_serial_numbers_in_a_header_are_not_periods(tmp_path: Path) -> None:
    from kpicli.errors import DataError

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KPI", 46023, 46054])
    ws.append(["Sales", 1, 2])
    p = tmp_path / "serial_header.xlsx"
    wb.save(p)
    with pytest.raises(DataError, match="no date or period column"):
        read_data([p])
