"""Files the readers cannot use raise one DataError naming the file, never a library traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kpicli.errors import DataError, KpiError
from kpicli.model.kpifile import DataSpec
from kpicli.readers.files import read_data
from tests.helpers import write_csv

DATA = Path(__file__).parent / "data"


def fails(paths: list[str | Path], spec: DataSpec | None = None, base: Path | None = DATA) -> str:
    """The message of the DataError; any other exception fails the test."""
    with pytest.raises(DataError) as info:
        read_data(paths, spec, base_dir=base)
    assert isinstance(info.value, KpiError) and info.value.exit_code == 2
    message = str(info.value)
    assert "Traceback" not in message and "\n" not in message
    return message


def test_missing_file() -> None:
    assert fails(["nope.csv"]).startswith("data file not found: nope.csv")


def test_glob_without_matches() -> None:
    assert fails(["exports/*.xlsx"]).startswith("no files match 'exports/*.xlsx'")


def test_folder_instead_of_file() -> None:
    assert "exports is a folder" in fails(["exports"])


def test_random_bytes_named_xlsx() -> None:
    assert fails(["random.xlsx"]) == (
        "random.xlsx is not an Excel workbook (its content is not in a workbook format); "
        "open it in the spreadsheet program and save it again"
    )


def test_csv_renamed_to_xlsx() -> None:
    msg = fails(["csv_renamed.xlsx"])
    assert msg.startswith("csv_renamed.xlsx is not an Excel workbook: it contains plain text")
    assert "rename it to .csv" in msg


def test_truncated_workbook() -> None:
    msg = fails(["truncated.xlsx"])
    assert msg.startswith("cannot read truncated.xlsx: the workbook is damaged")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    p = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    assert fails([p], base=None).startswith(f"cannot read {p}: the workbook is damaged")


def test_empty_csv() -> None:
    assert fails(["empty.csv"]) == "empty.csv is empty"


def test_header_only_csv() -> None:
    assert fails(["header_only.csv"]) == "header_only.csv has a header but no data rows"


def test_no_date_column() -> None:
    msg = fails(["no_dates.csv"])
    # It names what it tried (file, header line, columns) and the keys that fix it.
    assert msg.startswith(
        "no date or period column found in no_dates.csv, reading the header from line 1 "
        "(columns: 'team'"
    )
    assert "data.header_row" in msg and "data.date_column" in msg
    assert "data.sheet" not in msg  # a CSV file has no sheets


def test_wrong_sheet_name_lists_the_sheets() -> None:
    assert fails(["tracker.xlsx"], DataSpec(sheet="Data")) == (
        "tracker.xlsx has no sheet 'Data'; sheets: 'Tracker', 'Notes'"
    )


def test_sheet_index_out_of_range() -> None:
    msg = fails(["tracker.xlsx"], DataSpec(sheet=5))
    assert msg.startswith("tracker.xlsx has no sheet number 5") and "'Tracker', 'Notes'" in msg


def test_named_sheet_without_data() -> None:
    msg = fails(["tracker.xlsx"], DataSpec(sheet="Notes"))
    assert "tracker.xlsx (sheet 'Notes')" in msg


def test_unknown_columns_in_the_spec() -> None:
    msg = fails(["utf8.csv"], DataSpec(date_column="closed"))
    assert msg.startswith("data.date_column 'closed' is not a column of utf8.csv; columns:")
    msg = fails(["utf8.csv"], DataSpec(layout="long"))
    assert msg.startswith("utf8.csv is not in the long layout")


def test_date_column_without_dates() -> None:
    msg = fails(["utf8.csv"], DataSpec(date_column="team"))
    assert msg.startswith("column 'team' of utf8.csv holds no dates or periods")


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "data.json"
    p.write_text("{}", encoding="utf-8")
    assert "unsupported file type '.json'" in fails([p], base=None)


def test_binary_file_named_csv(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x00\x01\x02binary")
    assert "is not a text file" in fails([p], base=None)


def test_xlsx_named_csv(tmp_path: Path) -> None:
    p = tmp_path / "book.csv"
    p.write_bytes((DATA / "tracker.xlsx").read_bytes())
    assert (
        fails([p], base=None) == f"{p} is a workbook, not a text file: rename it to .xlsx (or .xls)"
    )


def test_ragged_csv_names_the_line(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        "date,value\n2026-01-01,1\n2026-01-02,2,3,4\n2026-01-03,3\n2026-01-04,4\n",
        "ragged.csv",
    )
    assert fails([p], base=None) == (
        f"cannot read {p}: line 3 has more fields than the header (2); "
        "quote values that contain the delimiter ','"
    )


def test_trailing_delimiters_are_harmless(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path, "date,value\n2026-01-01,1\n2026-01-02,2,\n2026-01-03,3,,\n", "trailing.csv"
    )
    t = read_data([p])
    assert t.frame["value"].tolist() == [1.0, 2.0, 3.0]
    assert [c for c in t.frame.columns if not c.startswith("_")] == ["value"]


def test_unknown_encoding_in_the_spec() -> None:
    assert fails(["utf8.csv"], DataSpec(encoding="klingon")).startswith(
        "unknown encoding 'klingon' for utf8.csv"
    )


def test_no_paths() -> None:
    assert fails([]).startswith("no data file given")
