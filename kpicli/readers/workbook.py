"""Workbooks (.xlsx .xlsm .xlsb .xls .ods) read with python-calamine into a cell grid."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.readers import SHEET_XML_SUFFIXES, sheet_xml
from kpicli.readers.sheet_xml import SheetPrefetch, load_fast, may_hold_null_text, sheet_listing
from kpicli.readers.sheet_xml import contains as _contains
from kpicli.readers.sheet_xml import has_merged_cells as _has_merged_cells
from kpicli.readers.sheet_xml import scan_inputs as _scan_inputs

if TYPE_CHECKING:
    from kpicli.readers.numbers import Factorized

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_FORMATS = {".xlsx", ".xlsm", ".xlsb", ".ods"}
WORKBOOK_FORMATS = ZIP_FORMATS | {".xls"}


@dataclass
class Grid:
    """The used area of one worksheet: cells as Python objects (None when empty)."""

    cells: np.ndarray  # 2-D object array
    first_row: int  # 1-based sheet row of cells[0]
    first_col: int  # 0-based sheet column of cells[:, 0]
    sheet: str
    # Cells whose formula has no calculated value, as (column letter, row): never read as 0.
    uncalculated: list[tuple[str, int]] = field(default_factory=list)
    # Number cells with a percent number format, as a frame of (letter, row).
    percent_cells: pd.DataFrame | None = None
    sheet_names: list[str] = field(default_factory=list)
    # Merged ranges as ((row0, col0), (row1, col1)), 0-based sheet coordinates.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # Columns whose cells below the first row are all number cells or empty (fastexcel typed
    # them as floats): column index -> float64 of cells[1:, j], NaN where empty. The layouts
    # take these instead of parsing the cells; equal to what parsing gives, by construction.
    numbers: dict[int, np.ndarray] | None = None
    # The same for columns fastexcel typed as dates (every filled cell below the first row a
    # date or date-time cell): column index -> datetime64[ns] of cells[1:, j], NaT where
    # empty. kpicli.readers.numbers.to_dates reads these without a Python object per cell.
    dates: dict[int, np.ndarray] | None = None
    # And for text columns: column index -> the factorisation of cells[1:, j] (what
    # pandas.factorize gives for them), taken from the Arrow dictionary encoding the cells
    # were made from, so the layouts do not hash the column's Python strings once more.
    texts: dict[int, Factorized] | None = None
    # The filled-cell mask of ``cells`` (``pandas.notna`` of each cell, column-major) when
    # the reader knows it without looking at each cell (fastexcel: Arrow's validity). Only
    # while the cells are as read: whatever changes a cell sets it back to None.
    filled: np.ndarray | None = None


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def check_signature(path: Path, shown: str) -> None:
    """Refuse files whose bytes do not match their workbook extension, with a useful message."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise DataError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not head:
        raise DataError(f"{shown} is empty (0 bytes)")
    if suffix in ZIP_FORMATS and head.startswith(ZIP_MAGIC):
        return
    if suffix == ".xls" and (head.startswith(OLE_MAGIC) or head.startswith(ZIP_MAGIC)):
        return
    kind = "an Excel workbook" if suffix != ".ods" else "an OpenDocument spreadsheet"
    if _looks_like_text(head):
        raise DataError(
            f"{shown} is not {kind}: it contains plain text (a CSV file renamed to {suffix}?); "
            "rename it to .csv or save it from the spreadsheet program as a workbook"
        )
    raise DataError(
        f"{shown} is not {kind} (its content is not in a workbook format); "
        "open it in the spreadsheet program and save it again"
    )


def _open(path: Path, shown: str) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises many kinds; any of them means unreadable
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        if "password" in reason.lower() or "encrypt" in reason.lower():
            raise DataError(f"{shown} is password-protected; save an unprotected copy") from None
        raise DataError(
            f"cannot read {shown}: the workbook is damaged or not a supported format ({reason})"
        ) from None


def sheet_candidates(
    path: Path, shown: str, sheet: str | int | None
) -> tuple[list[str], list[str]]:
    """The sheet(s) to try, in order, and all sheet names of the workbook."""
    names, visible = sheet_names(path, shown)
    return pick_sheets(names, visible, sheet, shown), names


def sheet_names(path: Path, shown: str) -> tuple[list[str], list[str]]:
    """All sheet names of the workbook, and the visible worksheets among them."""
    wb = _open(path, shown)
    try:
        names, visible = sheet_listing(wb)
    except Exception as exc:  # damaged metadata
        raise DataError(f"cannot read {shown}: {exc}") from None
    finally:
        _close(wb)
    return names, visible


def pick_sheets(
    names: list[str], visible: list[str], sheet: str | int | None, shown: str
) -> list[str]:
    """The sheet named by ``sheet`` (name or 0-based index), else every visible worksheet."""
    listing = ", ".join(repr(n) for n in names) or "(none)"
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataError(
                f"{shown} has no sheet number {sheet} (sheets are counted from 0); "
                f"sheets: {listing}"
            )
        return [names[sheet]]
    if isinstance(sheet, str):
        if sheet in names:
            return [sheet]
        folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        if folded:
            return folded[:1]
        raise DataError(f"{shown} has no sheet {sheet!r}; sheets: {listing}")
    return visible


def _close(wb: object) -> None:
    with contextlib.suppress(Exception):  # closing is best effort
        wb.close()  # type: ignore[attr-defined]


def read_grid(path: Path, shown: str, sheet_name: str, names: list[str]) -> Grid:
    """Cells of one sheet, with formula and percent-format facts for .xlsx/.xlsm.

    A plain .xlsx/.xlsm sheet (see :func:`fast_grid`) is read through fastexcel; any other
    sheet through python-calamine. Both give the same grid, cell for cell.
    """
    scan = None
    if path.suffix.lower() in SHEET_XML_SUFFIXES:
        # The sheet XML for the formula/format scan is unzipped in a thread while calamine
        # reads the cells (zlib releases the GIL): the scan costs almost no wall time. The
        # thread may have started already (``kpi report --data book.xlsx``: during imports).
        scan = sheet_xml.take(path, sheet_name) or SheetPrefetch(path, sheet_name)
        if FASTEXCEL:
            grid = fast_grid(path, sheet_name, names, scan)
            if grid is not None:
                return grid
    wb = _open(path, shown)
    try:
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=True)
            start = sheet.start
            merged = list(sheet.merged_cell_ranges or [])
        except Exception as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise DataError(f"cannot read sheet {sheet_name!r} of {shown}: {reason}") from None
    finally:
        _close(wb)
    if not rows or start is None:
        if scan is not None:
            scan.result()
        return Grid(np.empty((0, 0), dtype=object), 1, 0, sheet_name, sheet_names=names)
    width = max(len(r) for r in rows)
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    cells = np.array(rows, dtype=object)
    if cells.ndim != 2:  # ragged rows that numpy could not square up
        cells = np.array([np.array(r, dtype=object) for r in rows], dtype=object)
    # calamine gives "" for empty cells; None is what the rest of the reader expects.
    cells[cells == ""] = None
    first_row, first_col = int(start[0]) + 1, int(start[1])
    grid = Grid(cells, first_row, first_col, sheet_name, sheet_names=names, merged=merged)
    if scan is not None:
        # A refinement: if the scan fails, the values calamine read stand as they are.
        got = scan.result()
        if got is not None:
            with contextlib.suppress(Exception):
                _apply_scan(grid, *got)
    return grid


# The names this module used before the sheet XML helpers moved to kpicli.readers.sheet_xml.
_Prefetch = SheetPrefetch

# ----------------------------------------------------------------------------- fastexcel path

# Read plain .xlsx/.xlsm sheets through fastexcel (calamine straight to Arrow columns): the
# same cells as python-calamine gives, without a Python object per cell from the parser.
FASTEXCEL = True
_FAST_TYPES = {"float", "string", "boolean", "datetime", "null"}
# Header names fastexcel may have rendered from a number, date, time or truth value: the cell's
# own type is then unknown, and find_header treats such cells differently from text.
_RENDERED = re.compile(
    r"^\s*(?:[(+-]*[€$£]?\s*\d[\d.,' ]*\s*%?\)?|\d{4}-\d\d-\d\d.*|[\d:. ]+|true|false"
    r"|#.*)\s*$",
    re.IGNORECASE,
)
# Excel counts 1900 as a leap year: serials before 1900-03-01 (and times without a date) are
# shown differently by the two readers, so such sheets take the python-calamine path.
_FIRST_SAFE_MS = 60 * 86_400_000 - 2_209_161_600_000  # 1900-03-01T00:00 in Unix milliseconds
# Dates from 2262-04-11 on do not fit datetime64[ns]: such a column is not handed on typed.
_LAST_NS_MS = 9_223_286_400_000  # 2262-04-11T00:00 in Unix milliseconds
_LAST_PY_MS = 253_402_300_800_000  # 10000-01-01T00:00: the end of Python's datetime
_FIRST_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)>")
_CELL_OPEN = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="[A-Z]{1,3}(\d+)"')


def fast_grid(
    path: Path, sheet_name: str, names: list[str], scan: SheetPrefetch
) -> Grid | None:
    """The sheet's grid read through fastexcel, or None when it may differ from python-calamine.

    Taken when the sheet's first filled row holds only text cells (each one filled, no repeated
    names), every column below it holds one kind of value (numbers, text, dates or truth
    values, with empty cells, and no text fastexcel would take for empty such as ``n/a``), no
    cells are merged and no date lies before 1900-03-01. Header detection, sections and
    layout then run on the grid as on any other. Anything else -- titles above the header,
    mixed columns, sheets fastexcel cannot read, an XML that Python cannot unzip -- returns
    None and the sheet is read by python-calamine, as before.
    """
    try:
        import fastexcel  # noqa: F401
    except ImportError:  # an install without it: the python-calamine path reads every sheet
        return None
    # The sheet XML unzipped by Python first: an entry bigger than its zip header declares (a
    # zip bomb's lie) fails there, and python-calamine then refuses the file as before.
    got = scan.peek()
    if got is None or _has_merged_cells(got[0]) or _contains(got[0], b't="d"', 3):
        return None  # merged cells, or ISO date cells (t="d") the two readers may show apart
    try:
        # Loaded by the scan's thread when it was asked to (an early start), else here.
        reader, sheet = scan.loaded(path) if scan.load else load_fast(path, sheet_name)
        infos = sheet.selected_columns
        batch = sheet.to_arrow()
        if not _no_hidden_text(reader, sheet_name, infos, batch, path, got[0]):
            return None
    except Exception:  # a mixed column, an unreadable sheet: python-calamine decides
        return None
    if not infos:
        return None
    header: list[str] = []
    for info in infos:
        name = info.name
        if str(info.column_name_from) != "looked_up" or str(info.dtype) not in _FAST_TYPES:
            return None  # an empty/non-text header cell, or a value kind we do not map
        base = re.fullmatch(r"(.*)_\d+", name)
        if not name.strip() or _RENDERED.match(name) or (base and base.group(1) in header):
            return None  # possibly a rendered number/date, or a name fastexcel made unique
        header.append(name)
    first_col = int(infos[0].absolute_index)
    if [int(i.absolute_index) for i in infos] != list(range(first_col, first_col + len(infos))):
        return None
    first_row = _first_value_row(got[0])
    if first_row is None:
        return None
    n = batch.num_rows
    cells = np.empty((n + 1, len(infos)), dtype=object)
    cells[0] = header
    filled: np.ndarray | None = np.empty(cells.shape, dtype=bool, order="F")
    filled[0] = True  # the header: text cells, each one filled (checked above)
    floats: dict[int, np.ndarray] = {}
    dates: dict[int, np.ndarray] = {}
    texts: dict[int, Factorized] = {}
    for j, info in enumerate(infos):
        column, typed = _cells_and_typed(batch.column(j), str(info.dtype))
        if column is None:
            return None
        cells[1:, j] = column
        if isinstance(typed, np.ndarray) and typed.dtype == np.float64:
            floats[j] = typed
        elif isinstance(typed, np.ndarray):
            dates[j] = typed
        elif typed is not None:
            texts[j] = typed
        if filled is not None:
            mask = _filled_cells(batch.column(j), str(info.dtype))
            if mask is None:
                filled = None  # the sheet builder tests the cells instead
            else:
                filled[1:, j] = mask
    grid = Grid(cells, first_row, first_col, sheet_name, sheet_names=names)
    changed = True
    with contextlib.suppress(Exception):  # as on the python-calamine path: a refinement
        changed = _apply_scan(grid, *got)
    if not changed:
        # Error values put back or placeholders blanked would differ from the typed columns
        # and the mask.
        grid.numbers, grid.dates, grid.texts = floats or None, dates or None, texts or None
        grid.filled = filled
    return grid


def _no_hidden_text(
    reader: Any, sheet_name: str, infos: list[Any], batch: Any, path: Path, xml: bytes
) -> bool:
    """True when no empty cell of a number, date or truth-value column held text.

    fastexcel reads text such as ``n/a``, ``NULL`` or ``NA`` (its list of null markers) as
    an empty cell of such a column, where python-calamine keeps the text (and kpicli reports
    it, D601). When the workbook holds no such text at all (its shared strings, inline and
    formula text: :func:`~kpicli.readers.sheet_xml.may_hold_null_text`) there is nothing to
    find; else those columns are read once more as text to find such cells.
    """
    typed = [
        j
        for j, info in enumerate(infos)
        if str(info.dtype) != "string" and batch.column(j).null_count
    ]
    if not typed:
        return True
    with contextlib.suppress(Exception):  # a part that does not read: look at the cells
        if not may_hold_null_text(path, xml):
            return True
    text = reader.load_sheet(
        sheet_name,
        header_row=0,
        schema_sample_rows=None,
        use_columns=typed,
        dtypes={j: "string" for j in typed},
    ).to_arrow()
    for k, j in enumerate(typed):
        empty = batch.column(j).is_null().to_numpy(zero_copy_only=False)
        shown = text.column(k).to_numpy(zero_copy_only=False)[empty]
        if any(v is not None and v != "" for v in shown.tolist()):
            return False
    return True


def _first_value_row(xml: bytes) -> int | None:
    """The 1-based row of the first cell holding a value: where calamine's range starts."""
    found = _FIRST_VALUE.search(xml)
    if found is None:
        return None
    # The cell holding that value: the last cell opened before it, within its row element.
    row = max(xml.rfind(b"<row", 0, found.start()), xml.rfind(b":row", 0, found.start()))
    last = None
    for last in _CELL_OPEN.finditer(xml, max(row, 0), found.start()):  # noqa: B007
        pass
    return int(last.group(1)) if last is not None else None


def _cells_and_typed(
    column: Any, dtype: str
) -> tuple[np.ndarray | None, np.ndarray | Factorized | None]:
    """One Arrow column as the Python objects python-calamine gives (None when empty; None
    for the whole column when the fastexcel path cannot take it), with the column's typed
    form for the layouts when it has one (see :class:`Grid`): float64 values of a number
    column, datetime64[ns] values of a date column, the factorisation of a text column.
    Each comes from the Arrow column directly, not from the Python objects."""
    n = len(column)
    if dtype == "null" or column.null_count == n:
        return np.full(n, None, dtype=object), None
    if dtype == "string":
        return _python_texts(column)
    if dtype in ("float", "boolean"):
        raw = column.to_numpy(zero_copy_only=False)
        values = raw.astype(object)
        if column.null_count:
            values[column.is_null().to_numpy(zero_copy_only=False)] = None
        return values, np.asarray(raw, dtype="float64") if dtype == "float" else None
    import pyarrow as pa

    ms = column.cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    missing = column.is_null().to_numpy(zero_copy_only=False)
    ms = np.where(missing, _FIRST_SAFE_MS, ms).astype(np.int64)
    if (ms < _FIRST_SAFE_MS).any():
        return None, None
    typed = None
    if (ms < _LAST_NS_MS).all():  # later dates do not fit datetime64[ns]: parse the cells
        typed = ms.astype("datetime64[ms]").astype("datetime64[ns]")
        typed[missing] = np.datetime64("NaT")
    # Exports repeat few distinct dates: each becomes a Python object once. python-calamine
    # gives a date for a midnight value and a datetime otherwise.
    codes, uniq = pd.factorize(ms)
    shown = np.empty(len(uniq) + 1, dtype=object)
    if (uniq < _LAST_PY_MS).all():
        # numpy makes the objects (datetime64[D] -> date, datetime64[ms] -> datetime), in C.
        when = uniq.astype("datetime64[ms]")
        midnight = uniq % 86_400_000 == 0
        shown[:-1][midnight] = when[midnight].astype("datetime64[D]").astype(object)
        shown[:-1][~midnight] = when[~midnight].astype(object)
    else:  # beyond the years Python's datetime holds: fails as it always did, value by value
        epoch = dt.datetime(1970, 1, 1)
        for k, v in enumerate(uniq.tolist()):
            day = epoch + dt.timedelta(milliseconds=v)
            shown[k] = day.date() if day.time() == dt.time() else day
    shown[-1] = None
    codes = np.where(missing, len(uniq), codes)
    return shown[codes], typed


def _filled_cells(column: Any, dtype: str) -> np.ndarray | None:
    """Which cells of one Arrow column :func:`_cells_and_typed` gives as filled (pandas.notna).

    Read from the column's validity (and, for text, its empty strings, given as None; for
    numbers, NaN), not from the Python objects: one vectorised pass per column. None when
    Arrow cannot tell for this column type.
    """
    import pyarrow.compute as pc

    n = len(column)
    if dtype == "null" or column.null_count == n:
        return np.zeros(n, dtype=bool)
    try:
        if dtype == "string":
            shown = pc.not_equal(column, "")
        elif dtype == "float":
            shown = pc.invert(pc.is_nan(column))
        else:  # truth values, dates: every valid cell is a Python object
            shown = column.is_valid()
        return np.asarray(pc.fill_null(shown, False).to_numpy(zero_copy_only=False), bool)
    except Exception:  # an Arrow type without these kernels: the cells are tested instead
        return None


def _python_texts(column: Any) -> tuple[np.ndarray, Factorized | None]:
    """A text column as Python strings, None for empty and missing cells; with the
    factorisation of those cells that pandas.factorize would make (None when the column
    could not be dictionary encoded)."""
    try:
        # Exports repeat few distinct texts: each becomes a Python string once, not per cell.
        encoded = column.dictionary_encode()
        uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
        indices = encoded.indices
        codes = indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    except Exception:  # an Arrow string type without dictionary encoding: one by one
        values = column.to_numpy(zero_copy_only=False).astype(object)
        values[values == ""] = None  # read_grid turns calamine's "" into None as well
        return values, None
    shown = np.empty(len(uniques) + 1, dtype=object)
    shown[:-1] = uniques
    blank = uniques == ""
    shown[:-1][blank] = None  # read_grid turns calamine's "" into None as well
    return shown[codes], _text_codes(indices, uniques, blank)


def _text_codes(indices: Any, uniques: np.ndarray, blank: np.ndarray) -> Factorized:
    """pandas.factorize of the cells _python_texts makes, from Arrow's dictionary encoding.

    Arrow numbers the distinct texts in the order they first appear, as pandas does; its
    empty text is an empty cell (None, code -1) in the grid, so it leaves the dictionary
    and the later codes move down by one.
    """
    from kpicli.readers.numbers import Factorized

    codes = indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if blank.any():
        (at,) = np.flatnonzero(blank)  # a dictionary holds each text once
        codes[codes == at] = -1
        codes[codes > at] -= 1
        uniques = uniques[~blank]
    # What pandas.factorize gives for a column of the grid's frame (object dtype).
    return Factorized(codes, pd.Index(uniques, dtype=object))


def fill_vertical_merges(grid: Grid, below_row: int) -> None:
    """Give every cell of a vertically merged range below the header its top-left value.

    A team name merged over three rows belongs to all three; horizontally merged cells
    (titles, notes) and merges above the header are left alone.
    """
    n_rows, n_cols = grid.cells.shape
    for (r0, c0), (r1, c1) in grid.merged:
        if r1 <= r0 or r0 + 1 <= below_row:
            continue
        top, left = r0 - (grid.first_row - 1), c0 - grid.first_col
        bottom, right = r1 - (grid.first_row - 1), c1 - grid.first_col
        if not (0 <= top < n_rows and 0 <= left < n_cols):
            continue
        value = grid.cells[top, left]
        grid.cells[top : min(bottom, n_rows - 1) + 1, left : min(right, n_cols - 1) + 1] = value
        grid.filled = None  # cells changed: the reader's mask no longer holds


# ----------------------------------------------------------------------------- xlsx internals

_CELL_ATTRS = r'<(?:\w+:)?c\s+r="([A-Z]{1,3})(\d+)"(?:\s+s="\d+")?(?:\s+t="(\w+)")?[^>]*>'
_FORMULA_CELL = re.compile(
    (
        _CELL_ATTRS
        + r"\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
        + r"(?:<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>|<(?:\w+:)?v\s*/>)?"
    ).encode()
)
_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\s+r="([A-Z]{1,3})(\d+)"[^>]*\bt="e"[^>]*>'
    rb"(?:\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?\s*<(?:\w+:)?v>([^<]*)</"
)


def _scan_xlsx(path: Path, sheet_name: str, grid: Grid) -> None:
    """Find formulas without a calculated value, error cells and percent-formatted cells.

    calamine returns an empty cell for a formula that was never calculated (files written
    by scripts) and for error values such as ``#DIV/0!``; both must be told apart from
    genuinely empty cells. Writers that ask Excel to recalculate on load
    (``fullCalcOnLoad``) may store a placeholder 0 as the value: that is not a value either.
    """
    try:
        got = _scan_inputs(path, sheet_name)
    except Exception:  # the scan is a refinement: calamine already read the values
        return
    if got is not None:
        _apply_scan(grid, *got)


def _apply_scan(grid: Grid, data: bytes, recalc: bool, pct_styles: list[int]) -> bool:
    """Mark uncalculated formulas, put error values back, note percent-formatted cells.

    Returns whether any cell of the grid was changed (an error value, a blanked placeholder).
    """
    changed = False
    if _contains(data, b"<f", 1) or _contains(data, b":f", 1):
        found = pd.DataFrame(
            _FORMULA_CELL.findall(data), columns=["letter", "row", "t", "v"], dtype=object
        )
        if len(found):
            t = found["t"].map(bytes.decode)
            v = found["v"].map(bytes.decode)
            # A formula whose result is text may legitimately be "" (=IF(A1="","",A1)).
            missing = (v == "") & (t != "str")
            placeholder = (v == "0") & (t.isin(["", "n"])) & recalc
            sel = found[missing | placeholder]
            letters = sel["letter"].map(bytes.decode).tolist()
            rows = sel["row"].map(int).tolist()
            grid.uncalculated = list(zip(letters, rows, strict=True))
            if placeholder.any():
                _blank(grid, found[placeholder])
                changed = True
    if _contains(data, b't="e"', 3):
        errs = pd.DataFrame(_ERROR_CELL.findall(data), columns=["letter", "row", "v"], dtype=object)
        if len(errs):
            # calamine drops error values; put the error text back so it is reported, not hidden.
            r, c = _positions(grid, errs)
            grid.cells[r, c] = (
                errs["v"].map(bytes.decode).to_numpy(dtype=object)[_inside(grid, errs)]
            )
            changed = True
    if pct_styles:
        ids = "|".join(str(i) for i in pct_styles)
        pat = re.compile(rf'<(?:\w+:)?c\s+r="([A-Z]{{1,3}})(\d+)"\s+s="(?:{ids})"'.encode())
        cells = pat.findall(data)
        if cells:
            frame = pd.DataFrame(cells, columns=["letter", "row"], dtype=object)
            grid.percent_cells = pd.DataFrame(
                {
                    "letter": frame["letter"].map(bytes.decode).astype("str"),
                    "row": frame["row"].map(int).astype("int64"),
                }
            )
    return changed


def _column_index(letters: pd.Series) -> np.ndarray:
    """Spreadsheet letters (bytes) -> 0-based column index, for each distinct value once."""
    codes, uniques = pd.factorize(letters)
    idx = np.array([_letters_to_index(u.decode()) for u in uniques], dtype=np.int64)
    return idx[codes]


def _letters_to_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _inside(grid: Grid, found: pd.DataFrame) -> np.ndarray:
    r = found["row"].map(int).to_numpy(dtype=np.int64) - grid.first_row
    c = _column_index(found["letter"]) - grid.first_col
    n_rows, n_cols = grid.cells.shape
    return (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)


def _positions(grid: Grid, found: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    r = found["row"].map(int).to_numpy(dtype=np.int64) - grid.first_row
    c = _column_index(found["letter"]) - grid.first_col
    ok = _inside(grid, found)
    return r[ok], c[ok]


def _blank(grid: Grid, found: pd.DataFrame) -> None:
    r, c = _positions(grid, found)
    grid.cells[r, c] = None
