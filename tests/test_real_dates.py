"""Real files' dates and periods (SPEC §3 "Real files"): spellings, day/month order, the
period reported by default, an in-progress period, the grain check, and the notes that
name kpicli's own choices. Fixtures are written by code here, values computed by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import kpicli.cli  # noqa: F401 - registers every command
from kpicli.engine import periods as P
from kpicli.model.kpifile import KPIFile
from kpicli.model.values import parse_period_label, parse_quarter_word, two_digit_year
from kpicli.readers.numbers import to_dates
from tests.helpers import invoke, kpi_item, kpis_yaml, write_csv, write_kpis
from tests.hypothesis_budget import examples


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "ns")


# ----------------------------------------------------------------------------- spellings


@pytest.mark.parametrize(
    ("text", "grain", "first"),
    [
        ("2012/01/31", "day", dt.date(2012, 1, 31)),
        ("2012-01-31T10:00Z", "day", dt.date(2012, 1, 31)),
        ("2026-10", "month", dt.date(2026, 10, 1)),
        ("Oct 2026", "month", dt.date(2026, 10, 1)),
        ("Oct-26", "month", dt.date(2026, 10, 1)),
        ("October 2026", "month", dt.date(2026, 10, 1)),
        ("2026M10", "month", dt.date(2026, 10, 1)),
        ("2012M01", "month", dt.date(2012, 1, 1)),
        ("janv. 2012", "month", dt.date(2012, 1, 1)),
        ("févr. 2012", "month", dt.date(2012, 2, 1)),
        ("Dez 2025", "month", dt.date(2025, 12, 1)),
        ("2026-Q3", "quarter", dt.date(2026, 7, 1)),
        ("Q3 2026", "quarter", dt.date(2026, 7, 1)),
        ("I квартал 2026", "quarter", dt.date(2026, 1, 1)),
        ("IV квартал 2026", "quarter", dt.date(2026, 10, 1)),
        ("1. Quartal 2026", "quarter", dt.date(2026, 1, 1)),
        ("T1 2026", "quarter", dt.date(2026, 1, 1)),
        ("FY2026", "fiscal_year", dt.date(2026, 1, 1)),
        ("FY2026 Q1", "fiscal_quarter", dt.date(2026, 1, 1)),
        ("2026-W07", "week", dt.date(2026, 2, 9)),
        ("2026", "year", dt.date(2026, 1, 1)),
        ("2020 (2)", "year", dt.date(2020, 1, 1)),
        ("2001 1)", "year", dt.date(2001, 1, 1)),
        ("1869\n(31.12.)", "year", dt.date(1869, 1, 1)),
        ("Oct-83", "month", dt.date(1983, 10, 1)),
    ],
)
def test_period_spellings(text: str, grain: str, first: dt.date) -> None:
    assert parse_period_label(text) == (grain, first)


def test_quarter_words_without_a_year() -> None:
    assert [parse_quarter_word(t) for t in ("I квартал", "1. Quartal", "T3", "IV квартал")] == [
        1,
        1,
        3,
        4,
    ]
    assert parse_quarter_word("Umsatz") is None


def test_two_digit_years_pivot_like_excel() -> None:
    assert [two_digit_year(y) for y in (0, 29, 30, 83, 99, 2026)] == [2000, 2029, 1930, 1983, 1999, 2026]


def test_fiscal_quarter_is_placed_by_the_fiscal_year_start() -> None:
    # FY2026 starting in April runs 2025-04 .. 2026-03; its Q1 is April-June 2025.
    assert str(P.parse("FY2026 Q1", "month", 4)) == "2025-04"
    assert str(P.parse("FY2026 Q1", "month", 4, end=True)) == "2025-06"
    dates = to_dates(pd.Series(["FY2026 Q1", "FY2026 Q2"], dtype="str"), fiscal_year_start=4)
    assert list(dates.values) == [day("2025-04-01"), day("2025-07-01")]
    assert dates.grain == "quarter"


def test_column_of_every_day_spelling() -> None:
    col = pd.Series(
        ["2012/01/31", "2012-02-01T10:00Z", "Jan 31 2012", "January 5, 2012", "31 Jan 2012",
         "31-Jan-12", "31. Januar 2012", "3 janv. 2012", None, "n/a"],
        dtype="str",
    )
    got = to_dates(col)
    assert list(got.values[:8]) == [
        day("2012-01-31"), day("2012-02-01"), day("2012-01-31"), day("2012-01-05"),
        day("2012-01-31"), day("2012-01-31"), day("2012-01-31"), day("2012-01-03"),
    ]  # fmt: skip
    assert got.empty.tolist() == [False] * 8 + [True, True]
    assert not got.bad.any()


def test_excel_serials_and_years_vectorised() -> None:
    got = to_dates(pd.Series([44927.0, 45000.5, np.nan]), serials=True)
    assert list(got.values[:2]) == [day("2023-01-01"), day("2023-03-15")]
    assert got.empty.tolist() == [False, False, True]
    years = to_dates(pd.Series(["2019", "2020 (2)", "2021"], dtype="str"), years=True)
    assert list(years.values) == [day("2019-01-01"), day("2020-01-01"), day("2021-01-01")]
    assert years.grain == "year"


# ----------------------------------------------------------------------------- order


@pytest.mark.parametrize(
    ("values", "kwargs", "first", "dayfirst"),
    [
        (["31/01/2012", "01/02/2012"], {}, "2012-01-31", True),  # a first field over 12
        (["01/31/2012", "02/01/2012"], {}, "2012-01-31", False),  # a second field over 12
        (["03/04/2026"], {}, "2026-03-04", False),  # '/' and ambiguous: month first
        (["03.04.2026"], {}, "2026-04-03", True),  # '.' and ambiguous: day first
        (["03/04/2026"], {"dayfirst": True}, "2026-04-03", True),  # data.dayfirst wins
        (["13.01.2026"], {"dayfirst": False}, None, False),  # ... even over the values
        (["07/10/83"], {}, "1983-07-10", False),  # Excel's two-digit pivot, not 2083
        (["20260403"], {"date_format": "%Y%m%d"}, "2026-04-03", None),
    ],
)
def test_day_month_order(values: list[str], kwargs: dict, first: str | None, dayfirst) -> None:
    got = to_dates(pd.Series(values, dtype="str"), **kwargs)
    if first is None:
        assert got.bad[0]
    else:
        assert got.values[0] == day(first)
    if dayfirst is not None:
        assert got.order is not None and got.order.dayfirst is dayfirst


def test_order_is_an_info_finding_naming_the_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # data files are named from the working directory
    rows = ["date,orders"] + [f"{d:02d}.01.2026,1" for d in range(1, 32)]
    write_csv(tmp_path, "\n".join(rows) + "\n", "d.csv")
    kpis = _kpis(tmp_path, "d.csv", [("orders", "sum", 20)])
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "D620"]
    assert len(found) == 1
    assert found[0]["severity"] == "info"
    assert "day/month/year" in found[0]["message"] and "data.dayfirst: false" in found[0]["message"]
    assert found[0]["location"] == "d.csv:14"  # 13.01.2026: the first value over 12
    # Named in the KPI file: no finding, the file said it.
    kpis = _kpis(tmp_path, "d.csv", [("orders", "sum", 20)], extra="  dayfirst: true\n")
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "D620"]


# ----------------------------------------------------------------------------- files


def _kpis(
    folder: Path,
    data: str,
    kpis: list[tuple[str, str, float]],
    *,
    period: str = "month",
    extra: str = "",
    date_column: str | None = None,
) -> Path:
    settings = f"data:\n  path: {data}\n"
    settings += f"  date_column: {date_column}\n" if date_column else ""
    items = [
        kpi_item(id=kid, name=f"Number of {kid} per period", unit="count",
                 measure=f"{{column: {kid}, aggregate: {agg}}}", target=target)
        for kid, agg, target in kpis
    ]  # fmt: skip
    return write_kpis(folder, kpis_yaml(*items, title="Test", period=period, settings=settings + extra))


def test_seattle_weather_slashed_dates_with_date_column(tmp_path: Path) -> None:
    # The classic seattle-weather.csv: date,precipitation,... with 2012/01/01 dates.
    start = dt.date(2012, 1, 1)
    lines = ["date,precipitation,temp_max,weather"]
    total_dec = 0.0
    for i in range(366 + 365):
        d = start + dt.timedelta(days=i)
        rain = (i % 7) * 0.5
        if d.year == 2013 and d.month == 12:
            total_dec += rain
        lines.append(f"{d:%Y/%m/%d},{rain},{10 + i % 5},rain")
    write_csv(tmp_path, "\n".join(lines) + "\n", "seattle-weather.csv")
    kpis = _kpis(tmp_path, "seattle-weather.csv", [("precipitation", "sum", 100)],
                 date_column="date")  # fmt: skip
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == "2013-12"
    assert doc["kpis"][0]["actual"] == pytest.approx(total_dec)
    assert doc["period_complete"] is True and doc["notes"] == []


def _daily(tmp_path: Path, last: dt.date) -> Path:
    lines = ["date,orders,rating"]
    d = dt.date(2026, 1, 1)
    while d <= last:
        lines.append(f"{d.isoformat()},10,4")
        d += dt.timedelta(days=1)
    write_csv(tmp_path, "\n".join(lines) + "\n", "daily.csv")
    return tmp_path / "daily.csv"


def _daily_kpis(tmp_path: Path) -> Path:
    text = """version: 1
title: Daily
period: month
data: {path: daily.csv}
kpis:
  - id: orders
    name: Orders placed per month
    unit: count
    measure: {column: orders, aggregate: sum}
    target: 300
  - id: rating
    name: Average rating of the orders
    unit: points
    measure: {column: rating, aggregate: mean}
    target: 4
"""
    write_kpis(tmp_path, text)
    return tmp_path / "kpis.yaml"


def test_default_period_skips_the_partial_month_with_a_note(tmp_path: Path) -> None:
    _daily(tmp_path, dt.date(2026, 11, 5))
    kpis = _daily_kpis(tmp_path)
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == "2026-10"
    assert doc["period_complete"] is True and doc["period_coverage"] == 1.0
    assert doc["notes"] == [
        "2026-11 is in progress: data through 2026-11-05; reporting 2026-10; "
        "--period 2026-11 for the partial period"
    ]
    orders = doc["kpis"][0]
    assert (orders["actual"], orders["target"], orders["status"]) == (310.0, 300.0, "met")
    # Table mode: the note goes to stderr, the scorecard to stdout.
    code, out, err = invoke("report", str(kpis), "--no-color")
    assert code == 0
    assert "note: 2026-11 is in progress" in err and "note:" not in out


def test_month_ending_on_its_last_day_is_complete(tmp_path: Path) -> None:
    _daily(tmp_path, dt.date(2026, 10, 31))
    code, out, err = invoke("report", str(_daily_kpis(tmp_path)), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["period"], doc["period_complete"], doc["notes"]) == ("2026-10", True, [])


def test_explicit_partial_period_is_marked_and_pro_rated(tmp_path: Path) -> None:
    _daily(tmp_path, dt.date(2026, 11, 5))
    kpis = _daily_kpis(tmp_path)
    code, out, err = invoke("report", str(kpis), "--period", "2026-11", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == "2026-11"
    assert doc["period_complete"] is False
    assert doc["period_coverage"] == pytest.approx(5 / 30, abs=1e-4)
    orders, rating = doc["kpis"]
    # 5 days of 10 orders against 300 x 5/30 = 50: met, not "off track, 17%".
    assert orders["actual"] == 50.0
    assert orders["target"] == pytest.approx(50.0)
    assert orders["attainment"] == pytest.approx(1.0)
    assert orders["status"] == "met"
    assert "in progress (17% covered)" in orders["why"]
    # A mean is a level, not a total: its target stays whole.
    assert (rating["actual"], rating["target"]) == (4.0, 4.0)
    # The forecast goes through the complete months May..Oct, not the partial November.
    months = [310, 300, 310, 310, 300, 310]
    fit = statistics.linear_regression(list(range(-6, 0)), months)
    assert orders["forecast"] == pytest.approx(fit.intercept + fit.slope * 1)
    assert any("2026-11 is in progress" in n for n in doc["notes"])
    # Every text output marks it.
    code, out, _ = invoke("report", str(kpis), "--period", "2026-11", "--no-color")
    assert "in progress: 17% covered" in out
    code, out, _ = invoke("report", str(kpis), "--period", "2026-11", "--format", "markdown")
    assert "(month, in progress: 17% covered)" in out
    code, out, _ = invoke("report", str(kpis), "--period", "2026-11", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (rows[0]["period_complete"], rows[0]["period_coverage"]) == ("False", "0.1667")


def test_partial_period_in_the_workbook_title(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    _daily(tmp_path, dt.date(2026, 11, 5))
    kpis = _daily_kpis(tmp_path)
    out = tmp_path / "r.xlsx"
    code, _, err = invoke("report", str(kpis), "--period", "2026-11", "-o", str(out))
    assert code == 0, err
    ws = load_workbook(out)["Summary"]
    assert ws["A2"].value.startswith("Period 2026-11 (month, in progress: 17% covered)")


def test_period_grain_data_is_complete(tmp_path: Path) -> None:
    rows = ["month,orders"] + [f"2026-{m:02d},{100 + m}" for m in range(1, 12)]
    write_csv(tmp_path, "\n".join(rows) + "\n", "m.csv")
    code, out, err = invoke("report", str(_kpis(tmp_path, "m.csv", [("orders", "sum", 100)])),
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["period"], doc["period_complete"], doc["notes"]) == ("2026-11", True, [])
    assert doc["kpis"][0]["actual"] == 111.0


def test_report_finer_than_the_data_is_an_error_naming_its_grain(tmp_path: Path) -> None:
    rows = ["year,orders", "2019,10", "2020 (2),12", "2021,15"]
    write_csv(tmp_path, "\n".join(rows) + "\n", "y.csv")
    kpis = _kpis(tmp_path, "y.csv", [("orders", "sum", 10)])
    code, out, err = invoke("report", str(kpis))
    assert code == 2
    assert err.startswith("kpi: error: the data holds yearly values")
    assert "period: year" in err
    assert "--debug" not in err
    kpis = _kpis(tmp_path, "y.csv", [("orders", "sum", 10)], period="year")
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    assert (json.loads(out)["period"], json.loads(out)["kpis"][0]["actual"]) == ("2021", 15.0)


# ----------------------------------------------------------------------------- notes


def test_several_date_columns_name_the_one_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # data files are named from the working directory
    rows = ["Employee,DateofHire,LastPerformanceReview_Date,Salary"]
    for i in range(12):
        review = ("2026-01-31", "2026-02-28", "2026-03-31")[i % 3]
        rows.append(f"E{i},2015-{i % 12 + 1:02d}-03,{review},{1000 + i}")
    write_csv(tmp_path, "\n".join(rows) + "\n", "hr.csv")
    kpis = _kpis(tmp_path, "hr.csv", [("Salary", "count", 1)])
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert notes == [
        "hr.csv: dates are taken from column 'LastPerformanceReview_Date'; 'DateofHire' also "
        "holds dates. Name the one you mean with data.date_column"
    ]
    code, out, err = invoke("-v", "report", str(kpis), "--format", "json")
    assert code == 0, err
    assert "dates from column 'LastPerformanceReview_Date'" in err
    assert "note: hr.csv: dates are taken from column" in err
    kpis = _kpis(tmp_path, "hr.csv", [("Salary", "count", 1)], date_column="DateofHire")
    code, out, err = invoke("report", str(kpis), "--period", "2015-11", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["notes"], doc["kpis"][0]["actual"]) == ([], 1.0)


def test_sheet_chosen_without_data_sheet_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # data files are named from the working directory
    wb = Workbook()
    wb.active.title = "About"
    wb.active["A1"] = "This workbook holds the monthly orders."
    ws = wb.create_sheet("Orders")
    ws.append(["Month", "orders"])
    for m in range(1, 7):
        ws.append([f"2026-{m:02d}", 10 * m])
    wb.create_sheet("Notes")
    wb.save(tmp_path / "book.xlsx")
    kpis = _kpis(tmp_path, "book.xlsx", [("orders", "sum", 10)])
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kpis"][0]["actual"] == 60.0
    assert doc["notes"] == [
        "book.xlsx: read sheet 'Orders' (sheet 2 of 3, the first with data kpicli can read; "
        "sheets: 'About', 'Orders', 'Notes'); name another with data.sheet"
    ]


# ----------------------------------------------------------------------------- odd files


def test_zip_of_an_unsupported_version_is_one_clear_error(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at != -1:  # "version needed to extract" 6.4 in every central directory entry
        raw[at + 6 : at + 8] = (64).to_bytes(2, "little")
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    with pytest.raises(NotImplementedError):  # what zipfile itself does with it
        zipfile.ZipFile(path)
    kpis = _kpis(tmp_path, "odd.xlsx", [("orders", "sum", 1)])
    code, _, err = invoke("report", str(kpis))
    assert code == 2
    assert err.startswith("kpi: error: ") and "odd.xlsx" in err
    assert "--debug" not in err and "Traceback" not in err
    _, _, err = invoke("validate", str(kpis), "--data", str(path))
    assert "--debug" not in err and "Traceback" not in err


# ----------------------------------------------------------------------------- values


def test_negative_percent_and_money_are_legitimate_range_and_counts_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # data files are named from the working directory
    write_csv(
        tmp_path,
        "month,inflation,profit,visits,score\n2026-01,-0.5,-100,3,50\n2026-02,2.5,50,-1,120\n",
        "v.csv",
    )
    kpis = write_kpis(
        tmp_path,
        """version: 1
title: Values
data: {path: v.csv}
kpis:
  - {id: inflation, name: Consumer price inflation, unit: percent, target: 2}
  - {id: profit, name: Monthly profit in euros, unit: "currency:EUR", target: 10}
  - {id: visits, name: Number of site visits, unit: count, target: 2}
  - {id: score, name: Survey score out of 100, unit: points, target: 60, range: [0, 100]}
""",
    )
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    d606 = {f["kpi"]: f for f in json.loads(out)["findings"] if f["rule"] == "D606"}
    assert set(d606) == {"visits", "score"}
    assert d606["visits"]["location"] == "v.csv:3 (column 'visits')"
    assert "1 value of 'visits' is negative (a count)" in d606["visits"]["message"]
    assert d606["score"]["location"] == "v.csv:3 (column 'score')"
    assert "outside the KPI's range [0, 100] (e.g. 120)" in d606["score"]["message"]


def test_range_with_min_above_max_is_a_definition_error(tmp_path: Path) -> None:
    kpis = write_kpis(
        tmp_path,
        "version: 1\nkpis:\n  - id: score\n    name: Survey score out of 100\n"
        "    range: [100, 0]\n    target: 60\n",
    )
    code, out, _ = invoke("validate", str(kpis), "--format", "json")
    assert code == 1
    (f,) = [f for f in json.loads(out)["findings"] if f["rule"] == "E002"]
    assert (f["line"], f["column"]) == (5, 12)
    assert "minimum above its maximum; write it as [0, 100]" in f["message"]
    # An open end is null; bounds may be written like other numbers ("5", "1.2k").
    model = KPIFile.model_validate(
        {"kpis": [{"id": "x", "name": "Open range", "range": [None, "1.2k"], "target": 1}]}
    )
    assert model.kpis[0].range == (None, 1200.0)


def test_errors_after_a_chosen_sheet_name_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # data files are named from the working directory
    wb = Workbook()
    wb.active.title = "Cover"
    ws = wb.create_sheet("Data")
    ws.append(["Month", "orders"])
    ws.append(["2026-01", 5])
    wb.save(tmp_path / "book.xlsx")
    kpis = _kpis(tmp_path, "book.xlsx", [("orders", "sum", 10), ("returns", "sum", 1)])
    code, out, err = invoke("report", str(kpis), "--format", "json")
    assert code == 0, err
    (m203,) = [f for f in json.loads(out)["findings"] if f["rule"] == "M203"]
    assert m203["message"] == (
        "returns: column 'returns' is not in the data (read: book.xlsx sheet 'Data', header row 1)"
    )
    kpis = _kpis(tmp_path, "book.xlsx", [("returns", "sum", 1)])
    code, out, err = invoke("report", str(kpis))
    assert code == 2
    assert "(read: book.xlsx sheet 'Data', header row 1)" in err


def test_show_marks_an_in_progress_period(tmp_path: Path) -> None:
    _daily(tmp_path, dt.date(2026, 11, 5))
    kpis = _daily_kpis(tmp_path)
    code, out, err = invoke("show", "orders", str(kpis), "--period", "2026-11", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["period_complete"], doc["results"][0]["target"]) == (False, pytest.approx(50.0))
    code, out, err = invoke("show", "orders", str(kpis), "--no-color")
    assert code == 0, err
    assert "2026-10 (month)" in out and "note: 2026-11 is in progress" in err


def test_one_date_per_month_is_a_monthly_figure_not_a_partial_month(tmp_path: Path) -> None:
    rows = ["date,orders"] + [f"2026-{m:02d}-15,{10 * m}" for m in range(1, 11)]
    write_csv(tmp_path, "\n".join(rows) + "\n", "m.csv")
    code, out, err = invoke("report", str(_kpis(tmp_path, "m.csv", [("orders", "sum", 50)])),
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["period"], doc["period_complete"], doc["notes"]) == ("2026-10", True, [])
    assert doc["kpis"][0]["actual"] == 100.0


# ----------------------------------------------------------------------------- invariants

_SPELLINGS = {
    "%Y-%m-%d": {},
    "%Y/%m/%d": {},
    "%d.%m.%Y": {},
    "%m/%d/%Y": {"dayfirst": False},
    "%d/%m/%Y": {"dayfirst": True},
    "%b %d %Y": {},
    "%d %B %Y": {},
    "%Y-%m-%dT%H:%MZ": {},
}


@settings(max_examples=examples(60), deadline=None)
@given(
    days=st.lists(
        st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2100, 12, 31)),
        min_size=1,
        max_size=30,
    ),
    spelling=st.sampled_from(sorted(_SPELLINGS)),
)
def test_every_spelling_reads_back_the_same_days(days: list[dt.date], spelling: str) -> None:
    texts = pd.Series([d.strftime(spelling) for d in days], dtype="str")
    got = to_dates(texts, **_SPELLINGS[spelling])
    assert not got.bad.any()
    assert list(got.values) == [np.datetime64(d, "ns") for d in days]


@settings(max_examples=examples(60), deadline=None)
@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2029, 12, 31)))
def test_two_digit_years_read_back_within_the_excel_window(d: dt.date) -> None:
    got = to_dates(pd.Series([d.strftime("%d.%m.%y")], dtype="str"))
    assert got.values[0] == np.datetime64(d, "ns")
