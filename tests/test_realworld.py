"""Public spreadsheets nobody here wrote: the KPI file a person would write, the right numbers.

The files live in ``<repo>/../shared/realworld/`` (see its MANIFEST.md) and are never copied
into the repository. Each case is the KPI file a user would write for the file (``sheet``,
``header_row`` or ``section`` only where a person would have to say it) and the actual
computed here independently, with plain pandas / openpyxl / csv, for the latest complete
period. A wrong number without an error is the one outcome that must never happen.
Skipped when the folder is absent; failing when CI=true.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.external import missing
from tests.helpers import invoke, write_kpis
from tests.shared_files import shared_dir

# CI places shared/ beside the clone; a checkout elsewhere points at it with $KPICLI_SHARED.
SHARED = shared_dir() / "realworld"


def need(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        missing(f"{path} is absent (the public test files live beside the repository)")
    return path


def reported(
    tmp_path: Path,
    data: Path,
    grain: str,
    kpi: str,
    settings: str = "",
    *,
    period: str,
    expected: float,
) -> dict:  # type: ignore[type-arg]
    """``kpi report -f json`` of ``data`` with one KPI (a YAML flow mapping) at ``grain``: it
    must succeed and report ``period`` with the KPI's actual ``expected`` (exact for a whole
    count, else to pytest.approx); returns the JSON report."""
    text = f"version: 1\ntitle: Real file\nperiod: {grain}\n{settings}kpis:\n  - {kpi}\n"
    res = invoke("report", write_kpis(tmp_path, text), "--data", data, "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert "(run with --debug for details)" not in res.stderr
    out = json.loads(res.stdout)
    kpi_id = kpi.removeprefix("{id: ").split(",")[0]
    assert out["period"] == period
    got = next(k for k in out["kpis"] if k["id"] == kpi_id)["actual"]
    assert got == (expected if isinstance(expected, int) else pytest.approx(expected))
    return out


def latest_complete(days: pd.Series, freq: str) -> pd.Period:
    """The spec's rule: the period of the last date if the data reaches its last day, else
    the one before (day-level dates)."""
    last = days.max()
    period = last.to_period(freq)
    return period if last.normalize() >= period.end_time.normalize() else period - 1


# ----------------------------------------------------------------------------- records


def test_ms_financial_sample(tmp_path: Path) -> None:
    path = need("ms-financial-sample.xlsx")
    df = pd.read_excel(path, engine="openpyxl")
    month = df["Date"].max().to_period("M")  # dates on the 1st: period-grain, complete
    expected = df.loc[df["Date"].dt.to_period("M") == month, " Sales"].sum()
    reported(
        tmp_path,
        path,
        "month",
        "{id: sales, name: Sales, unit: currency:USD, "
        "measure: {column: Sales, aggregate: sum}, target: 10000000}",
        period=str(month),
        expected=expected,
    )


def test_superstore_orders(tmp_path: Path) -> None:
    path = need("superstore-us-2015.xlsx")
    df = pd.read_excel(path, sheet_name="Orders", engine="openpyxl")
    month = latest_complete(df["Order Date"], "M")
    expected = df.loc[df["Order Date"].dt.to_period("M") == month, "Sales"].sum()
    reported(
        tmp_path,
        path,
        "month",
        "{id: sales, name: Sales, unit: currency:USD, "
        "measure: {column: Sales, aggregate: sum}, target: 100000}",
        "data: {sheet: Orders, date_column: Order Date}\n",
        period=str(month),
        expected=expected,
    )


def test_cogsley_sales(tmp_path: Path) -> None:
    path = need("cogsley-sales-us.csv")
    df = pd.read_csv(path, parse_dates=["OrderDate"])
    month = latest_complete(df["OrderDate"], "M")  # data through 2012-12-30: November
    expected = df.loc[df["OrderDate"].dt.to_period("M") == month, "SaleAmount"].sum()
    reported(
        tmp_path,
        path,
        "month",
        "{id: revenue, name: Revenue, unit: currency:USD, "
        "measure: {column: SaleAmount, aggregate: sum}, target: 500000}",
        "data: {date_column: OrderDate}\n",
        period=str(month),
        expected=expected,
    )


def _two_digit_years(text: str) -> dt.date:
    """MM/DD/YY with Excel's pivot: 00-29 -> 20xx, 30-99 -> 19xx."""
    m, d, y = (int(x) for x in text.split("/"))
    return dt.date(2000 + y if y < 30 else 1900 + y, m, d)


def test_hr_hires_per_year(tmp_path: Path) -> None:
    path = need("hr-dataset-v14.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        hired = [_two_digit_years(r["DateofHire"]) for r in csv.DictReader(fh)]
    days = pd.Series(pd.to_datetime(hired))
    year = latest_complete(days, "Y")
    expected = int((days.dt.to_period("Y") == year).sum())
    reported(
        tmp_path,
        path,
        "year",
        "{id: hires, name: Hires, unit: count, measure: {column: EmpID, aggregate: count}, "
        "target: 30}",
        "data: {date_column: DateofHire}\n",
        period=str(year),
        expected=expected,
    )


def test_darrowyu_production_log(tmp_path: Path) -> None:
    """A title/info row above the header; daily dates; good units per week."""
    path = need("darrowyu-kpi.xlsx")
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    head = list(rows[0])
    date_at, good_at = head.index("日期"), head.index("良品數量")
    data = [(r[date_at], r[good_at]) for r in rows[1:] if isinstance(r[date_at], dt.datetime)]
    days = pd.Series([d for d, _ in data])
    week = latest_complete(days, "W-SUN")
    expected = sum(float(g or 0) for d, g in data if pd.Timestamp(d).to_period("W-SUN") == week)
    iso = week.start_time.isocalendar()
    reported(
        tmp_path,
        path,
        "week",
        "{id: good, name: Good units, unit: count, "
        "measure: {column: 良品數量, aggregate: sum}, target: 50000}",
        period=f"{iso.year}-W{iso.week:02d}",
        expected=expected,
    )


def test_destatis_genesis_csv(tmp_path: Path) -> None:
    """ISO-8859-1, title lines, unnamed year and month columns, a units row, '...', footer."""
    path = need("destatis-cpi.csv")
    months = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
    values = {}
    with path.open(encoding="iso-8859-1", newline="") as fh:
        for rec in csv.reader(fh, delimiter=";"):
            if len(rec) >= 3 and rec[0].isdigit() and rec[1] in months:
                try:
                    values[(int(rec[0]), months.index(rec[1]) + 1)] = float(rec[2])
                except ValueError:
                    continue  # "..." and "." are no value
    (y, m), expected = max(values.items())
    reported(
        tmp_path,
        path,
        "month",
        "{id: cpi, name: Consumer price index, unit: points, direction: lower, "
        "measure: {column: Consumer price index, aggregate: mean}, target: 110}",
        period=f"{y}-{m:02d}",
        expected=expected,
    )


def _smard(path: Path) -> pd.DataFrame:
    df = pd.read_csv(
        path, sep=";", decimal=",", thousands=".", encoding="utf-8-sig", na_values=["-"]
    )
    df["from"] = pd.to_datetime(df["Datum von"], format="%d.%m.%Y %H:%M")
    return df


@pytest.mark.parametrize(
    ("name", "col", "aggregate", "kpi", "target"),
    [
        (
            "smard-prices-2024.csv",  # hourly day-ahead prices
            "Deutschland/Luxemburg [€/MWh] Originalauflösungen",
            "mean",
            "id: price, name: Day-ahead price, unit: currency:EUR, direction: lower",
            80,
        ),
        (
            "smard-consumption-2024-15min.csv",  # quarter-hour grid load
            "Netzlast [MWh] Originalauflösungen",
            "sum",
            "id: load, name: Grid load, unit: MWh, direction: lower",
            40000000,
        ),
    ],
    ids=["hourly-prices", "quarter-hour-consumption"],
)
def test_smard_time_series(
    tmp_path: Path, name: str, col: str, aggregate: str, kpi: str, target: int
) -> None:
    path = need(name)
    df = _smard(path)
    month = latest_complete(df["from"], "M")
    expected = df.loc[df["from"].dt.to_period("M") == month, col].agg(aggregate)
    reported(
        tmp_path,
        path,
        "month",
        f'{{{kpi}, measure: {{column: "{col}", aggregate: {aggregate}}}, target: {target}}}',
        period=str(month),
        expected=expected,
    )


# ----------------------------------------------------------------------------- shapes


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_bls_year_by_month_grid(tmp_path: Path) -> None:
    path = need("bls-unrate.xlsx")
    # Not read-only: the file's stored sheet dimension is wrong.
    ws = openpyxl.load_workbook(path, data_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Year")
    cells = {
        (int(r[0]), m): float(v)
        for r in rows[head + 1 :]
        if isinstance(r[0], int | float)
        for m, v in enumerate(r[1:13], start=1)
        if isinstance(v, int | float)
    }
    (y, m), expected = max(cells.items())
    out = reported(
        tmp_path,
        path,
        "month",
        "{id: unrate, name: Unemployment rate, unit: percent, direction: lower, "
        "measure: {column: Value}, target: {max: 4.5}}",
        period=f"{y}-{m:02d}",
        expected=expected,
    )
    assert any("grid of years down and months across" in n for n in out["notes"])


def _census(section: str) -> tuple[int, float]:
    """(year, percent below poverty of all people) of the section's latest year."""
    ws = openpyxl.load_workbook(need("census-hstpov2.xlsx"), read_only=True, data_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == section)
    for r in rows[start + 1 :]:
        year = str(r[0]).split(" ")[0].split(".")[0] if r[0] is not None else ""
        if year.isdigit() and isinstance(r[3], int | float):
            return int(year), float(r[3])  # years descend: the first is the latest
    raise AssertionError(section)


CENSUS_KPI = (
    "{id: poverty, name: Poverty rate, unit: percent, direction: lower, "
    'measure: {column: "All people / Below poverty / Percent"}, target: {max: 10}}'
)


@pytest.mark.parametrize("section", [None, "Black Alone", "Hispanic (any race)"])
def test_census_stacked_tables(tmp_path: Path, section: str | None) -> None:
    """16 sub-tables under repeated 4-row headers: one section, never their sum."""
    path = need("census-hstpov2.xlsx")
    year, expected = _census(section or "All Races")
    data = f"data: {{section: {section!r}}}\n" if section else ""
    out = reported(tmp_path, path, "year", CENSUS_KPI, data, period=str(year), expected=expected)
    assert any("holds 16 tables stacked" in n for n in out["notes"])


def _rosstat(region: str, age: str) -> tuple[str, float]:
    df = pd.read_excel(
        need("rosstat-unemployment.xls"), sheet_name=0, header=None, engine="calamine"
    )
    years = df.iloc[2].replace("", None).ffill()
    words = df.iloc[3]
    row = df[(df[1].astype(str).str.strip() == region) & (df[0] == age)].iloc[0]
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    found = []
    for j in range(4, df.shape[1]):
        w = str(words[j]).split(" ")[0]
        v = row[j]
        if w in roman and isinstance(v, int | float) and v == v:
            found.append(((int(float(years[j])), roman[w]), float(v)))
    (y, q), value = max(found)
    return f"{y}-Q{q}", value


@pytest.mark.parametrize("section", [None, "15-72 лет"])
def test_rosstat_years_over_quarters(tmp_path: Path, section: str | None) -> None:
    path = need("rosstat-unemployment.xls")
    period, expected = _rosstat("Российская Федерация", section or "15 лет и старше")
    data = f"data: {{section: {section!r}}}\n" if section else ""
    out = reported(
        tmp_path,
        path,
        "quarter",
        "{id: ru, name: Российская Федерация, unit: percent, direction: lower, "
        "target: {max: 5}}",
        data,
        period=period,
        expected=expected,
    )
    assert any("repeats its KPI rows" in n for n in out["notes"])  # the age group is named


def _austria(sheet: str, section: str, label: str) -> tuple[int, float]:
    df = pd.read_excel(
        need("statistik-at-bev.ods"), sheet_name=sheet, header=None, engine="calamine"
    )
    start = next(i for i in range(len(df)) if str(df.iat[i, 1]).strip() == section)
    row = next(i for i in range(start + 1, len(df)) if str(df.iat[i, 0]).strip() == label)
    last = max(
        j
        for j in range(1, df.shape[1])
        if isinstance(df.iat[row, j], int | float) and df.iat[row, j] == df.iat[row, j]
    )
    year = int(str(df.iat[1, last]).strip()[:4])
    return year, float(df.iat[row, last])


@pytest.mark.parametrize(
    ("sheet", "section", "label"), [(None, None, "Insgesamt"), ("W", "Frauen", "Zusammen")]
)
def test_statistik_austria_census_years(
    tmp_path: Path, sheet: str | None, section: str | None, label: str
) -> None:
    """Census years with notes in the header ("1869\\n(31.12.)", "2001 1)"), three sections."""
    path = need("statistik-at-bev.ods")
    year, expected = _austria(sheet or "Ö", section or "Männer und Frauen", label)
    keys = ", ".join(
        f"{k}: {v!r}" for k, v in (("sheet", sheet), ("section", section)) if v is not None
    )
    out = reported(
        tmp_path,
        path,
        "year",
        f"{{id: total, name: {label}, unit: count, target: 9000000}}",
        f"data: {{{keys}}}\n" if keys else "",
        period=str(year),
        expected=expected,
    )
    if sheet is None:
        assert any("read sheet 'Ö'" in n for n in out["notes"])
