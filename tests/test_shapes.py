"""Real spreadsheet shapes, built here in miniature: exact values, the finding's cell, the note.

Each fixture copies the shape of a public file people keep (a French KPI tracker with months
merged over Objectif | Réalisé | %, a Rosstat table of years over quarter words, a Census
table of stacked sub-tables, a BLS year x month grid, a Destatis GENESIS CSV, a Statistik
Austria census table) without copying any of their content.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import DATE, KPI, ROW, TARGET, VALUE
from kpicli.readers.files import read_data
from kpicli.readers.headers import header_block, parts_period, strip_marks
from tests.helpers import invoke, new_sheet, write_csv, write_kpis


def ym(frame: pd.DataFrame) -> list[str]:
    return [d.strftime("%Y-%m") for d in frame[DATE]]


def reported(tmp_path: Path, yaml_text: str, data: Path) -> dict:  # type: ignore[type-arg]
    """``kpi report -f json --data DATA`` with the KPI file ``yaml_text``: it must succeed."""
    res = invoke("report", write_kpis(tmp_path, yaml_text), "-f", "json", "--data", data)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def model(yaml_text: str) -> KPIFile:
    import yaml

    return KPIFile.model_validate(yaml.safe_load(yaml_text))


# ----------------------------------------------------------------------------- French tracker


def french_tracker(path: Path) -> Path:
    """Months merged over Objectif | Réalisé | %, a title row above, KPI names in column A."""
    wb, ws = new_sheet("Suivi", "Tableau de bord commercial 2026")
    ws["A3"] = "Indicateur"
    ws.merge_cells("A3:A4")
    for k, month in enumerate(["Jan 2026", "Feb 2026", "Mar 2026"]):
        col = 2 + 3 * k
        ws.cell(3, col, month)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 2)
        for j, role in enumerate(["Objectif", "Réalisé", "%"]):
            ws.cell(4, col + j, role)
    rows = [
        ("Chiffre d'affaires", [(100, 90), (110, 115), (120, None)]),
        ("Nouveaux clients", [(20, 18), (20, "n.c"), (25, None)]),
    ]
    for i, (name, cells) in enumerate(rows):
        r = 5 + i
        ws.cell(r, 1, name)
        for k, (target, actual) in enumerate(cells):
            ws.cell(r, 2 + 3 * k, target)
            ws.cell(r, 3 + 3 * k, actual)
            if isinstance(actual, int):
                ws.cell(r, 4 + 3 * k, actual / target)
    wb.save(path)
    return path


FRENCH_KPIS = """\
version: 1
title: Suivi
period: month
kpis:
  - {id: ca, name: "Chiffre d'affaires", unit: currency:EUR}
  - {id: clients, name: Nouveaux clients, unit: count}
"""


def test_period_over_target_actual_subcolumns_is_one_period(tmp_path: Path) -> None:
    path = french_tracker(tmp_path / "suivi.xlsx")
    t = read_data([path], model=model(FRENCH_KPIS))
    f = t.frame
    src = t.sources[0]
    assert (src.layout, src.header_row) == ("kpi_rows", 4)
    # The Réalisé cells are the actuals, the Objectif cells the targets, % is left out.
    got = list(zip(f[KPI], ym(f), f[VALUE], f[TARGET], f[ROW], strict=True))
    assert got == [
        ("Chiffre d'affaires", "2026-01", 90.0, 100.0, 5),
        ("Chiffre d'affaires", "2026-02", 115.0, 110.0, 5),
        ("Nouveaux clients", "2026-01", 18.0, 20.0, 6),
        ("Nouveaux clients", "2026-02", float("nan"), 20.0, 6),
    ] or _nan_equal(got)
    d601 = [x for x in t.findings if x.rule == "D601"]
    assert len(d601) == 1 and d601[0].location.endswith("!Suivi!F6")
    assert any("header over rows 3-4" in n for n in t.notes)


def _nan_equal(got: list[tuple]) -> bool:  # type: ignore[type-arg]
    row = got[3]
    return row[2] != row[2] and row[:2] == ("Nouveaux clients", "2026-02")


def test_pointed_at_the_month_row_it_still_reads_the_actuals(tmp_path: Path) -> None:
    """The bug report: with header_row on the period row, the Target cells became actuals."""
    path = french_tracker(tmp_path / "suivi.xlsx")
    t = read_data([path], DataSpec(header_row=3), model=model(FRENCH_KPIS))
    f = t.frame[t.frame[KPI] == "Chiffre d'affaires"]
    assert f[VALUE].tolist() == [90.0, 115.0]
    assert f[TARGET].tolist() == [100.0, 110.0]


def test_french_tracker_report(tmp_path: Path) -> None:
    path = french_tracker(tmp_path / "suivi.xlsx")
    out = reported(tmp_path, FRENCH_KPIS, path)
    ca = next(k for k in out["kpis"] if k["id"] == "ca")
    assert (out["period"], ca["actual"], ca["target"]) == ("2026-02", 115.0, 110.0)
    assert any("header over rows 3-4" in n for n in out["notes"])


# ----------------------------------------------------------------------------- Rosstat-like


def years_over_quarters(path: Path) -> Path:
    """Years merged over I..IV квартал and a whole-year column; age group repeats the regions."""
    wb, ws = new_sheet("Данные", "Уровень безработицы")
    ws["E3"] = "2010"
    ws["E4"] = "значение показателя за год"
    words = ["I квартал", "II квартал", "III квартал", "IV квартал", "значение показателя за год"]
    for k, year in enumerate(["2011", "2012"]):
        col = 6 + 5 * k
        ws.cell(3, col, year)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 4)
        for j, w in enumerate(words):
            ws.cell(4, col + j, w)
    data = [
        ("15 лет и старше", "Россия", [7.5, 7.0, 6.8, 6.5, 6.2, 6.5, 5.8, 5.5, 5.2, 5.1, 5.4]),
        ("15 лет и старше", "    Москва", [2.0, 1.9, 1.8, 1.7, 1.6, 1.8, 1.5, 1.4, 1.3, 1.2, 1.4]),
        ("15-72 лет", "Россия", [7.3, 6.6, 6.5, 6.3, 6.1, 6.4, 5.7, 5.4, 5.1, 4.9, 5.3]),
        ("15-72 лет", "    Москва", [1.9, 1.8, 1.7, 1.6, 1.5, 1.7, 1.4, 1.3, 1.2, 1.1, 1.3]),
    ]
    for i, (age, region, values) in enumerate(data):
        r = 5 + i
        ws.cell(r, 1, age)
        ws.cell(r, 2, region)
        ws.cell(r, 3, "процент")
        ws.cell(r, 4, "Уровень безработицы")
        for j, v in enumerate(values):
            ws.cell(r, 5 + j, v)
    wb.save(path)
    return path


RU_KPIS = """\
version: 1
title: Безработица
period: quarter
kpis:
  - {id: ru, name: Россия, unit: percent, direction: lower, target: {max: 6}}
"""


def test_years_over_quarter_words_are_quarters_and_one_section(tmp_path: Path) -> None:
    path = years_over_quarters(tmp_path / "ru.xlsx")
    t = read_data([path], model=model(RU_KPIS))
    f = t.frame[t.frame[KPI].str.strip() == "Россия"]
    # Quarters of 2011 and 2012; the whole-year columns of those years are left out (never
    # counted twice), 2010 has only its year; the first age group only.
    assert [d.strftime("%Y-%m") for d in f[DATE]] == [
        "2010-01",
        "2011-01",
        "2011-04",
        "2011-07",
        "2011-10",
        "2012-01",
        "2012-04",
        "2012-07",
        "2012-10",
    ]
    assert f[VALUE].tolist() == [7.5, 7.0, 6.8, 6.5, 6.2, 5.8, 5.5, 5.2, 5.1]
    notes = " ".join(t.notes)
    assert "repeats its KPI rows" in notes and "'15 лет и старше'" in notes
    assert "left out so nothing is counted twice" in notes


def test_section_by_column_value(tmp_path: Path) -> None:
    path = years_over_quarters(tmp_path / "ru.xlsx")
    t = read_data([path], DataSpec(section="15-72 лет"), model=model(RU_KPIS))
    f = t.frame[t.frame[KPI].str.strip() == "Россия"]
    assert f[VALUE].tolist()[-1] == 4.9
    t2 = read_data([path], DataSpec(section=2), model=model(RU_KPIS))
    assert t2.frame[VALUE].tolist() == t.frame[VALUE].tolist()


def test_yearly_report_reads_the_year_columns(tmp_path: Path) -> None:
    path = years_over_quarters(tmp_path / "ru.xlsx")
    yearly = RU_KPIS.replace("period: quarter", "period: year")
    t = read_data([path], model=model(yearly))
    f = t.frame[t.frame[KPI].str.strip() == "Россия"]
    assert [d.year for d in f[DATE]] == [2010, 2011, 2012]
    assert f[VALUE].tolist() == [7.5, 6.5, 5.4]  # the table's own yearly values


# ----------------------------------------------------------------------------- Census-like


def stacked_tables(path: Path) -> Path:
    """A note row, a title, then sub-tables each under its own copy of a 2-row header."""
    wb, ws = new_sheet("pov", "Table with row headers in column A and column headers in rows 4 through 5")
    ws["A2"] = "Table 2. Poverty status: 2019 to 2023"
    r = 3
    groups = {
        "All Races": [(2023, 300, 11.1), ("2022 (2)", 310, 11.5), (2021, 320, 11.6)],
        "White Alone": [(2023, 200, 8.6), (2022, 205, 8.9), (2021, 210, 9.0)],
        "Black Alone": [
            (2023, 80, 17.9),
            (2022, 85, 17.1),
            (2021, 82, 19.5),
            (2020, 84, 19.4),
            (2019, "N", 18.8),
        ],
    }
    for title, rows in groups.items():
        ws.cell(r, 1, title)
        ws.cell(r + 1, 1, "Year")
        ws.cell(r + 1, 2, "Below poverty")
        ws.merge_cells(start_row=r + 1, start_column=2, end_row=r + 1, end_column=3)
        ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 2, end_column=1)
        ws.cell(r + 2, 2, "Number")
        ws.cell(r + 2, 3, "Percent")
        for i, (year, number, pct) in enumerate(rows):
            ws.cell(r + 3 + i, 1, year)
            ws.cell(r + 3 + i, 2, number)
            ws.cell(r + 3 + i, 3, pct)
        r += 3 + len(rows)
    ws.cell(r, 1, "Source: a household survey.")
    wb.save(path)
    return path


CENSUS_KPIS = """\
version: 1
title: Poverty
period: year
kpis:
  - id: poor
    name: People below poverty
    unit: count
    direction: lower
    measure: {column: "Below poverty / Number", aggregate: sum}
    target: 150
"""


def test_stacked_tables_read_one_section_never_summed(tmp_path: Path) -> None:
    path = stacked_tables(tmp_path / "pov.xlsx")
    t = read_data([path], model=model(CENSUS_KPIS))
    f = t.frame
    src = t.sources[0]
    # The note row above the title is not the header; the header spans rows 4-5.
    assert src.header_row == 5
    assert "Below poverty / Number" in f.columns and "Below poverty / Percent" in f.columns
    # Only the first table: 2023 is 300, not 300 + 200 + 80.
    by_year = dict(zip([d.year for d in f[DATE]], f["Below poverty / Number"], strict=True))
    assert by_year[2023] == 300.0 and by_year[2021] == 320.0
    assert len(f) == len(set(f[DATE])) or 2022 not in by_year
    notes = " ".join(t.notes)
    assert "holds 3 tables stacked" in notes and "reading section 1 'All Races'" in notes
    assert "data.section" in notes


@pytest.mark.parametrize("section", ["White Alone", "white alone", 2])
def test_section_by_title_or_number(tmp_path: Path, section: str | int) -> None:
    path = stacked_tables(tmp_path / "pov.xlsx")
    t = read_data([path], DataSpec(section=section), model=model(CENSUS_KPIS))
    f = t.frame
    assert sorted(f["Below poverty / Number"].tolist()) == [200.0, 205.0, 210.0]
    assert f["_row"].tolist() == [12, 13, 14]


def test_section_findings_name_the_cell(tmp_path: Path) -> None:
    path = stacked_tables(tmp_path / "pov.xlsx")
    t = read_data([path], DataSpec(section="Black Alone"), model=model(CENSUS_KPIS))
    d601 = [x for x in t.findings if x.rule == "D601"]
    assert len(d601) == 1 and d601[0].location.endswith("!pov!B22")


@pytest.mark.parametrize(
    ("section", "needle"),
    [(4, "out of range"), ("Asian", "is not a section title"), ("Alone", "matches several")],
)
def test_unknown_section_is_one_clear_error(
    tmp_path: Path, section: str | int, needle: str
) -> None:
    path = stacked_tables(tmp_path / "pov.xlsx")
    with pytest.raises(DataError) as exc:
        read_data([path], DataSpec(section=section), model=model(CENSUS_KPIS))
    assert needle in exc.value.message and "'All Races'" in exc.value.message


def test_section_on_a_single_table_says_so(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "date,sales\n2026-01-01,5\n2026-02-01,6\n", "one.csv")
    with pytest.raises(DataError) as exc:
        read_data([p], DataSpec(section=2))
    assert "holds one table" in exc.value.message and "data.section" in exc.value.message


def test_stacked_tables_report_and_note(tmp_path: Path) -> None:
    path = stacked_tables(tmp_path / "pov.xlsx")
    out = reported(tmp_path, CENSUS_KPIS, path)
    assert (out["period"], out["kpis"][0]["actual"]) == ("2023", 300.0)
    assert any("reading section 1 'All Races'" in n for n in out["notes"])


def test_csv_with_repeated_header_lines_is_one_table(tmp_path: Path) -> None:
    """Exports joined end to end repeat their header without a title: all rows count."""
    p = write_csv(
        tmp_path, "date,sales\n2026-01-01,5\n2026-01-02,6\ndate,sales\n2026-02-01,7\n", "joined.csv"
    )
    t = read_data([p])
    assert t.frame["sales"].tolist() == [5.0, 6.0, 7.0]


# ----------------------------------------------------------------------------- BLS-like grid


def year_month_grid(path: Path) -> Path:
    wb, ws = new_sheet("Series", "Labor Force Statistics")
    ws["A3"] = "Series Id:"
    ws["B3"] = "XYZ0001"
    ws.merge_cells("B3:F3")
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    ws.append([])
    ws.append(["Year", *months])  # row 5
    ws.append([2024, *[4.0 + i / 10 for i in range(12)]])
    ws.append([2025, 5.0, 5.1, "(P)", 5.3])
    wb.save(path)
    return path


GRID_KPIS = """\
version: 1
title: Unemployment
period: month
kpis:
  - {id: rate, name: Unemployment rate, unit: percent, direction: lower,
     measure: {column: Value}, target: {max: 5}}
"""


def test_year_by_month_grid_is_one_monthly_series(tmp_path: Path) -> None:
    path = year_month_grid(tmp_path / "series.xlsx")
    t = read_data([path], model=model(GRID_KPIS))
    f = t.frame
    assert ym(f)[:3] == ["2024-01", "2024-02", "2024-03"]
    assert ym(f)[-4:] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert len(f) == 16  # 12 + 4 cells, the empty May..Dec 2025 are no rows
    values = f["Value"].tolist()[12:]
    assert values[:2] + values[3:] == [5.0, 5.1, 5.3]
    assert f["Value"].isna().sum() == 1 and values[2] != values[2]  # "(P)": no value
    assert f[ROW].tolist()[12:] == [7, 7, 7, 7]
    d601 = [x for x in t.findings if x.rule == "D601"]
    assert len(d601) == 1 and d601[0].location.endswith("!Series!D7")
    assert any("grid of years down and months across" in n for n in t.notes)


def test_grid_report(tmp_path: Path) -> None:
    path = year_month_grid(tmp_path / "series.xlsx")
    out = reported(tmp_path, GRID_KPIS, path)
    assert (out["period"], out["kpis"][0]["actual"]) == ("2025-04", 5.3)


# ----------------------------------------------------------------------------- Destatis-like CSV


def genesis_csv(path: Path) -> Path:
    text = (
        "GENESIS-Tabelle: 61111-0002\n"
        "Verbraucherpreisindex:;;;;\n"
        "Deutschland, Monate;;;;\n"
        ";;Consumer price index;Change on previous year's month;Change on previous month\n"
        ";;2015=100;in (%);in (%)\n"
        "2020;January;105,2;.;.\n"
        "2020;February;105,6;-;+0,4\n"
        "2020;März;105,7;+1,4;+0,1\n"
        "2020;April;...;...;...\n"
        "__________\n"
        "© Statistisches Bundesamt, Wiesbaden\n"
        "Stand: 21.07.2021 / 20:00:51\n"
    )
    path.write_bytes(text.encode("iso-8859-1"))
    return path


GENESIS_KPIS = """\
version: 1
title: Prices
period: month
kpis:
  - {id: cpi, name: Consumer price index, unit: points, direction: lower,
     measure: {column: Consumer price index, aggregate: mean}, target: 110}
  - {id: mom, name: Change on previous month, unit: percent, direction: lower,
     measure: {column: Change on previous month, aggregate: mean}, target: {max: 0.5}}
"""


def test_unnamed_year_and_month_columns_units_row_and_footer(tmp_path: Path) -> None:
    path = genesis_csv(tmp_path / "61111-0002.csv")
    t = read_data([path], model=model(GENESIS_KPIS))
    f = t.frame
    assert ym(f) == ["2020-01", "2020-02", "2020-03", "2020-04"]
    cpi = f["Consumer price index"].tolist()
    assert cpi[:3] == [105.2, 105.6, 105.7] and cpi[3] != cpi[3]  # "..." is no value
    assert f["Change on previous month"].tolist()[1:3] == [0.4, 0.1]
    # The units row, placeholders and footer lines are not data: no finding about them.
    assert [x.rule for x in t.findings if x.rule in ("D601", "D607")] == []
    notes = " ".join(t.notes)
    assert "line 5 under the header read as units" in notes
    assert "read together as the period" in notes
    assert "lines 10-12 under the table read as notes" in notes


def test_genesis_report(tmp_path: Path) -> None:
    path = genesis_csv(tmp_path / "61111-0002.csv")
    out = reported(tmp_path, GENESIS_KPIS, path)
    cpi = next(k for k in out["kpis"] if k["id"] == "cpi")
    assert (out["period"], cpi["actual"]) == ("2020-03", 105.7)


# ----------------------------------------------------------------------------- census years, marks


def census_years(path: Path) -> Path:
    """Period headers with footnote marks and notes; three sections opened by title rows."""
    wb, ws = new_sheet("Ö", "Bevölkerung nach Alter seit 1869")
    header = [
        "Alter \n(in Jahren)",
        "1869\n(31.12.)",
        "1951\n(1.6.)",
        "2001 1)\n(15.5.)",
        "2021 2)\n(31.10.)",
    ]
    for j, h in enumerate(header):
        ws.cell(2, 1 + j, h)
    r = 3
    for title, scale in (("Männer und Frauen", 2), ("Männer", 1), ("Frauen", 1)):
        ws.cell(r, 2, title)
        for i, label in enumerate(["Insgesamt", "0 bis 4", "5 bis 9"]):
            ws.cell(r + 1 + i, 1, label)
            for j in range(4):
                ws.cell(r + 1 + i, 2 + j, scale * (1000 * (3 - i) + 10 * j) + (title == "Frauen"))
        r += 4
    ws.cell(r, 1, "Q: Statistik. 1) Kundmachung. 2) Record Swapping.")
    wb.save(path)
    return path


CENSUS_YEARS_KPIS = """\
version: 1
title: Population
period: year
kpis:
  - {id: total, name: Insgesamt, unit: count, target: 10000}
"""


def test_period_headers_with_footnote_marks_and_title_sections(tmp_path: Path) -> None:
    path = census_years(tmp_path / "bev.xlsx")
    t = read_data([path], model=model(CENSUS_YEARS_KPIS))
    f = t.frame[t.frame[KPI] == "Insgesamt"]
    assert [d.year for d in f[DATE]] == [1869, 1951, 2001, 2021]
    assert f[VALUE].tolist() == [6000.0, 6020.0, 6040.0, 6060.0]  # section 1 only
    assert any("reading section 1 'Männer und Frauen'" in n for n in t.notes)
    t3 = read_data([path], DataSpec(section="Frauen"), model=model(CENSUS_YEARS_KPIS))
    f3 = t3.frame[t3.frame[KPI] == "Insgesamt"]
    assert f3[VALUE].tolist() == [3001.0, 3011.0, 3021.0, 3031.0]


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("2020 (2)", "2020"),
        ("2001 1) (15.5.)", "2001"),
        ("1869\n(31.12.)", "1869"),
        ("2019*", "2019"),
        ("Q3 2026", "Q3 2026"),
    ],
)
def test_strip_marks(text: str, bare: str) -> None:
    assert strip_marks(text) == bare


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("2011", "I квартал"), ("quarter", dt.date(2011, 1, 1), None)),
        (("2011", "IV квартал"), ("quarter", dt.date(2011, 10, 1), None)),
        (("2011", "значение показателя за год"), ("year", dt.date(2011, 1, 1), None)),
        (("Jan 2026", "Objectif"), ("month", dt.date(2026, 1, 1), "target")),
        (("Jan 2026", "Réalisé"), ("month", dt.date(2026, 1, 1), "actual")),
        (("Jan 2026", "%"), ("month", dt.date(2026, 1, 1), "other")),
        (("2024", "Mar"), ("month", dt.date(2024, 3, 1), None)),
        (("All people", "Total"), None),
    ],
)
def test_parts_period(parts: tuple[str, ...], expected: object) -> None:
    assert parts_period(parts) == expected


def test_header_block_units_row_is_not_a_name() -> None:
    rows: list[list[object]] = [
        [None, None, "Consumer price index", "Change"],
        [None, None, "2015=100", "in (%)"],
        ["1991", "January", "64.0", "."],
    ]
    b = header_block(rows, 0)
    assert (b.first, b.last, b.units, b.parts) == (0, 0, [1], None)


# ----------------------------------------------------------------------------- errors and notes


def test_no_date_column_error_names_sheet_header_row_and_keys(tmp_path: Path) -> None:
    wb, ws = new_sheet("Data")
    ws.append(["Region", "Sales"])
    ws.append(["North", 5])
    wb.create_sheet("Other").append(["x"])
    path = tmp_path / "nodates.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as exc:
        read_data([path], DataSpec(sheet="Data"))
    msg = exc.value.message
    assert "(sheet 'Data')" in msg and "header from row 1" in msg
    assert "data.header_row" in msg and "data.sheet" in msg and "data.date_column" in msg


def test_sheet_choice_is_a_note(tmp_path: Path) -> None:
    wb, _ = new_sheet("Readme")
    ws2 = wb.create_sheet("Data")
    ws2.append(["date", "sales"])
    ws2.append([dt.date(2026, 1, 5), 3])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    t = read_data([path])
    assert any("read sheet 'Data'" in n and "data.sheet" in n for n in t.notes)


def test_readme_documents_every_data_key() -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    # Spreadsheet keys in "Your own spreadsheet"; database keys in "Data in a database".
    own = text[text.index("## Your own spreadsheet") : text.index("## Checking definitions")]
    for key in DataSpec.model_fields:
        assert f"\n  {key}:" in own or f"`{key}" in own or f"{key}:" in own, key
