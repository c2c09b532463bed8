"""Checks that refuse oversized data before it is read: file size, zip bombs, rows, columns.

The limits themselves live in :mod:`kpicli.limits`; each refusal is one DataError naming the
file, the size found, the limit and how to raise it.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from kpicli import limits
from kpicli.errors import DataError

ZIP_MAGIC = b"PK\x03\x04"


def check_file(path: Path, shown: str) -> None:
    """Refuse a data file larger than ``file_size``, or a zip workbook that unpacks to more
    than ``unzipped_size`` (the sizes a zip archive declares are read, nothing is unpacked)."""
    lim = limits.current()
    try:
        st = path.stat()
    except OSError as exc:
        raise DataError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        # A symlink to /dev/zero or /dev/urandom never ends; a named pipe may never start.
        raise DataError(f"{shown} is not a regular file (a device, pipe or socket)")
    size = st.st_size
    if lim.file_size is not None and size > lim.file_size:
        raise DataError(
            f"{shown} is {limits.size_text(size)}; " + limits.exceeded("file_size", lim.file_size)
        )
    if lim.unzipped_size is None:
        return
    try:
        with path.open("rb") as fh:
            if fh.read(4) != ZIP_MAGIC:
                return
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(max(info.file_size, 0) for info in zf.infolist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        # Damaged archives (or a zip feature Python lacks, such as "zip file version 6.4")
        # are reported by the workbook reader, with its own words.
        return
    if unpacked > lim.unzipped_size:
        raise DataError(
            f"{shown} unpacks to {limits.size_text(unpacked)} "
            f"({limits.size_text(size)} on disk): a zip bomb, or a workbook far bigger than "
            "kpicli reads; " + limits.exceeded("unzipped_size", lim.unzipped_size)
        )


def check_shape(where: str, *, rows: int | None = None, columns: int | None = None) -> None:
    """Refuse a table (``where``: the file, or a sheet of it) over the row or column limit."""
    lim = limits.current()
    if columns is not None and lim.columns is not None and columns > lim.columns:
        raise DataError(
            f"{where} has {columns:,} columns; " + limits.exceeded("columns", lim.columns)
        )
    if rows is not None and lim.rows is not None and rows > lim.rows:
        raise DataError(f"{where} has {rows:,} rows; " + limits.exceeded("rows", lim.rows))
