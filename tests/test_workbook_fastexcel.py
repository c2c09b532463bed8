"""The fastexcel path reads a sheet exactly as the python-calamine path does, or not at all.

Every workbook of the test data, the examples, the workbooks built here (dates, times, text
numbers, empty and error cells, truth values, percent formats, the 1904 date system) and the
real-world files in ../shared/realworld is read both ways: the grids are equal cell for cell
(value and type) whenever the fast path takes a sheet, and the Table (frame, findings, notes,
sources) that read_data builds is the same either way. Sheets the fast path must leave to
python-calamine (titles, merged cells, mixed columns, old dates) are named, so a fast path
that silently never runs -- or runs where it should not -- fails here.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

import kpicli.readers.workbook as wbmod
from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec
from kpicli.readers.files import read_data
from tests.helpers import new_sheet
from tests.shared_files import require_external, shared_dir

REPO = Path(__file__).resolve().parent.parent
FIXTURES = sorted(
    p
    for pattern in ("tests/data/*.xls*", "tests/data/*.ods", "examples/*/*.xls*")
    for p in REPO.glob(pattern)
)


def _long_rows(ws: openpyxl.worksheet.worksheet.Worksheet, n: int = 40) -> None:
    for i in range(n):
        ws.append([dt.datetime(2024, 1 + i % 12, 1 + i % 28), f"kpi_{i % 3}", 10.0 + i])


def _build(folder: Path) -> dict[str, tuple[Path, dict[str, bool]]]:
    """Workbooks covering each kind of cell; per sheet: whether the fast path may take it."""
    out: dict[str, tuple[Path, dict[str, bool]]] = {}

    wb, ws = new_sheet("Types")
    ws.append(["date", "kpi", "value", "note", "flag", "ratio", "stamp", "target"])
    for i in range(30):
        ws.append(
            [
                dt.datetime(2024, 1 + i % 12, 1 + i % 27),
                f"kpi_{i % 3}",
                None if i % 7 == 3 else 1.5 * i,
                str(i) if i % 2 else f"{i}.5",  # numbers stored as text
                i % 3 == 0,
                0.05 * i,
                dt.datetime(2024, 2, 1, 8, 30, 15) + dt.timedelta(hours=i, milliseconds=7 * i),
                f"=C{i + 2}*2",  # a formula written by a script: never calculated
            ]
        )
        ws.cell(i + 2, 6).number_format = "0%"
    ws["C5"] = "#N/A"  # error cells
    ws["C9"] = "#DIV/0!"
    ws["D4"] = None
    ws["E6"] = None

    offset = wb.create_sheet("Offset")  # the table starts at C3
    offset["C3"], offset["D3"], offset["E3"] = "Month", "KPI", "Value"
    for i in range(12):
        offset.cell(4 + i, 3, dt.datetime(2025, 1 + i, 1))
        offset.cell(4 + i, 4, "revenue")
        offset.cell(4 + i, 5, 100.0 + i)

    titled = wb.create_sheet("Titled")  # a title above the header
    titled.append(["Quarterly KPIs"])
    titled.append([])
    titled.append(["date", "kpi", "value"])
    _long_rows(titled)

    merged = wb.create_sheet("Merged")
    merged.append(["date", "kpi", "value"])
    _long_rows(merged)
    merged.merge_cells("B2:B4")

    mixed = wb.create_sheet("Mixed")  # text among the numbers: D601 names the cells
    mixed.append(["date", "kpi", "value"])
    _long_rows(mixed)
    mixed["C7"] = "n/a"

    old = wb.create_sheet("Old")  # before 1900-03-01, where Excel's calendar is off by a day
    old.append(["date", "kpi", "value"])
    for i in range(10):
        old.append([dt.datetime(1900, 1, 1 + i), "kpi_a", float(i)])

    times = wb.create_sheet("Times")  # time-only cells
    times.append(["date", "kpi", "value", "at"])
    for i in range(10):
        times.append([dt.datetime(2024, 3, 1 + i), "kpi_a", float(i), dt.time(9, i)])

    dup = wb.create_sheet("Repeated")  # fastexcel renames the second "value"
    dup.append(["date", "kpi", "value", "value"])
    for i in range(10):
        dup.append([dt.datetime(2024, 3, 1 + i), "kpi_a", float(i), float(i + 1)])

    years = wb.create_sheet("Years")  # a tracker headed by year numbers
    years.append(["KPI", 2023, 2024])
    years.append(["revenue", 10.0, 12.0])
    years.append(["cost", 5.0, 6.0])

    blank = wb.create_sheet("Blank header")
    blank.append(["date", None, "value"])
    for i in range(10):
        blank.append([dt.datetime(2024, 3, 1 + i), "kpi_a", float(i)])

    wb.create_sheet("Empty")
    path = folder / "types.xlsx"
    wb.save(path)
    out["types"] = (
        path,
        {
            "Types": True,
            "Offset": True,
            "Titled": False,
            "Merged": False,
            "Mixed": False,
            "Old": False,
            "Times": False,
            "Repeated": False,
            "Years": False,
            "Blank header": False,
            "Empty": False,
        },
    )

    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Mac"
    ws.append(["date", "kpi", "value"])
    _long_rows(ws)
    path = folder / "mac1904.xlsx"
    wb.save(path)
    out["mac1904"] = (path, {"Mac": True})
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, bool]]]:
    return _build(tmp_path_factory.mktemp("fastexcel"))


def _calamine_grid(path: Path, sheet: str, names: list[str]) -> wbmod.Grid:
    old = wbmod.FASTEXCEL
    wbmod.FASTEXCEL = False
    try:
        return wbmod.read_grid(path, path.name, sheet, names)
    finally:
        wbmod.FASTEXCEL = old


def _fast_grid(path: Path, sheet: str, names: list[str]) -> wbmod.Grid | None:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    return wbmod.fast_grid(path, sheet, names, wbmod._Prefetch(path, sheet))


def _assert_same_grid(fast: wbmod.Grid, slow: wbmod.Grid) -> None:
    assert fast.cells.shape == slow.cells.shape
    assert (fast.first_row, fast.first_col) == (slow.first_row, slow.first_col)
    assert fast.uncalculated == slow.uncalculated
    assert fast.merged == slow.merged == []
    assert (fast.percent_cells is None) == (slow.percent_cells is None)
    if fast.percent_cells is not None:
        pd.testing.assert_frame_equal(fast.percent_cells, slow.percent_cells)
    differ = [
        (i, j, a, b)
        for (i, j), a in np.ndenumerate(fast.cells)
        for b in [slow.cells[i, j]]
        if type(a) is not type(b) or a != b
    ]
    assert not differ, differ[:5]
    if fast.filled is not None:  # the mask the fast path read from Arrow: notna of the cells
        np.testing.assert_array_equal(fast.filled, pd.notna(fast.cells))


def _read(path: Path, sheet: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(wbmod, "FASTEXCEL", fast)
    try:
        return read_data([path], DataSpec(sheet=sheet))
    except DataError as exc:
        return exc.message


def _assert_same_table(path: Path, sheet: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _read(path, sheet, True, monkeypatch)
    slow = _read(path, sheet, False, monkeypatch)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    for attr in (
        "layout", "sources", "findings", "value_label", "target_label", "date_label",
        "native_grain", "notes",
    ):
        assert getattr(fast, attr) == getattr(slow, attr), attr


def _compare_workbook(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    try:
        names, _ = wbmod.sheet_names(path, path.name)
    except DataError:
        return {}  # damaged on purpose (truncated.xlsx and friends): nothing to read either way
    taken = {}
    for sheet in names:
        slow = _calamine_grid(path, sheet, names)
        fast = _fast_grid(path, sheet, names)
        taken[sheet] = fast is not None
        if fast is not None:
            _assert_same_grid(fast, slow)
        _assert_same_table(path, sheet, monkeypatch)
    return taken


def test_built_workbooks_read_the_same_and_take_the_expected_path(
    built: dict[str, tuple[Path, dict[str, bool]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for path, expected in built.values():
        assert _compare_workbook(path, monkeypatch) == expected, path.name


def test_fast_path_keeps_error_cells_percent_formats_and_uncalculated_formulas(
    built: dict[str, tuple[Path, dict[str, bool]]],
) -> None:
    path, _ = built["types"]
    grid = _fast_grid(path, "Types", ["Types"])
    assert grid is not None
    # cells[i, j] is sheet row i + 1, column j (A = 0)
    assert grid.cells[4, 2] == "#N/A" and grid.cells[8, 2] == "#DIV/0!"  # C5, C9
    assert grid.cells[1, 0] == dt.date(2024, 1, 1) and type(grid.cells[1, 0]) is dt.date
    assert grid.cells[1, 6] == dt.datetime(2024, 2, 1, 8, 30, 15)
    assert grid.cells[2, 3] == "1" and grid.cells[1, 4] is True
    assert grid.cells[2, 4] is False and grid.cells[2, 2] == 1.5
    assert grid.cells[11, 2] is None and grid.cells[3, 3] is None  # C12, D4: empty cells
    assert ("H", 2) in grid.uncalculated
    assert grid.percent_cells is not None
    assert set(grid.percent_cells["letter"]) == {"F"}


def test_1904_dates_are_the_same_dates(built: dict[str, tuple[Path, dict[str, bool]]]) -> None:
    path, _ = built["mac1904"]
    grid = _fast_grid(path, "Mac", ["Mac"])
    assert grid is not None
    assert grid.cells[1, 0] == dt.date(2024, 1, 1)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(REPO)))
def test_fixture_workbooks_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _compare_workbook(path, monkeypatch)


def test_fast_path_reads_the_shipped_examples() -> None:
    # The examples are plain tables: if the fast path stopped taking them, it would be dead.
    for rel in ("examples/sales/sales.xlsx", "examples/support/tickets.xlsx"):
        path = REPO / rel
        names, _ = wbmod.sheet_names(path, rel)
        assert _fast_grid(path, names[0], names) is not None, rel


def test_realworld_workbooks_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = require_external(shared_dir() / "realworld", "shared/realworld")
    books = sorted(
        # Only these formats can take the fast path; .xls and .ods always read one way.
        p for p in folder.iterdir() if p.suffix.lower() in {".xlsx", ".xlsm"}
    )
    assert books, f"no workbooks in {folder}"
    taken = {p.name: _compare_workbook(p, monkeypatch) for p in books}
    assert any(any(t.values()) for t in taken.values()), taken


def test_without_fastexcel_every_sheet_reads_through_python_calamine(
    built: dict[str, tuple[Path, dict[str, bool]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = built["types"]
    monkeypatch.setitem(sys.modules, "fastexcel", None)  # import fastexcel -> ImportError
    assert _fast_grid(path, "Types", ["Types"]) is None
    grid = wbmod.read_grid(path, path.name, "Types", ["Types"])
    assert grid.cells[4, 2] == "#N/A"


def test_fastexcel_warnings_stay_off_stderr(built: dict[str, tuple[Path, dict[str, bool]]]) -> None:
    # Column H holds only formulas without a value: fastexcel logs a warning about its type.
    path, _ = built["types"]
    code = (
        "import sys; from pathlib import Path; import kpicli.readers.workbook as w; "
        f"p = Path({str(path)!r}); "
        "assert w.fast_grid(p, 'Types', ['Types'], w._Prefetch(p, 'Types')) is not None"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def _odd_book(path: Path) -> dict[str, bool]:
    """Sheets with odd cells; per sheet: whether a layout reads some column from the typed
    numbers fastexcel gave (True) or parses the cells (False)."""
    wb, ws = new_sheet("Long")
    ws.append(["date", "kpi", "value", "target"])
    for i in range(36):
        if i in (5, 6, 20):
            ws.append([])  # blank rows in the middle: dropped, the typed values with them
            continue
        value = None if i % 9 == 4 else 10.0 + 0.25 * i
        ws.append([dt.datetime(2024, 1 + i % 12, 1), f"kpi_{i % 3}", value, 50.0])
    rec = wb.create_sheet("Records")  # one row per date, a column per measure
    rec.append(["date", "orders", "visits", "share", "empty", "note"])
    for i in range(24):
        rec.append([dt.datetime(2024, 1 + i % 12, 1 + i // 12), 3.0 * i, None if i % 5 else 7.0,
                    0.01 * i, None, "ok" if i % 4 else None])
        rec.cell(i + 2, 4).number_format = "0.0%"
    text = wb.create_sheet("Text dates")  # periods as text, numbers as numbers
    text.append(["month", "kpi", "value"])
    for i in range(12):
        text.append([f"2024-{i + 1:02d}", "revenue", 100.0 - i])
    mixed = wb.create_sheet("Text in numbers")  # strict typing fails: python-calamine reads
    mixed.append(["date", "kpi", "value"])
    for i in range(12):
        mixed.append([dt.datetime(2024, 1 + i, 1), "revenue", "12,5" if i == 3 else 10.0 + i])
    foot = wb.create_sheet("Footer")  # a note under the table: rows are cut, cells parsed
    foot.append(["date", "kpi", "value"])
    for i in range(12):
        foot.append([dt.datetime(2024, 1 + i, 1), "revenue", 10.0 + i])
    foot.append([None, "Source: the sales ledger"])
    errors = wb.create_sheet("Errors")  # an error value in a number column: put back as text
    errors.append(["date", "kpi", "value"])
    for i in range(12):
        errors.append([dt.datetime(2024, 1 + i, 1), "revenue", 10.0 + i])
    errors["C5"] = "#DIV/0!"
    wb.save(path)
    return {
        "Long": True, "Records": True, "Text dates": True, "Text in numbers": False,
        "Footer": False, "Errors": False,
    }


def test_typed_numbers_give_the_table_parsing_the_cells_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpicli.readers.layout.sheet import Sheet

    path = tmp_path / "odd.xlsx"
    expected = _odd_book(path)
    real = Sheet.typed_numbers
    used: list[bool] = []

    def spy(self: Sheet, name: str, col: pd.Series, rows: np.ndarray) -> object:
        got = real(self, name, col, rows)
        used.append(got is not None)
        return got

    monkeypatch.setattr(Sheet, "typed_numbers", spy)
    taken = {}
    for sheet in expected:
        used.clear()
        _assert_same_table(path, sheet, monkeypatch)  # typed (fastexcel) vs python-calamine
        monkeypatch.setattr(wbmod, "FASTEXCEL", True)
        used.clear()
        typed = _read(path, sheet, True, monkeypatch)
        taken[sheet] = any(used)
        monkeypatch.setattr(Sheet, "typed_numbers", lambda *a: None)  # the fast grid, parsed
        parsed = _read(path, sheet, True, monkeypatch)
        monkeypatch.setattr(Sheet, "typed_numbers", spy)
        assert not isinstance(typed, str) and not isinstance(parsed, str), (typed, parsed)
        pd.testing.assert_frame_equal(typed.frame, parsed.frame)
        assert typed.findings == parsed.findings and typed.notes == parsed.notes, sheet
    assert taken == expected


def test_typed_numbers_follow_the_kept_rows(tmp_path: Path) -> None:
    from kpicli.model.table import ROW, VALUE

    path = tmp_path / "odd.xlsx"
    _odd_book(path)
    frame = read_data([path], DataSpec(sheet="Long")).frame
    # 33 rows (the blank sheet rows 7, 8 and 22 dropped); i = 4, 13, 22, 31 have no value.
    assert len(frame) == 33
    assert frame[ROW].iloc[:7].tolist() == [2, 3, 4, 5, 6, 9, 10]
    values = frame[VALUE].tolist()
    assert values[:4] == [10.0, 10.25, 10.5, 10.75]
    assert np.isnan(values[4]) and values[5] == 10.0 + 0.25 * 7
    assert int(frame[VALUE].isna().sum()) == 4


def _shared_strings(path: Path) -> None:
    """Rewrite an openpyxl workbook (inline strings) with a shared-strings part, the way
    Excel saves text cells."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    items: list[bytes] = []

    def share(m: re.Match[bytes]) -> bytes:
        items.append(m.group(1))
        return b't="s"><v>%d</v>' % (len(items) - 1)

    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = re.sub(rb't="inlineStr"><is>(.*?)</is>', share, parts[name])
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    body = b"".join(b"<si>%s</si>" % i for i in items)
    parts["xl/sharedStrings.xml"] = b'<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>' % (
        main, len(items), len(items), body
    )
    rel = (
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", rel + b"</Relationships>"
    )
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        b'formats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", override + b"</Types>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_null_like_text_is_looked_for_in_the_shared_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from kpicli.readers.sheet_xml import may_hold_null_text, scan_inputs

    def book(name: str, kpis: list[object], values: list[object] | None = None) -> bool:
        wb, ws = new_sheet("Data")
        ws.append(["date", "kpi", "value"])
        for i, v in enumerate(kpis):
            value = values[i] if values else None if i == 0 else float(i)
            ws.append([dt.datetime(2024, 1 + i, 1), v, value])
        path = tmp_path / name
        wb.save(path)
        _shared_strings(path)
        got = scan_inputs(path, "Data")
        assert got is not None and b"inlineStr" not in got[0]
        _assert_same_table(path, "Data", monkeypatch)  # either answer reads the same table
        return may_hold_null_text(path, got[0])

    assert not book("plain.xlsx", ["revenue", "cost", "Team NA"])
    assert book("na.xlsx", ["revenue", " NA "])  # stripped and case-folded: a superset
    assert book("null.xlsx", ["revenue", "null"])
    assert book("dash.xlsx", ["revenue", "\u2014"])
    rich = CellRichText([TextBlock(InlineFont(b=True), "N"), "/a"])  # runs make one text
    assert book("rich.xlsx", ["revenue", rich])
    # NA in the value column: fastexcel reads it as empty, the second read finds it (D601).
    assert book("value-na.xlsx", ["revenue", "revenue", "revenue"], [1.0, "NA", None])


def test_empty_number_cells_are_not_read_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "odd.xlsx"
    _odd_book(path)  # sheet Long: empty value cells, no null-like text in the workbook
    _shared_strings(path)
    loads: list[object] = []
    real = wbmod.load_fast

    def counted(p: Path, sheet: str) -> tuple[object, object]:
        reader, loaded = real(p, sheet)
        original = reader.load_sheet

        def again(*args: object, **kwargs: object) -> object:
            loads.append(kwargs.get("dtypes"))
            return original(*args, **kwargs)

        class Reader:
            load_sheet = staticmethod(again)

        return Reader(), loaded

    monkeypatch.setattr(wbmod, "load_fast", counted)
    names, _ = wbmod.sheet_names(path, path.name)
    assert _fast_grid(path, "Long", names) is not None
    assert loads == []  # no second read of the number columns as text
    _assert_same_table(path, "Long", monkeypatch)


def _typed_book(path: Path) -> dict[str, bool]:
    """Sheets whose date and text columns fastexcel types; per sheet: whether the layouts
    take the typed dates or the text codes the reader made (True) or parse the cells."""
    wb, ws = new_sheet("Long")  # dates with times of day, blank rows, empty KPI cells
    ws.append(["date", "kpi", "value", "team"])
    for i in range(40):
        if i in (3, 17):
            ws.append([])  # dropped rows: the text codes are renumbered for the rows kept
            continue
        kpi = None if i % 11 == 5 else ["revenue", " cost ", "NPS", "x"][i % 4]
        when = dt.datetime(2024, 1 + i % 12, 1 + i % 5, 9 * (i % 2), 30 * (i % 3 == 0))
        ws.append([when, kpi, 10.0 + i, f"Team {i % 3}" if i % 7 else None])
    rec = wb.create_sheet("Records")  # a second date column: read as dates, not parsed
    rec.append(["date", "orders", "closed", "region"])
    for i in range(30):
        rec.append([dt.datetime(2024, 1 + i % 12, 1), 3.0 * i,
                    dt.datetime(2024, 2, 1 + i % 20) if i % 4 else None, ["N", "S"][i % 2]])
    late = wb.create_sheet("Late")  # dates after 2262: parsed, the KPI codes the reader's
    late.append(["date", "kpi", "value"])
    for i in range(12):
        late.append([dt.datetime(2024 if i else 2300, 1 + i, 1), "revenue", 10.0 + i])
    wb.save(path)
    return {"Long": True, "Records": True, "Late": True}


def test_typed_dates_and_text_codes_give_the_table_parsing_the_cells_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpicli.readers.layout import header
    from kpicli.readers.layout.sheet import Sheet

    path = tmp_path / "typed.xlsx"
    expected = _typed_book(path)
    odd = tmp_path / "odd.xlsx"
    _odd_book(odd)
    odd_taken = {"Long": True, "Records": True, "Text dates": True, "Footer": False}
    books = [(path, s) for s in expected] + [(odd, s) for s in odd_taken]
    real_dates, real_made, real_factorized = Sheet.typed_dates, Sheet.made_codes, Sheet.factorized
    used: list[bool] = []

    def spy_dates(self: Sheet, name: str, col: pd.Series, rows: np.ndarray) -> object:
        got = real_dates(self, name, col, rows)
        used.append(got is not None)
        return got

    def spy_made(self: Sheet, name: str, rows: np.ndarray) -> object:
        got = real_made(self, name, rows)
        used.append(got is not None)
        return got

    def spy_factorized(self: Sheet, name: str) -> object:
        got = self.made.get(name)
        used.append(got is not None and got[0] is self.frame)  # the reader's codes, or made
        return real_factorized(self, name)

    taken = {}
    for book, sheet in books:
        _assert_same_table(book, sheet, monkeypatch)  # typed (fastexcel) vs python-calamine
        monkeypatch.setattr(Sheet, "typed_dates", spy_dates)
        monkeypatch.setattr(Sheet, "made_codes", spy_made)
        monkeypatch.setattr(Sheet, "factorized", spy_factorized)
        used.clear()
        typed = _read(book, sheet, True, monkeypatch)
        taken[(book.name, sheet)] = any(used)
        # The fast grid with no typed column handed on: every cell parsed by the layouts.
        monkeypatch.setattr(header, "_keep_typed", lambda *a: None)
        parsed = _read(book, sheet, True, monkeypatch)
        monkeypatch.undo()
        assert not isinstance(typed, str) and not isinstance(parsed, str), (typed, parsed)
        pd.testing.assert_frame_equal(typed.frame, parsed.frame)
        assert typed.findings == parsed.findings and typed.notes == parsed.notes, sheet
        assert typed.column_codes.keys() == parsed.column_codes.keys(), sheet
        for column, (_, codes, uniques) in typed.column_codes.items():
            _, want, want_uniques = parsed.column_codes[column]
            assert codes.dtype == want.dtype and np.array_equal(codes, want), column
            pd.testing.assert_index_equal(uniques, want_uniques)
    assert taken == {(path.name, s): v for s, v in expected.items()} | {
        (odd.name, s): v for s, v in odd_taken.items()
    }


def test_text_codes_are_what_pandas_factorize_gives() -> None:
    import pyarrow as pa

    cells = ["b", None, "", "a", "b", "", "é", None, "a", " "]
    for kind in (pa.string(), pa.large_string()):
        got, made = wbmod._python_texts(pa.array(cells, type=kind))
        assert made is not None
        frame = pd.DataFrame(got.reshape(-1, 1), dtype=object)  # the grid's frame
        codes, uniques = pd.factorize(frame[0])
        assert made.codes.tolist() == codes.tolist() == [0, -1, -1, 1, 0, -1, 2, -1, 1, 3]
        pd.testing.assert_index_equal(made.uniques, uniques)


def test_dates_after_2262_are_not_handed_on_typed() -> None:
    import pyarrow as pa

    ms = [int(dt.datetime(y, 1, 1, tzinfo=dt.UTC).timestamp() * 1000) for y in (2024, 2300)]
    column = pa.array(ms, type=pa.timestamp("ms"))
    cells, typed = wbmod._cells_and_typed(column, "datetime")
    assert cells is not None and cells.tolist() == [dt.date(2024, 1, 1), dt.date(2300, 1, 1)]
    assert typed is None
    cells, typed = wbmod._cells_and_typed(column[:1], "datetime")
    assert typed is not None and list(typed) == [np.datetime64("2024-01-01", "ns")]


def test_fast_path_knows_which_cells_are_filled(tmp_path: Path) -> None:
    wb, ws = new_sheet("Gaps")
    ws.append(["date", "kpi", "value", "flag", "note"])
    for i in range(30):
        ws.append(
            [
                None if i % 5 == 1 else dt.datetime(2024, 1 + i % 12, 1),
                None if i % 6 == 2 else f"kpi_{i % 3}",
                None if i % 4 == 3 else 1.5 * i,
                None if i % 7 == 4 else i % 2 == 0,
                "" if i % 3 == 0 else None if i % 3 == 1 else "see note",
            ]
        )
    path = tmp_path / "gaps.xlsx"
    wb.save(path)
    grid = _fast_grid(path, "Gaps", ["Gaps"])
    assert grid is not None and grid.filled is not None
    np.testing.assert_array_equal(grid.filled, pd.notna(grid.cells))
    assert not grid.filled[1:].all(axis=0).any()  # every column has empty cells
    _assert_same_grid(grid, _calamine_grid(path, "Gaps", ["Gaps"]))


def test_changed_cells_drop_the_fast_paths_mask(
    built: dict[str, tuple[Path, dict[str, bool]]],
) -> None:
    path, _ = built["types"]
    grid = _fast_grid(path, "Types", ["Types"])  # error values put back: cells changed
    assert grid is not None and grid.filled is None


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (["north", None, "", "south", "north", ""], "string"),
        (["a", "", None], "large_string"),
        ([1.5, None, float("nan"), 0.0], "float"),
        ([True, None, False], "boolean"),
        ([dt.datetime(2024, 1, 1), None, dt.datetime(2024, 1, 1, 8, 30)], "datetime"),
        ([None, None], "null"),
    ],
)
def test_filled_cells_from_arrow_are_notna_of_the_python_cells(
    values: list[object], dtype: str
) -> None:
    import pyarrow as pa

    types = {"string": pa.string(), "large_string": pa.large_string(), "float": pa.float64(),
             "boolean": pa.bool_(), "datetime": pa.timestamp("ms"), "null": pa.null()}
    column = pa.chunked_array([pa.array(values, type=types[dtype])])
    kind = "string" if dtype == "large_string" else dtype
    cells, _ = wbmod._cells_and_typed(column, kind)
    assert cells is not None
    got = wbmod._filled_cells(column, kind)
    assert got is not None
    np.testing.assert_array_equal(got, pd.notna(cells))
