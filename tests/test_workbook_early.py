"""`kpi report --data book.xlsx` starts reading the sheet before the data stack imports; the
report is the same as without that early start, and the early read is used only for the file
and sheet it was made for."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from kpicli.readers import sheet_xml
from tests.helpers import CsvFile, KpiFile

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = ["sales/sales.xlsx", "support/tickets.xlsx", "ecommerce-cx/cx-weekly.xlsx"]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each read of a sheet took an early read (True) or found none (False)."""
    seen: list[bool] = []
    real = sheet_xml.take

    def spy(path: Path, sheet: str) -> sheet_xml.SheetPrefetch | None:
        got = real(path, sheet)
        seen.append(got is not None)
        return got

    monkeypatch.setattr(sheet_xml, "take", spy)
    return seen


@pytest.mark.parametrize("rel", EXAMPLES)
def test_the_report_is_the_same_with_and_without_the_early_start(
    rel: str, invoke, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = REPO / "examples" / rel
    kpis = book.parent / "kpis.yaml"
    early = invoke("report", str(kpis), "--data", str(book), "-f", "json", "--period", "2026-03")
    assert taken == [True], "the early read was not used: the early start is dead"
    monkeypatch.setattr(sheet_xml, "start", lambda path, sheet=None: None)
    late = invoke("report", str(kpis), "--data", str(book), "-f", "json", "--period", "2026-03")
    assert taken == [True, False]
    assert (early.exit_code, early.stdout, early.stderr) == (
        late.exit_code,
        late.stdout,
        late.stderr,
    )


def test_kpi_show_reads_the_same_with_and_without_the_early_start(
    invoke, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = REPO / "examples" / "sales" / "sales.xlsx"
    kpis = book.parent / "kpis.yaml"
    args = ("show", "revenue", str(kpis), "--data", str(book), "-f", "json")
    early = invoke(*args)
    assert taken == [True]
    monkeypatch.setattr(sheet_xml, "start", lambda path, sheet=None: None)
    late = invoke(*args)
    assert taken == [True, False]
    assert early.exit_code == late.exit_code == 0, early.stderr
    assert (early.stdout, early.stderr) == (late.stdout, late.stderr)


def _book(path: Path, sheets: tuple[str, ...] = ("Data",)) -> Path:
    wb = openpyxl.Workbook()
    for k, title in enumerate(sheets):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = title
        ws.append(["date", "kpi", "value"])
        for i in range(24):
            ws.append([dt.datetime(2024, 1 + i % 12, 1), "revenue", 100.0 + i + 10 * k])
    wb.save(path)
    return path


KPIS = """\
version: 1
period: month
kpis:
  - id: revenue
    name: Revenue
    unit: count
    measure: {column: revenue, aggregate: sum}
    target: {value: 100}
"""


def test_the_sheet_named_in_the_kpi_file_is_the_one_read_early(
    tmp_path: Path, invoke, kpi_file: KpiFile, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = _book(tmp_path / "two.xlsx", ("First", "Second"))
    kpis = kpi_file(KPIS + "data:\n  sheet: Second\n")
    ran = invoke("report", str(kpis), "--data", str(book), "-f", "json")
    assert ran.exit_code == 0, ran.stderr
    assert taken == [True]
    # 2024-12 on sheet Second: rows 11 and 23 hold 100 + i + 10 (sheet First: 111 + 123).
    assert ran.json()["kpis"][0]["actual"] == 121.0 + 133.0
    # An early read of another sheet than the one read is dropped, never used.
    monkeypatch.setattr(sheet_xml, "_chosen_sheet", lambda names, visible, sheet: "First")
    again = invoke("report", str(kpis), "--data", str(book), "-f", "json")
    assert taken == [True, False]
    assert again.stdout == ran.stdout


def test_data_path_in_the_kpi_file_is_read_early(
    tmp_path: Path, invoke, kpi_file: KpiFile, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "books").mkdir()
    _book(tmp_path / "books" / "one.xlsx")
    kpis = kpi_file(KPIS + "data:\n  path: books/one.xlsx\n")
    early = invoke("report", str(kpis), "-f", "json")
    assert early.exit_code == 0, early.stderr
    assert taken == [True]
    monkeypatch.setattr(sheet_xml, "start", lambda path, sheet=None: None)
    late = invoke("report", str(kpis), "-f", "json")
    assert taken == [True, False]
    assert (early.stdout, early.stderr) == (late.stdout, late.stderr)


def test_no_early_start_for_a_csv_data_path_or_a_broken_kpi_file(
    tmp_path: Path, kpi_file: KpiFile, csv_file: CsvFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpicli.api.report import start_reading

    started: list[object] = []
    monkeypatch.setattr(sheet_xml, "start", lambda path, sheet=None: started.append(path))
    csv_file("date,kpi,value\n2024-01-01,revenue,1\n")
    start_reading(None, kpi_file(KPIS + "data:\n  path: data.csv  # not book.xlsx\n"))
    start_reading(None, kpi_file("data: [unclosed\n  path: book.xlsx\n", "broken.yaml"))
    start_reading(None, tmp_path / "missing.yaml")
    assert started == []
    start_reading(None, kpi_file(KPIS + "data:\n  path: book.xlsx\n", "book.yaml"))
    assert started == [tmp_path / "book.xlsx"]


def test_an_early_read_is_only_taken_for_the_same_file_and_sheet(tmp_path: Path) -> None:
    book = _book(tmp_path / "one.xlsx")
    sheet_xml.start(book)
    assert sheet_xml.take(book, "Other") is None
    assert sheet_xml.take(book, "Data") is None  # dropped by the first take

    sheet_xml.start(book)
    other = shutil.copy(book, tmp_path / "copy.xlsx")
    assert sheet_xml.take(Path(other), "Data") is None  # same bytes, another file

    sheet_xml.start(book)
    st = book.stat()
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # saved again
    assert sheet_xml.take(book, "Data") is None

    sheet_xml.start(book)
    early = sheet_xml.take(book, "Data")
    assert early is not None and early.load
    _, sheet = early.loaded(book)
    assert [c.name for c in sheet.selected_columns] == ["date", "kpi", "value"]


def test_no_early_start_for_other_files_or_over_the_size_limit(
    tmp_path: Path, csv_file: CsvFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = csv_file("date,kpi,value\n2024-01-01,revenue,1\n")
    sheet_xml.start(csv)
    assert sheet_xml.take(csv, "data") is None
    book = _book(tmp_path / "one.xlsx")
    from kpicli import limits

    monkeypatch.setattr(limits, "_current", limits.Limits(unzipped_size=1000))
    sheet_xml.start(book)  # refused before anything is unpacked: the reader says why
    assert sheet_xml.take(book, "Data") is None
