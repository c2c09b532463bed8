"""Several tables stacked in one sheet, and footer notes under a table.

Contract: :func:`choose_section` looks at the cells below a header (a DataFrame with one
positional column per header cell, empty cells missing) and finds *sections*:

* the header row repeated further down (a government table with one sub-table per group,
  each under its own copy of the header), the section's title being the one-cell row
  just above its header (``White Alone``);
* or one-cell title rows (``Männer und Frauen``, ``Männer``, ``Frauen``) that each open a
  block repeating the first block's row labels.

It keeps the rows of ONE section (``data.section``: its title, or its 1-based number;
default the first, with a note), never several: summing stacked tables is a wrong number.
Group headings above blocks of *different* labels are not sections and are left alone.
:func:`footer_rows` marks the one-cell text lines under the last data row (sources, notes).
The work is vectorised over the rows; only the few candidate rows are looked at one by one.

All of them look at the *filled-cell mask* of the cells (:func:`filled_cells`): a reader
that has it already passes it in, and :func:`cut_table` hands back the mask of the rows it
kept, so the mask is made once per read (the sheet builder takes it too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec
from kpicli.readers.headers import HeaderBlock

__all__ = [
    "Sections",
    "choose_section",
    "cut_table",
    "filled_cells",
    "footer_rows",
    "pick_value",
]

_MAX_TITLES = 500  # more one-cell rows than this: a sparse table, not titled sections
_BY_COLUMN = 64  # filled_cells looks column by column at frames up to this wide


@dataclass
class Sections:
    """The rows to keep (mask over the data rows) and what was chosen."""

    keep: np.ndarray
    titles: list[str] = field(default_factory=list)
    chosen: int | None = None  # 0-based index into titles
    notes: list[str] = field(default_factory=list)


def _clean(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split())


def filled_cells(data: pd.DataFrame) -> np.ndarray:
    """The filled-cell mask of ``data`` (``data.notna()`` as a bool array, column-major).

    Readers give empty cells as missing, so this is one vectorised test. It is a pass over
    every cell (the largest cost of this module on a big frame): make it once per frame and
    hand it on.
    """
    n, width = data.shape
    if width > _BY_COLUMN or n < 4 * width:
        return data.notna().to_numpy()
    # Column by column into one column-major array: each column's own missing test (a
    # bitmap read for Arrow text, no work at all for a column without missing values), and
    # no intermediate frame of bools copied into the result -- about half the time on a
    # tall frame.
    out = np.empty((n, width), dtype=bool, order="F")
    for j in range(width):
        np.logical_not(data.iloc[:, j].isna().to_numpy(), out=out[:, j])
    return out


def _row_counts(filled: np.ndarray) -> np.ndarray:
    """Filled cells per row of the mask ``filled``."""
    # A summing dtype as small as the width allows: masks of frames are column-major
    # (pandas keeps columns together), and for them numpy's row sum into uint8 is one fast
    # pass, several times faster than count_nonzero or a sum into the default int64.
    return filled.sum(axis=1, dtype=np.uint8 if filled.shape[1] < 256 else np.int64)


def _one_cell_text(data: pd.DataFrame, filled: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Of the candidate rows (one filled cell each), those whose cell is words, not a number."""
    if not len(rows):
        return rows
    cols = filled[rows].argmax(axis=1)
    ok = np.zeros(len(rows), bool)
    for k, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):  # few rows
        v = data.iat[r, c]
        ok[k] = isinstance(v, str) and any(ch.isalpha() for ch in v)
    return rows[ok]


def footer_rows(data: pd.DataFrame, filled: np.ndarray | None = None) -> np.ndarray:
    """Mask of the trailing one-cell text rows (source lines, notes, ``____``) to drop.

    ``filled`` is the filled-cell mask of ``data`` (:func:`filled_cells`), when known.
    """
    n = len(data)
    out = np.zeros(n, bool)
    if not n or data.shape[1] < 2:
        return out
    tail = data.iloc[-20:]
    filled = filled_cells(tail) if filled is None else filled[-20:]
    counts = filled.sum(axis=1)
    start = n - len(tail)
    for i in range(len(tail) - 1, -1, -1):
        if counts[i] == 0:
            out[start + i] = True  # blank lines between the table and its footer
            continue
        if counts[i] != 1:
            break
        v = tail.iat[i, int(filled[i].argmax())]
        if not isinstance(v, str) or any(ch.isdigit() for ch in v.strip()[:1]):
            break
        out[start + i] = True
    if out.all():
        return np.zeros(n, bool)
    return out


def choose_section(
    data: pd.DataFrame,
    header_first: Sequence[object],
    block_rows: int,
    rows: np.ndarray,
    wanted: str | int | None,
    where: str,
    row_label: str = "row",
    first_title: str | None = None,
    untitled: bool = True,
    line: Callable[[int], int] | None = None,
    filled: np.ndarray | None = None,
) -> Sections | None:
    """The stacked tables in ``data`` and the mask of the chosen one's rows, or None.

    ``header_first`` is the first row of the header (its copies mark new tables),
    ``block_rows`` how many rows a header uses, ``rows`` the sheet row of each data row,
    ``first_title`` the one-cell row above the first header (the first table's title).
    Without ``untitled``, copies of the header with no title row above them are not
    sections (CSV exports joined end to end are one table). ``line`` turns a value of
    ``rows`` into the line the note names (see :func:`cut_table`). ``filled`` is the
    filled-cell mask of ``data`` (:func:`filled_cells`), when known.
    """
    n = len(data)
    if n < 2 or data.shape[1] < 2:
        return _none_found(wanted, where)
    if filled is None:
        filled = filled_cells(data)
    counts = _row_counts(filled)
    head = [_clean(v) for v in header_first]
    head_cols = [j for j, t in enumerate(head) if t and j < data.shape[1]]
    starts: list[int] = []  # data index of each repeated header's first row
    if len(head_cols) >= 2:
        key = head_cols[0]
        col = data.iloc[:, key]
        raw = header_first[key]
        cand = np.flatnonzero(col.isin([head[key], raw]).to_numpy(dtype=bool))
        for i in cand[:1000]:
            if all(_clean(data.iat[i, j]) == head[j] for j in head_cols) and counts[i] == len(
                head_cols
            ):
                starts.append(int(i))
    singles = np.flatnonzero(counts == 1)
    titles_at = (
        _one_cell_text(data, filled, singles) if len(singles) <= _MAX_TITLES else singles[:0]
    )
    title_set = set(titles_at.tolist())
    sections: list[tuple[str, int, int]] = []  # (title, first data index, stop)
    if starts:
        bounds = []
        first_stop = starts[0]
        while first_stop - 1 in title_set:
            first_stop -= 1
        bounds.append((first_title or "1", 0, first_stop))
        for k, s in enumerate(starts):
            title_rows = []
            t = s - 1
            while t in title_set:
                title_rows.insert(0, t)
                t -= 1
            title = " ".join(_clean(data.iat[r, int(filled[r].argmax())]) for r in title_rows)
            stop = starts[k + 1] if k + 1 < len(starts) else n
            while stop - 1 in title_set and stop - 1 > s:
                stop -= 1
            bounds.append((title or str(k + 2), s + block_rows, stop))
        sections = bounds
    elif len(titles_at) >= 2:
        label = _label_column(filled)
        blocks = []
        edges = [*titles_at.tolist(), n]
        if titles_at[0] > 0 and counts[: titles_at[0]].sum():
            blocks.append((first_title or "1", 0, int(titles_at[0])))
        for k, t in enumerate(titles_at.tolist()):
            blocks.append((_clean(data.iat[t, int(filled[t].argmax())]), t + 1, edges[k + 1]))
        blocks = [b for b in blocks if b[2] > b[1]]
        if len(blocks) >= 2 and _labels_repeat(data, label, blocks):
            sections = blocks
    if len(sections) < 2 or (
        not untitled and all(t == str(i + 1) for i, (t, _, _) in enumerate(sections))
    ):
        # Untitled copies of the header in a text file: files joined end to end, one table.
        return _none_found(wanted, where)
    titles = [t for t, _, _ in sections]
    index = pick_value(titles, wanted, where)
    _, lo, hi = sections[index]
    keep = np.zeros(n, bool)
    keep[lo:hi] = True
    keep &= counts > 0
    listing = ", ".join(f"{i + 1} {t!r}" for i, t in enumerate(titles[:6]))
    if len(titles) > 6:
        listing += f" and {len(titles) - 6} more"
    at = line or int
    span = f"{row_label}s {at(int(rows[lo]))}-{at(int(rows[hi - 1]))}" if hi > lo else "no rows"
    how = "data.section" if wanted is not None else "the first; choose another with data.section"
    notes = [
        f"{where} holds {len(titles)} tables stacked ({listing}); reading section {index + 1} "
        f"{titles[index]!r} ({span}) — {how}"
    ]
    return Sections(keep=keep, titles=titles, chosen=index, notes=notes)


def cut_table(
    data: pd.DataFrame,
    rows: np.ndarray,
    top: np.ndarray | list[list[object]],
    block: HeaderBlock,
    spec: DataSpec | None,
    where: str,
    row_label: str,
    notes: list[str],
    *,
    untitled: bool,
    line: Callable[[int], int] | None = None,
    filled: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray, bool, np.ndarray]:
    """Drop footer notes, keep one of several stacked tables; notes say what was done.

    ``line`` turns a value of ``rows`` into the line or row the notes name (a CSV reader's
    rows count records, kpicli.readers.delimited.LineMap). ``filled`` is the filled-cell
    mask of ``data`` (:func:`filled_cells`) when the reader has it; made here otherwise.

    Returns the rows kept (``data`` itself when none were dropped), their ``rows``, whether
    a section was chosen, and the filled-cell mask of the rows kept, cut as ``data`` was,
    for the sheet builder (kpicli.readers.layout.build_sheet).
    """
    if filled is None:
        filled = filled_cells(data)
    foot = footer_rows(data, filled)
    if foot.any():
        kept = ~foot
        dropped = rows[foot] if line is None else np.array([line(int(r)) for r in rows[foot]])
        data, rows, filled = data.loc[kept].reset_index(drop=True), rows[kept], filled[kept]
        span = (
            f"{row_label} {int(dropped[0])}"
            if len(dropped) == 1
            else f"{row_label}s {int(dropped[0])}-{int(dropped[-1])}"
        )
        notes.append(f"{where}: {span} under the table read as notes, not data")
    # The first table's title: a one-cell row just above its header.
    first_title = None
    for i in range(block.first - 1, max(block.first - 3, -1), -1):
        cells = [v for v in top[i] if v is not None and str(v).strip()]
        if len(cells) == 1 and isinstance(cells[0], str):
            first_title = " ".join(cells[0].split())
            break
        if cells:
            break
    wanted = spec.section if spec is not None else None
    sec = choose_section(
        data,
        list(top[block.first]),
        block.last - block.first + 1,
        rows,
        wanted,
        where,
        row_label,
        first_title,
        untitled=untitled,
        line=line,
        filled=filled,
    )
    if sec is None:
        return data, rows, False, filled
    notes += sec.notes
    keep = sec.keep
    return data.loc[keep].reset_index(drop=True), rows[keep], True, filled[keep]


def _label_column(filled: np.ndarray) -> int:
    """The column most rows fill first: the row labels."""
    has = filled.any(axis=1)
    if not has.any():
        return 0
    first = filled[has].argmax(axis=1)
    return int(np.bincount(first).argmax())


def _labels_repeat(data: pd.DataFrame, label: int, blocks: list[tuple[str, int, int]]) -> bool:
    def labels(lo: int, hi: int) -> set[str]:
        return {_clean(v).casefold() for v in data.iloc[lo:hi, label].tolist()} - {""}

    first = labels(blocks[0][1], blocks[0][2])
    if not first:
        return False
    for _, lo, hi in blocks[1:]:
        other = labels(lo, hi)
        if not other or len(other & first) < 0.5 * len(other):
            return False
    return True


def pick_value(
    titles: list[str], wanted: str | int | None, where: str, column: str | None = None
) -> int:
    """Index of the section ``wanted`` names (title, or number from 1); 0 when unset."""
    if wanted is None:
        return 0
    listing = ", ".join(f"{i + 1} {t!r}" for i, t in enumerate(titles))
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        if 1 <= wanted <= len(titles):
            return wanted - 1
        raise DataError(
            f"data.section {wanted} is out of range: {where} has {len(titles)} sections "
            f"(counted from 1): {listing}"
        )
    key = " ".join(str(wanted).split()).casefold()
    exact = [i for i, t in enumerate(titles) if t.casefold() == key]
    if exact:
        return exact[0]
    partial = [i for i, t in enumerate(titles) if key and key in t.casefold()]
    if len(partial) == 1:
        return partial[0]
    what = "matches several sections" if partial else "is not a section title"
    raise DataError(
        f"data.section {wanted!r} {what} of {where}; sections: {listing}. Write the title as "
        "shown, or its number"
    )


def _none_found(wanted: str | int | None, where: str) -> None:
    """No stacked tables here (KPI rows repeated per group may still make sections)."""
    return None


def check_section_used(wanted: str | int | None, sectioned: bool, where: str) -> None:
    """A ``data.section`` that picked nothing is an error, never silently ignored."""
    if wanted is not None and not sectioned:
        raise DataError(
            f"data.section is set to {wanted!r} but {where} holds one table (no repeated "
            "header, section titles or repeated KPI rows were found); remove data.section"
        )
