"""Reading delimited text files into the Table: encodings, delimiters, numbers, lines, layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import COL, DATE, KPI, ROW, SRC, TARGET, VALUE
from kpicli.readers.files import read_data
from tests.helpers import write_csv

DATA = Path(__file__).parent / "data"

PERCENT_MODEL = KPIFile.model_validate(
    {
        "kpis": [
            {"id": "csat", "name": "Customer satisfaction", "unit": "percent"},
            {
                "id": "quote",
                "name": "Conversion",
                "unit": "percent",
                "measure": {"column": "Quote"},
            },
        ]
    }
)


def read(name: str, **kw: object):  # type: ignore[no-untyped-def]
    return read_data([name], base_dir=DATA, **kw)  # type: ignore[arg-type]


def dates(frame: pd.DataFrame) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in frame[DATE]]


RECORDS_DATES = ["2026-01-05", "2026-01-19", "2026-02-02", "2026-02-16"]


@pytest.mark.parametrize("name", ["utf8.csv", "utf8_bom.csv", "tabs.tsv", "pipes.txt"])
def test_records_in_every_delimiter_and_utf8_flavour(name: str) -> None:
    t = read(name)
    assert t.layout == "records"
    f = t.frame
    assert list(f.columns) == [DATE, "team", "tickets", "csat", "resolution_hours", SRC, ROW]
    assert dates(f) == RECORDS_DATES
    assert f[DATE].dtype == "datetime64[ns]"
    assert f["team"].tolist() == ["Nord", "Süd", "Nord", "Süd"]
    assert f["tickets"].tolist() == [120.0, 95.0, 130.0, 101.0]
    assert f["tickets"].dtype == "float64"
    # No model: fractions stay fractions.
    assert f["csat"].tolist() == [0.82, 0.78, 0.85, 0.8]
    assert f["resolution_hours"].tolist() == [30.5, 28.0, 27.25, 26.0]
    assert f[ROW].tolist() == [2, 3, 4, 5]
    assert f[SRC].tolist() == [0, 0, 0, 0]
    assert t.findings == []
    assert t.native_grain == "day"
    assert t.date_label == "date"
    src = t.sources[0]
    assert (src.path, src.sheet, src.kind, src.header_row, src.layout) == (
        name,
        None,
        "csv",
        1,
        "records",
    )
    assert src.columns == {
        "date": "1",
        "team": "2",
        "tickets": "3",
        "csat": "4",
        "resolution_hours": "5",
    }


def test_cp1252_semicolon_decimal_comma_keeps_umlauts() -> None:
    t = read("cp1252.csv")
    f = t.frame
    assert f["team"].tolist() == ["Müller-Straße", "Größe", "Müller-Straße", "Größe"]
    assert f["csat"].tolist() == [0.82, 0.78, 0.85, 0.8]
    assert f["resolution_hours"].tolist() == [30.5, 28.0, 27.25, 26.0]
    assert f[ROW].tolist() == [2, 3, 4, 5]


def test_decimal_comma_thousands_dots_and_percent_signs() -> None:
    t = read("semicolon_decimal.csv", model=PERCENT_MODEL)
    f = t.frame
    assert f["Umsatz"].tolist() == [1234.5, 12500.0, 987.25]
    # "12,5 %" is already on the 0-100 scale: the fraction rule leaves it alone.
    assert f["Quote"].tolist() == [12.5, 13.75, 9.0]
    assert dates(f) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert t.native_grain == "month"
    assert t.date_label == "Monat"


def test_encoding_and_delimiter_from_the_spec() -> None:
    spec = DataSpec(encoding="cp1252", delimiter=";", decimal=",")
    t = read("cp1252.csv", spec=spec)
    assert t.frame["team"].iloc[1] == "Größe"
    assert t.frame["resolution_hours"].iloc[2] == 27.25


def test_title_line_quoted_newline_line_numbers_and_findings() -> None:
    t = read("quoted_newline.csv")
    f = t.frame
    assert t.sources[0].header_row == 3
    assert dates(f) == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
        "2026-01-10",
        "2026-01-11",
    ]
    # Physical lines: the first record spans lines 4-5, line 7 is blank. _row numbers the
    # records as if each took one line; the source maps them to the lines locations name.
    assert f[ROW].tolist() == [4, 5, 6, 7, 8, 9, 10]
    assert [t.sources[0].line(r) for r in f[ROW]] == [4, 6, 8, 9, 10, 11, 12]
    assert t.location(0, 5) == "quoted_newline.csv:6"
    assert f["note"].iloc[0] == "first line\nsecond line"
    assert f["note"].iloc[2] == 'say "hi"'
    assert f["tickets"].tolist()[:2] == [120.0, 95.0]
    assert np.isnan(f["tickets"].iloc[2])  # "n/a" is a missing marker, not a finding
    assert np.isnan(f["tickets"].iloc[3])  # "lots" is not a number: D601
    rules = {x.rule: x for x in t.findings}
    assert set(rules) == {"D601", "D607", "D610"}
    d601 = rules["D601"]
    assert d601.severity == "warning" and d601.letter == "D"
    assert d601.location == "quoted_newline.csv:9"
    assert "'tickets'" in d601.message and "'lots'" in d601.message
    d607 = rules["D607"]
    assert d607.location == "quoted_newline.csv:13"
    assert "1 row" in d607.message and "'someday'" in d607.message
    d610 = rules["D610"]
    assert d610.severity == "info" and d610.location == "quoted_newline.csv:14"


def test_long_layout_with_percent_kpi_by_name() -> None:
    model = KPIFile.model_validate(
        {"kpis": [{"id": "sat", "name": "csat", "unit": "percent", "target": 85}]}
    )
    t = read("long.csv", model=model)
    assert t.layout == "long"
    f = t.frame
    assert list(f.columns) == [DATE, KPI, VALUE, TARGET, "Team", SRC, ROW]
    assert f[KPI].tolist() == ["Revenue", "CSAT", "Revenue", "CSAT", "Revenue"]
    assert f[VALUE].tolist()[:4] == [110250.0, 82.0, 120500.0, 86.0]
    assert np.isnan(f[VALUE].iloc[4])
    assert f[TARGET].tolist() == [100000.0, 85.0, 100000.0, 85.0, 100000.0]
    assert f["Team"].tolist() == ["North", "North", "North", "North", "South"]
    assert (t.value_label, t.target_label, t.date_label) == ("Value", "Target", "Month")
    assert t.sources[0].layout == "long"
    assert t.sources[0].columns[VALUE] == "3"
    (d601,) = t.findings
    assert d601.rule == "D601" and d601.location == "long.csv:6" and "'tbd'" in d601.message
    assert t.location(0, 6, "Value") == "long.csv:6 (column 'Value')"


def test_long_layout_without_model_keeps_fractions() -> None:
    t = read("long.csv")
    assert t.frame[VALUE].iloc[1] == 0.82
    assert t.frame[TARGET].iloc[1] == 0.85


def test_percent_kpi_whose_own_targets_are_fractions_is_not_scaled() -> None:
    model = KPIFile.model_validate(
        {"kpis": [{"id": "csat", "name": "CSAT", "unit": "percent", "target": {"min": 0.8}}]}
    )
    t = read("utf8.csv", model=model)
    assert t.frame["csat"].tolist() == [0.82, 0.78, 0.85, 0.8]


def test_records_percent_column_scaled_by_model() -> None:
    t = read("utf8.csv", model=PERCENT_MODEL)
    assert t.frame["csat"].tolist() == pytest.approx([82.0, 78.0, 85.0, 80.0])
    assert t.frame["tickets"].tolist() == [120.0, 95.0, 130.0, 101.0]


def test_several_files_and_a_glob_are_one_table() -> None:
    t = read_data(["exports/*.csv"], base_dir=DATA)
    f = t.frame
    assert [s.path for s in t.sources] == ["exports/2026-01.csv", "exports/2026-02.csv"]
    assert f[SRC].tolist() == [0, 0, 1]
    assert f[ROW].tolist() == [2, 3, 2]
    assert f["tickets"].tolist() == [120.0, 95.0, 130.0]
    assert dates(f) == ["2026-01-05", "2026-01-19", "2026-02-02"]
    both = read_data(["utf8.csv", "exports/2026-02.csv"], base_dir=DATA)
    assert len(both.frame) == 5
    assert both.frame[SRC].tolist() == [0, 0, 0, 0, 1]
    assert np.isnan(both.frame["csat"].iloc[4])  # a column only the first file has


def test_same_file_twice_is_read_once() -> None:
    t = read_data(["utf8.csv", "./utf8.csv", "utf*.csv"], base_dir=DATA)
    assert [s.path for s in t.sources] == ["utf8.csv", "utf8_bom.csv"]


def test_layout_and_columns_named_in_the_spec(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        "when,metric_code,reading,goal\n2026-Q1,sales,10,12\n2026-Q2,sales,11,12\n",
        "custom.csv",
    )
    spec = DataSpec(
        layout="long",
        kpi_column="metric_code",
        value_column="reading",
        target_column="goal",
        date_column="when",
    )
    t = read_data([p], spec)
    assert t.layout == "long"
    assert t.frame[KPI].tolist() == ["sales", "sales"]
    assert t.frame[VALUE].tolist() == [10.0, 11.0]
    assert t.frame[TARGET].tolist() == [12.0, 12.0]
    assert dates(t.frame) == ["2026-01-01", "2026-04-01"]
    assert t.native_grain == "quarter"
    assert t.sources[0].path == str(p)


def test_header_row_from_the_spec(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "a,b\nmonth,visits\n2026-01,5\n", "h.csv")
    t = read_data([p], DataSpec(header_row=2))
    assert t.frame["visits"].tolist() == [5.0]
    assert t.sources[0].header_row == 2


def test_kpi_rows_tracker_in_csv(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        "KPI,Target,Jan 2026,Feb-26,2026-03,Q2 2026\n"
        "Revenue,100,90,95,,\n"
        'Churn,2,"1,500",n/a,1.2,x\n',
        "tracker.csv",
    )
    t = read_data([p])
    f = t.frame
    assert t.layout == "long" and t.sources[0].layout == "kpi_rows"
    # Empty cells and "n/a" are not measurements: no row for them.
    assert f[KPI].tolist() == ["Revenue", "Revenue", "Churn", "Churn", "Churn"]
    assert dates(f) == ["2026-01-01", "2026-02-01", "2026-01-01", "2026-03-01", "2026-04-01"]
    assert f[VALUE].tolist()[:4] == [90.0, 95.0, 1500.0, 1.2]
    assert np.isnan(f[VALUE].iloc[4])  # "x": kept as a missing value, reported as D601
    assert f[TARGET].tolist() == [100.0, 100.0, 2.0, 2.0, 2.0]
    assert f[COL].tolist() == ["3", "4", "3", "5", "6"]
    assert f[ROW].tolist() == [2, 2, 3, 3, 3]
    assert t.native_grain == "month"
    (d601,) = t.findings
    assert d601.rule == "D601" and "KPI row 'Churn'" in d601.message and "'x'" in d601.message
    assert t.location(0, 3, col="6") == f"{p}:3 (column 'Q2 2026')"


def test_year_and_month_columns_make_the_period(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "Year,Month,orders\n2026,1,5\n2026,Feb,6\n2026,12,7\n", "ym.csv")
    t = read_data([p])
    assert dates(t.frame) == ["2026-01-01", "2026-02-01", "2026-12-01"]
    assert t.frame["orders"].tolist() == [5.0, 6.0, 7.0]
    assert "Year" not in t.frame.columns and "Month" not in t.frame.columns
    assert t.native_grain == "month"


def test_period_labels_weeks_and_fiscal_years(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "period,visits\n2026-W07,1\n2026-W08,2\n", "w.csv")
    t = read_data([p])
    assert dates(t.frame) == ["2026-02-09", "2026-02-16"]
    assert t.native_grain == "week"
    fy = write_csv(tmp_path, "period,visits\nFY2026,1\nFY2027,2\n", "fy.csv")
    model = KPIFile.model_validate({"fiscal_year_start": 4, "kpis": []})
    t = read_data([fy], model=model)
    # FY2026 is the fiscal year ending in 2026: April 2025 to March 2026.
    assert dates(t.frame) == ["2025-04-01", "2026-04-01"]
    assert t.native_grain == "year"


def test_dates_in_european_and_us_forms(tmp_path: Path) -> None:
    de = write_csv(tmp_path, "Datum;Wert\n31.01.2026;1\n01.02.2026;2\n", "de.csv")
    assert dates(read_data([de]).frame) == ["2026-01-31", "2026-02-01"]
    us = write_csv(tmp_path, "date,value\n1/31/2026,1\n2/1/2026,2\n", "us.csv")
    assert dates(read_data([us]).frame) == ["2026-01-31", "2026-02-01"]
    ts = write_csv(
        tmp_path,
        "created_at,value\n2026-01-31T23:10:00+02:00,1\n2026-02-01 08:00:00Z,2\n",
        "ts.csv",
    )
    assert dates(read_data([ts]).frame) == ["2026-01-31", "2026-02-01"]


def test_duplicate_and_blank_header_names(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "date,Value,Value,,extra\n2026-01-05,1,2,3,\n", "dup.csv")
    t = read_data([p])
    assert [c for c in t.frame.columns if not c.startswith("_")] == [
        "Value",
        "Value.1",
        "Column 4",
        "extra",
    ]
    assert t.frame["Value.1"].tolist() == [2.0]
    (d609,) = t.findings
    assert d609.rule == "D609" and "'Value.1'" in d609.message and d609.location == f"{p}:1"


def test_text_dimensions_are_stripped_strings(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "date,team,n\n2026-01-05,  North ,1\n2026-01-06,,2\n", "dims.csv")
    f = read_data([p]).frame
    assert f["team"].iloc[0] == "North"
    assert pd.isna(f["team"].iloc[1])
    assert pd.api.types.is_string_dtype(f["team"])


def test_paths_are_kept_as_given(tmp_path: Path) -> None:
    sub = tmp_path / "in"
    sub.mkdir()
    shutil.copy(DATA / "utf8.csv", sub / "a.csv")
    t = read_data(["in/a.csv"], base_dir=tmp_path)
    assert t.sources[0].path == "in/a.csv"
    assert t.location(0, 3) == "in/a.csv:3"


def test_a_name_and_a_value_column_are_records_when_the_model_says_so(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path, "date,name,value\n2026-01-05,Anna,1200\n2026-01-06,Ben,800\n", "deals.csv"
    )
    assert read_data([p]).layout == "long"  # without a model, the names suggest KPIs
    model = KPIFile.model_validate(
        {"kpis": [{"id": "deal_value", "name": "Deal value", "measure": {"column": "value"}}]}
    )
    t = read_data([p], model=model)
    assert t.layout == "records"
    assert t.frame["name"].tolist() == ["Anna", "Ben"]
    assert t.frame["value"].tolist() == [1200.0, 800.0]


def test_a_text_value_column_is_not_a_long_table(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path, "date,metric,value,n\n2026-01-05,risk,high,1\n2026-01-06,risk,low,2\n", "risk.csv"
    )
    t = read_data([p])
    assert t.layout == "records"
    assert t.frame["value"].tolist() == ["high", "low"]
