"""Read measurement files (CSV and workbooks, one or many) into the Table the engine consumes."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpicli.engine.codes import share_codes
from kpicli.errors import DataError
from kpicli.model.entry_layout import MARKER_SHEET, template_spec
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import BASELINE, COL, DATE, KPI, ROW, SRC, TARGET, VALUE, Table
from kpicli.readers.delimited import read_csv_sheet
from kpicli.readers.guards import check_file, check_shape
from kpicli.readers.headers import MAX_BLOCK, header_block
from kpicli.readers.layout import (
    HEADER_SCAN,
    Part,
    Sheet,
    build_sheet,
    decide_fractions,
    find_header,
    normalise,
)
from kpicli.readers.numbers import finest
from kpicli.readers.sections import cut_table

if TYPE_CHECKING:
    from kpicli.readers.workbook import Grid

__all__ = ["TEXT_FORMATS", "expand_paths", "read_data"]

TEXT_FORMATS = {".csv", ".tsv", ".txt", ".tab"}
_GLOB_CHARS = set("*?[")


def read_data(
    paths: Sequence[str | Path],
    spec: DataSpec | None = None,
    model: KPIFile | None = None,
    base_dir: Path | None = None,
) -> Table:
    """Read data files or globs as one Table.

    Paths are relative to ``base_dir`` (when given); globs are expanded and sorted. Anything
    that makes a file unreadable raises :class:`~kpicli.errors.DataError` with one message
    naming the file; problems inside readable data become findings (D601, D607-D610).
    Layout (long, records or kpi_rows), header row, delimiter, encoding and decimal separator
    are detected unless ``spec`` names them; ``model`` tells which KPIs are percentages.
    """
    files = expand_paths(paths, base_dir)
    parts = [read_file(path, shown, spec, model) for shown, path in files]
    table = combine(parts)
    release_memory()
    return table


def release_memory() -> None:
    """Hand memory freed after parsing (the cells as text) back to the system.

    The allocators keep freed blocks for reuse; after reading a big file that is most of
    the process' memory, and the engine's arrays could not reuse pyarrow's pool anyway.
    """
    import contextlib
    import ctypes
    import sys

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def expand_paths(
    paths: Sequence[str | Path], base_dir: Path | None = None
) -> list[tuple[str, Path]]:
    """(path as the user wrote it, path to open) for every file, globs expanded and sorted."""
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise DataError("no data file given: pass --data FILE or set data.path in the KPI file")
    out: list[tuple[str, Path]] = []
    seen: set[Path] = set()

    def add(shown: str, path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append((shown, path))

    for given in paths:
        text = str(given)
        local = Path(text).expanduser()
        root = base_dir if base_dir is not None and not local.is_absolute() else None
        if _GLOB_CHARS & set(text):
            pattern = str(local) if local.is_absolute() else text
            matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
            files = [
                m
                for m in matches
                if not Path(m).name.startswith(("~$", ".~lock"))
                and (root or Path()).joinpath(m).is_file()
            ]
            if not files:
                where = f" in {root}" if root is not None else ""
                raise DataError(f"no files match {text!r}{where}")
            for m in files:
                add(m, (root or Path()).joinpath(m))
            continue
        path = root.joinpath(local) if root is not None else local
        if not path.exists():
            where = f" (looked in {root})" if root is not None and root != Path.cwd() else ""
            raise DataError(f"data file not found: {text}{where}")
        if path.is_dir():
            raise DataError(f"{text} is a folder; name a file, or a glob such as {text}/*.csv")
        add(text, path)
    return out


def read_file(
    path: Path, shown: str, spec: DataSpec | None = None, model: KPIFile | None = None
) -> Part:
    """One file as a normalised Part (for a workbook: the named sheet or the first that reads)."""
    check_file(path, shown)
    suffix = path.suffix.lower()
    if suffix in TEXT_FORMATS or suffix == "":
        return normalise(read_csv_sheet(path, shown, spec), spec, model)
    if suffix in (".parquet", ".parq", ".pq"):
        from kpicli.readers.parquet import read_parquet_part

        return read_parquet_part(path, shown, spec, model)
    # The workbook reader is imported for workbooks only: a CSV report never loads it.
    from kpicli.readers.workbook import WORKBOOK_FORMATS

    if suffix in WORKBOOK_FORMATS:
        return _read_workbook(path, shown, spec, model)
    raise DataError(
        f"{shown}: unsupported file type {suffix!r}; use .csv, .tsv, .txt, .xlsx, .xlsm, .xls, "
        ".ods or .parquet"
    )


def _read_workbook(path: Path, shown: str, spec: DataSpec | None, model: KPIFile | None) -> Part:
    from kpicli.readers.workbook import check_signature, pick_sheets, read_grid, sheet_names

    check_signature(path, shown)
    names, visible = sheet_names(path, shown)
    template = MARKER_SHEET in names
    if template:
        # A `kpi template` workbook has one known layout: the KPI file's data settings describe
        # its usual data (a records CSV, a long table) and do not apply to it.
        spec = template_spec(spec)
    wanted = spec.sheet if spec is not None else None
    candidates = pick_sheets(names, visible, wanted, shown)
    failures: list[tuple[int, str]] = []
    for name in candidates:
        grid = None
        try:
            grid = read_grid(path, shown, name, names)
            check_shape(
                f"sheet {name!r} of {shown}", rows=grid.cells.shape[0], columns=grid.cells.shape[1]
            )
            part = normalise(grid_sheet(grid, shown, spec), spec, model)
            if template:
                part.source.layout = "kpi_rows (a kpi template workbook)"
            if wanted is None and len(names) > 1:
                part.notes.insert(0, _sheet_note(shown, name, names))
            return part
        except DataError as exc:
            if wanted is not None or len(candidates) == 1:
                raise
            failures.append((grid.cells.size if grid is not None else 0, exc.message))
    if not failures:  # a workbook without worksheets (damaged, or only chart sheets)
        raise DataError(f"{shown} has no worksheets kpicli can read")
    # The biggest sheet is the one the user most likely meant: explain why it did not read.
    _, reason = max(failures, key=lambda f: f[0])
    listing = ", ".join(repr(n) for n in names)
    raise DataError(
        f"no sheet of {shown} holds data kpicli can read (sheets: {listing}); the largest: "
        f"{reason}. Name the sheet with data.sheet"
    )


def _sheet_note(shown: str, used: str, names: list[str]) -> str:
    """The sheet read when the KPI file does not name one, and how to choose another."""
    listing = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "")
    pos = names.index(used) + 1 if used in names else 0
    which = "the first sheet" if pos == 1 else f"sheet {pos} of {len(names)}, the first"
    return (
        f"{shown}: read sheet {used!r} ({which} with data kpicli can read; sheets: {listing}); "
        "name another with data.sheet"
    )


def grid_sheet(grid: Grid, shown: str, spec: DataSpec | None) -> Sheet:
    """Find the header (over one or more rows) in a worksheet grid and cut the data below it.

    Units rows under the header and footer notes are left out; of several tables stacked in
    the sheet, one section is kept (``data.section``). Each choice becomes a note.
    """
    from kpicli.readers.workbook import column_letter, fill_vertical_merges

    cells = grid.cells
    where = f"{shown} (sheet {grid.sheet!r})"
    if cells.size == 0:
        raise DataError(f"sheet {grid.sheet!r} of {shown} is empty")
    notes: list[str] = []
    if spec is not None and spec.header_row:
        h = spec.header_row - grid.first_row
        if not 0 <= h < len(cells):
            raise DataError(
                f"row {spec.header_row} of sheet {grid.sheet!r} in {shown} is empty "
                "(data.header_row)"
            )
    else:
        h = find_header(cells[:HEADER_SCAN].tolist())
    top = grid.first_row - 1
    merged = [
        ((r0 - top, c0 - grid.first_col), (r1 - top, c1 - grid.first_col))
        for (r0, c0), (r1, c1) in grid.merged
    ]
    block = header_block(cells[: h + MAX_BLOCK + 1].tolist(), h, merged, row_offset=grid.first_row)
    if not (spec is not None and spec.header_row) and block.first > 0:
        notes.append(
            f"{where}: header found in row {grid.first_row + block.first} (the rows above "
            "are titles); set data.header_row if it is another row"
        )
    notes += [f"{where}: {n}" for n in block.notes]
    header_row = grid.first_row + block.last
    fill_vertical_merges(grid, header_row)
    start = max([block.last, *block.units]) + 1
    data = pd.DataFrame(grid.cells[start:], dtype=object)
    # The reader's filled-cell mask, when it has one, saves a pass over the object cells.
    filled = grid.filled[start:] if grid.filled is not None else None
    if data.shape[1] == 0:
        data, filled = pd.DataFrame(columns=range(cells.shape[1]), dtype=object), None
    rows = grid.first_row + start + np.arange(len(data), dtype=np.int64)
    whole = data
    data, rows, sectioned, filled = cut_table(
        data, rows, cells, block, spec, where, "row", notes, untitled=True, filled=filled
    )
    # The reader's typed columns are aligned with cells[1:] only; when rows were cut, the
    # layouts parse the cells.
    typed = start == 1 and data is whole
    return build_sheet(
        path=shown,
        sheet=grid.sheet,
        kind="workbook",
        header_row=header_row,
        header=block.header,
        letters=[column_letter(grid.first_col + j) for j in range(cells.shape[1])],
        data=data,
        rows=rows,
        filled=filled,
        uncalculated=grid.uncalculated,
        percent_cells=grid.percent_cells,
        parts=block.parts,
        notes=notes,
        sectioned=sectioned,
        numbers=grid.numbers if typed else None,
        dates=grid.dates if typed else None,
        texts=grid.texts if typed else None,
    )


def combine(parts: list[Part]) -> Table:
    """Several files as one Table: rows stacked, ``_src`` telling them apart."""
    decide_fractions(parts)  # percent scaling: one decision per KPI over all the files
    layouts = {p.layout for p in parts}
    if len(layouts) > 1:
        shapes = ", ".join(f"{p.source.path}: {p.source.layout}" for p in parts)
        raise DataError(
            f"the data files have different layouts ({shapes}); read them one layout at a time "
            "or bring them into the same layout"
        )
    layout = parts[0].layout
    frames = []
    with_col = any(COL in p.frame for p in parts)
    for i, p in enumerate(parts):
        f = p.frame
        if i or SRC not in f:  # the readers number their own rows as file 0 already
            f[SRC] = np.int64(i)
        if with_col and COL not in f:
            # Stacked with a tracker: give every row its value cell's column the same way.
            letter = p.source.columns.get(VALUE, "")
            f[COL] = pd.Series(letter, index=f.index, dtype="str")
        frames.append(f)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    for c in frame.columns:
        if frame[c].dtype == object:
            # Text in one file and missing (or numbers) in another: keep it as text.
            frame[c] = frame[c].astype("str")
    first = [c for c in (DATE, KPI, VALUE, TARGET, BASELINE) if c in frame.columns]
    last = [c for c in (SRC, ROW, COL) if c in frame.columns]
    data = [c for c in frame.columns if c not in first and c not in last]
    frame = frame[first + data + last]
    frame[SRC] = frame[SRC].astype(np.int64)
    frame[ROW] = frame[ROW].astype(np.int64)
    table = Table(
        frame=frame.reset_index(drop=True),
        layout=layout,
        sources=[p.source for p in parts],
        findings=[f for p in parts for f in p.findings],
        value_label=_same(p.value_label for p in parts),
        target_label=_same(p.target_label for p in parts),
        date_label=_same(p.date_label for p in parts),
        native_grain=finest({p.grain for p in parts if p.grain}),
        notes=[n for p in parts for n in p.notes],
    )
    if len(parts) == 1:
        # One file: its rows are the table's, in order, so the codes made while reading hold.
        # (Files stacked together are factorised by the engine, once per column.)
        for column, made in parts[0].codes.items():
            if column in table.frame.columns:
                share_codes(table, column, made.codes, made.uniques)
    return table


def _same(labels: Iterable[str | None]) -> str | None:
    """The first file's label (files read together normally share their column names)."""
    return next((x for x in labels if x), None)
