"""Delimited text (.csv .tsv .txt): encoding, delimiter and header detection, fast pandas read.

Contract: :func:`read_csv_sheet` hands the layouts a Sheet whose cells are text (pandas
``str``), empty cells missing, its rows numbered as if each record took one line; the
Sheet's (and the Source's) ``lines`` (:class:`LineMap`) give the physical line a location
names, scanning the file only when one is asked for. One exception to text, for speed:
a column whose cells are all plain ISO dates (``2026-10-31``, as exports write them) or
plain numbers (``-12.5``) is read by pyarrow as dates or float64 (:func:`_typed_columns`
picks them from a sample, the parse itself refuses any other cell). Such a column reads
exactly as its text would everywhere the layouts look (to_dates, to_numbers, sections,
findings); whenever that cannot be guaranteed (a blank date, a year out of range, a word
where a number was expected, a header, grid or layout that reads the cells as text,
``data.date_format``, a decimal comma) the file is read as text, as before.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec
from kpicli.readers.grid import could_be_grid
from kpicli.readers.guards import check_shape
from kpicli.readers.headers import HeaderBlock, header_block, header_name, header_period
from kpicli.readers.layout import HEADER_SCAN, Sheet, build_sheet, find_header
from kpicli.readers.layout.vocabulary import _DATE_NAME, _KPI_NAMES, norm
from kpicli.readers.sections import cut_table, filled_cells

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
_NUMERIC = re.compile(r"^\s*[+-]?\d[\d.,]*\s*%?\s*$")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PERIOD_NUMBER = re.compile(r"[0-9]{4}\.[0-9]{1,2}|[0-9]{1,2}\.[0-9]{4}")
TYPE_SAMPLE = 500  # records after the header looked at to pick the columns read typed
# Years a typed date keeps exactly as the text path reads it (datetime64[ns] spans 1678-2262).
_DATE_YEARS = (1700, 2200)


def _detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else Windows-1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # An incremental decoder tolerates a character cut in half at the end of the sample.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _records(text: str, delimiter: str, limit: int) -> list[tuple[list[str], int, int]]:
    """The first records of ``text`` as (fields, first physical line, last physical line)."""
    out = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    last = 0
    try:
        for fields in reader:
            out.append((fields, last + 1, reader.line_num))
            last = reader.line_num
            if len(out) >= limit:
                break
    except csv.Error:
        pass  # a record cut off at the end of the sample
    return out


def _detect_delimiter(text: str, suffix: str) -> str:
    """The delimiter giving the most records with the same number (>1) of fields."""
    best, best_score = ("\t" if suffix == ".tsv" else ","), (0, 0)
    for d in DELIMITERS:
        counts = [
            len(f) for f, _, _ in _records(text, d, HEADER_SCAN * 2) if any(x.strip() for x in f)
        ]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def _record_lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """First physical line of each record and whether it is blank, vectorised over the bytes.

    A newline ends a record unless it sits inside quotes, i.e. after an odd number of quote
    characters (an escaped quote "" adds two and keeps the parity).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    quotes = np.flatnonzero(buf == 34)
    ends = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    starts = np.concatenate([[0], ends + 1])
    if len(starts) and starts[-1] >= len(buf):
        starts = starts[:-1]
    lines = np.searchsorted(newlines, starts) + 1
    # A record is blank when its bytes (with its newline) are all whitespace.
    solid = ~np.isin(buf, np.frombuffer(b" \t\r\n", dtype=np.uint8))
    blank = np.add.reduceat(solid, starts, dtype=np.int64) == 0 if len(starts) else starts > 0
    return lines, blank


def read_csv_sheet(path: Path, shown: str, spec: DataSpec | None) -> Sheet:
    """Read a delimited text file into a Sheet (all cells as text, parsed later per column)."""
    try:
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
            whole = len(sample) < SAMPLE_BYTES
    except OSError as exc:
        raise DataError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(f"{shown} is empty")
    if sample.startswith(b"PK\x03\x04") or sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{shown} is a workbook, not a text file: rename it to .xlsx (or .xls)")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in sample:
        raise DataError(
            f"{shown} is not a text file kpicli can read (binary data or UTF-16); "
            "save it as CSV in UTF-8"
        )
    encoding = (spec.encoding if spec and spec.encoding else None) or _detect_encoding(sample)
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=whole)
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r} for {shown} (data.encoding)") from None
    suffix = path.suffix.lower()
    delimiter = (spec.delimiter if spec and spec.delimiter else None) or _detect_delimiter(
        text, suffix
    )
    if delimiter == "\\t":
        delimiter = "\t"

    top = _records(text, delimiter, HEADER_SCAN)
    if not top:
        raise DataError(f"{shown} is empty")
    cells = [[c if c.strip() else None for c in f] for f, _, _ in top]
    if spec is not None and spec.header_row:
        h = spec.header_row - 1
        if h >= len(top):
            raise DataError(f"{shown} has no line {spec.header_row} (data.header_row)")
    else:
        h = find_header(cells)
    block = header_block(cells, h, row_label="line")
    header_fields, header_line, _ = top[block.last]
    # Physical lines up to and including the header (and a units row under it).
    skip = top[max([block.last, *block.units])][2]
    notes = [f"{shown}: {n}" for n in block.notes]
    if not (spec is not None and spec.header_row) and block.first > 0:
        notes.insert(
            0,
            f"{shown}: header found on line {top[block.first][1]} (the lines above are "
            "titles); set data.header_row if it is another line",
        )
    check_shape(shown, columns=len(header_fields))

    after = max([block.last, *block.units]) + 1
    kinds = _typed_columns(text, delimiter, after, block, spec, whole)
    typed = None
    if kinds and encoding in ("utf-8", "utf-8-sig") and len(delimiter) == 1:
        typed = _read_typed(path, delimiter, skip, len(header_fields), kinds)
    filled: np.ndarray | None = None
    if typed is None:
        frame = _read_rest(path, shown, delimiter, encoding, skip, len(header_fields))
    else:
        frame, filled = typed  # with the filled-cell mask, when its own check made it
    # The CSV parser's working buffers (about the size of the file) are free now; pyarrow's
    # allocator keeps them unless asked, and they would count in the run's peak memory
    # while the columns are parsed.
    pa.default_memory_pool().release_unused()
    check_shape(shown, rows=len(frame), columns=frame.shape[1])
    width = max(frame.shape[1], len(header_fields))
    header: list[object] = list(block.header)[:width]
    header = [c if not isinstance(c, str) or c.strip() else None for c in header]
    header += [None] * (width - len(header))
    parts = block.parts
    if parts is not None:
        parts = (list(parts) + [()] * width)[:width]
    if frame.shape[1] < width:
        for j in range(frame.shape[1], width):
            frame[j] = pd.Series(np.nan, index=frame.index, dtype="str")
        filled = None
    frame.columns = range(width)
    # Records numbered as if each took one line; their physical lines (quoted line breaks,
    # blank lines) are worked out only when a location names one (LineMap).
    # (one array, counted from its first value: not a range plus a shifted copy of it)
    rows = np.arange(skip + 1, skip + 1 + len(frame), dtype=np.int64)
    lines = LineMap(path, skip, len(frame))
    # One pass over the cells (or none, when the typed read made the mask): the extra-fields
    # test, footer notes, sections and the sheet builder all look at which cells are filled.
    if filled is None:
        filled = filled_cells(frame)
    if width > len(header_fields):
        # Fields beyond the header in a few records: a value with an unquoted delimiter.
        extra = filled[:, len(header_fields) :].any(axis=1)
        if extra.any() and extra.mean() < 0.5:
            line = lines(int(rows[np.flatnonzero(extra)[0]]))
            raise DataError(
                f"cannot read {shown}: line {line} has more fields than the header "
                f"({len(header_fields)}); quote values that contain the delimiter {delimiter!r}"
            )
    frame, rows, sectioned, filled = cut_table(
        frame,
        rows,
        cells,
        block,
        spec,
        shown,
        "line",
        notes,
        untitled=False,
        line=lines,
        filled=filled,
    )
    return build_sheet(
        path=shown,
        sheet=None,
        kind="csv",
        header_row=header_line,
        header=header,
        letters=[str(j + 1) for j in range(width)],
        data=frame,
        rows=rows,
        filled=filled,
        decimal_hint="," if delimiter == ";" else ".",
        dayfirst_hint=delimiter == ";",
        parts=parts,
        notes=notes,
        sectioned=sectioned,
        lines=lines,
    )


def _typed_columns(
    text: str,
    delimiter: str,
    after: int,
    block: HeaderBlock,
    spec: DataSpec | None,
    whole: bool,
) -> dict[int, str]:
    """Columns the parser reads typed: ``"date"`` when every cell of the sample (the first
    :data:`TYPE_SAMPLE` records after the header, from record ``after``) is a plain ISO
    date, ``"number"`` when every one is a plain number such as ``-12.5``; none blank.

    Only where such a column reads exactly as its text would (:func:`_read_typed` checks
    the rest of the file): not in a possible year-by-month grid (it reads its year column
    as text), not under a blank header (an unnamed year/month pair) or one that looks like
    a cell of the column (a repeated header row would read as data). Dates not with
    data.date_format or data.dayfirst (they may read 2026-10-03 otherwise). Numbers only
    in files with a decimal point, not in a KPI, date or period-named column (their cells
    are read as text or as dates), not where the layout may be kpi_rows (its label columns
    are text), and only when the sample holds the cells date detection looks at.
    """
    names = [header_name(h) for h in block.header]
    if could_be_grid(names):
        return {}
    records = [f for f, _, _ in _records(text, delimiter, after + TYPE_SAMPLE)[after:]]
    if not whole:
        records = records[:-1]  # the sample may end inside the last record
    records = [f for f in records if any(x.strip() for x in f)]
    if not records:
        return {}
    dates = spec is None or (not spec.date_format and spec.dayfirst is None)
    numbers = (
        delimiter != ";"
        and (spec is None or (spec.decimal != "," and spec.layout != "kpi_rows"))
        and block.parts is None
        and sum(header_period(h) is not None for h in block.header) < 2
        and (whole or len(records) >= 200)  # _maybe_dates looks at the first 200 cells
    )
    text_names = {spec.kpi_column, spec.date_column} if spec is not None else set()
    out: dict[int, str] = {}
    for j, name in enumerate(names):
        if not name or _ISO_DATE.search(name) or _PLAIN_NUMBER.fullmatch(name):
            continue
        cells = [f[j] if len(f) > j else "" for f in records]
        if dates and all(_ISO_DATE.fullmatch(c) for c in cells):
            out[j] = "date"
        elif (
            numbers
            and name not in text_names
            and norm(name) not in _KPI_NAMES
            and not _DATE_NAME.search(norm(name))
            and all(_PLAIN_NUMBER.fullmatch(c) for c in cells)
            and not _dated(cells)
        ):
            out[j] = "number"
    return out


def _dated(cells: list[str]) -> bool:
    """Whether date detection could take a column of these plain numbers for dates: some
    of its first 200 cells (what :func:`~kpicli.readers.layout.columns._maybe_dates` looks
    at) is shaped like a month period, 2026.01 or 12.2026. Those are the only plain numbers
    ``to_dates`` reads as dates without serials and years (kpicli.model.values'
    period patterns); tests/test_readers_fast_paths.py checks this against to_dates."""
    return any(_PERIOD_NUMBER.fullmatch(c) for c in cells[:200])


def _read_typed(
    path: Path, delimiter: str, skip: int, width: int, kinds: dict[int, str]
) -> tuple[pd.DataFrame, np.ndarray | None] | None:
    """The records after the header with the ``kinds`` columns typed (dates as
    datetime64[ns], numbers as float64) and the others as text, as :func:`_read_rest` reads
    them, with the frame's filled-cell mask when the check below made it (None otherwise);
    None when that would not read the same: a cell that is not a plain date or number
    (the parse refuses it), a blank date (findings quote the cell as written), a year the
    text path reads otherwise, an infinite or NaN number, a row whose one filled cell is a
    number (section and footer detection read such a row's text), a ragged record, pandas
    < 3 (its "str" columns hold Python strings)."""
    import pyarrow.csv as pcsv

    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if pd.api.types.pandas_dtype("str") != text_dtype:
        return None
    kind_type = {"date": pa.date32(), "number": pa.float64()}
    types = {f"f{j}": kind_type.get(kinds.get(j, ""), pa.large_string()) for j in range(width)}
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                skip_rows=skip, autogenerate_column_names=True, encoding="utf-8"
            ),
            parse_options=pcsv.ParseOptions(delimiter=delimiter),
            convert_options=pcsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None  # the text read copes, or says why
    if table.num_columns != width or table.num_rows == 0:
        return None
    columns: dict[int, pd.Series] = {}
    for j, col in enumerate(table.columns):
        kind = kinds.get(j)
        if kind is None:
            # The dtype's own conversion (which pyarrow's to_pandas calls): the column's
            # buffers as they are, without loading pyarrow's pandas conversion layer.
            columns[j] = pd.Series(text_dtype.__from_arrow__(col), copy=False)
        elif kind == "date":
            if col.null_count:
                return None
            span = pc.min_max(col)
            low, high = (dt.date(y, 1, 1) for y in _DATE_YEARS)
            if len(col) and (span["min"].as_py() < low or span["max"].as_py() > high):
                return None
            columns[j] = pd.Series(_ns_dates(col), dtype="datetime64[ns]", copy=False)
        else:
            values = _float_values(col)
            # (NaN is not infinite: one test of the column finds inf, without a copy of its
            # non-missing values or a second NaN test)
            nan = int(np.count_nonzero(np.isnan(values)))
            if np.isinf(values).any() or nan != col.null_count:
                return None  # inf, or nan written as a word (a missing marker as text)
            columns[j] = pd.Series(values, dtype="float64", copy=False)
    frame = pd.DataFrame(columns, copy=False)
    numbers = [j for j, k in kinds.items() if k == "number"]
    filled = None
    if numbers and any(c.null_count for c in table.columns):
        filled = filled_cells(frame)
        single = filled.sum(axis=1) == 1
        if single.any() and filled[single][:, numbers].any():
            return None
    return frame, filled


_NS_PER_DAY = np.int64(86_400 * 10**9)


def _ns_dates(col: pa.ChunkedArray) -> np.ndarray:
    """A date32 column without nulls (years within :data:`_DATE_YEARS`, so no overflow) as
    one datetime64[ns] array: each block's days (read in place as int32) times the
    nanoseconds of a day, written straight into the result: the only array of the column's
    size made (an Arrow cast to timestamp[ns] makes one more first; numpy's own day -> ns
    conversion is slower still)."""
    out = np.empty(len(col), dtype=np.int64)
    at = 0
    for chunk in col.chunks:  # the file's blocks (a few dozen), not its rows
        days = chunk.view(pa.int32()).to_numpy(zero_copy_only=True)
        np.multiply(days, _NS_PER_DAY, out=out[at : at + len(chunk)])
        at += len(chunk)
    return out.view("datetime64[ns]")


def _float_values(col: pa.ChunkedArray) -> np.ndarray:
    """A float64 column (nulls as NaN) as one new writeable numpy array: the one copy the
    frame needs (arrow's own conversion of a column of several chunks is a read-only copy,
    which pandas would copy again)."""
    out = np.empty(len(col), dtype="float64")
    at = 0
    for chunk in col.chunks:  # the file's blocks (a few dozen), not its rows
        out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return out


def _read_rest(
    path: Path,
    shown: str,
    delimiter: str,
    encoding: str,
    skip: int,
    width: int,
) -> pd.DataFrame:
    """All records after the header as text (read_csv_sheet tries :func:`_read_typed` first);
    pyarrow when it can, else pandas' C parser."""
    common = {
        "sep": delimiter,
        "header": None,
        "skiprows": skip,
        "dtype": "str",
        "keep_default_na": False,
        "na_values": [""],
    }
    if encoding in ("utf-8", "utf-8-sig") and len(delimiter) == 1:
        try:
            frame = pd.read_csv(path, engine="pyarrow", encoding="utf-8", **common)
            if frame.shape[1] >= 1:
                return frame
        except Exception:  # noqa: S110 - ragged rows, bad bytes: the C parser copes or says why
            pass
    names = max(width, 1)
    for _ in range(20):  # each retry widens the table to the longest record seen so far
        try:
            with warnings.catch_warnings():
                # "Length of header or names does not match": short records are padded on
                # purpose; pandas must not print that to the user's terminal.
                warnings.simplefilter("ignore", pd.errors.ParserWarning)
                return pd.read_csv(
                    path,
                    engine="c",
                    encoding=encoding,
                    encoding_errors="replace",
                    index_col=False,
                    names=list(range(names)),
                    skip_blank_lines=True,
                    **common,
                )
        except pd.errors.EmptyDataError:
            return pd.DataFrame({j: pd.Series([], dtype="str") for j in range(width)})
        except pd.errors.ParserError as exc:
            msg = str(exc).split("C error: ")[-1].strip()
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
            if m is None or int(m.group(3)) <= names:
                raise DataError(f"cannot read {shown}: {msg}") from None
            names = int(m.group(3))
        except (OSError, UnicodeError, ValueError) as exc:
            raise DataError(f"cannot read {shown}: {exc}") from None
    raise DataError(f"cannot read {shown}: its records have too many different lengths")


class LineMap:
    """The physical line where a record starts, from its row number ``skip + 1 + index``.

    Worked out when a location asks, from as little of the file as answers it: while the
    lines from the header to the record asked about are one record each (no quote
    character, no blank line, no lone carriage return) the record's line is its row number,
    whatever the rest of the file holds; otherwise the whole file is scanned once
    (:func:`_line_numbers`). The locations are the ones a full scan made while reading gives.
    """

    def __init__(self, path: Path, skip: int, n: int) -> None:
        self.path, self.skip, self.n = path, skip, n
        self._lines: np.ndarray | None = None
        self._plain = 0  # records 0 .. _plain-1 are known to take one line each

    def __call__(self, row: int) -> int:
        i = row - self.skip - 1
        if not 0 <= i < self.n:
            return row  # the header's own lines
        if self._lines is not None:
            return int(self._lines[i])
        if i < self._plain or self._plain_through(i):
            return row
        self._lines = _line_numbers(self.path, self.skip, self.n)
        return int(self._lines[i])

    def _plain_through(self, i: int) -> bool:
        """Whether records 0..i are one line each; reads the file up to record i's line."""
        need = self.skip + i + 1  # newlines up to the end of record i's line
        try:
            with self.path.open("rb") as fh:
                data, size = b"", 1 << 16
                while data.count(b"\n") < need:
                    more = fh.read(size)
                    if not more:
                        return False  # the last record without a newline: scan it all
                    data += more
                    size *= 2
        except OSError:
            return False
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == 10)[:need]
        start = int(newlines[self.skip - 1]) + 1 if self.skip else 0
        part = buf[start : int(newlines[-1]) + 1]
        if (part == 34).any():
            return False  # a quote: a record may span lines
        cr = np.flatnonzero(part == 13)
        if len(cr) and (part[np.minimum(cr + 1, len(part) - 1)] != 10).any():
            return False  # a carriage return alone ends a line the byte scan does not count
        ends = np.flatnonzero(part == 10)
        starts = np.concatenate([[0], ends[:-1] + 1])
        solid = ~np.isin(part, np.frombuffer(b" \t\r\n", dtype=np.uint8))
        if (np.add.reduceat(solid, starts) == 0).any():
            return False  # a blank line between records
        self._plain = max(self._plain, i + 1)
        return True


def _line_numbers(path: Path, skip: int, n: int) -> np.ndarray:
    """Physical line where each data record starts (quoted newlines and blank lines counted).

    Falls back to ``skip + 1 + record number`` if the byte scan disagrees with the parser
    (e.g. a stray quote character inside an unquoted field).
    """
    simple = skip + 1 + np.arange(n, dtype=np.int64)
    try:
        # Count lines a block at a time: the whole file is read only if records span lines.
        # (numpy compares and counts bytes several times faster than bytes.count.)
        newlines, last = 0, b""
        with path.open("rb") as fh:
            while block := fh.read(1 << 22):
                newlines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
                last = block[-1:]
        physical = newlines + (0 if last == b"\n" else 1)
        if physical - skip == n:  # one line per record: nothing spans lines, nothing is blank
            return simple
        data = path.read_bytes()
    except OSError:
        return simple
    lines, blank = _record_lines(data)
    got = lines[(lines > skip) & ~blank]
    return got.astype(np.int64) if len(got) == n else simple
