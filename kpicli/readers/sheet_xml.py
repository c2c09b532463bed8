"""A workbook sheet's XML and its fastexcel load, made in a background thread, and the early
start of both while ``kpi report`` imports its data stack.

Contract:

* :class:`SheetPrefetch` unzips one sheet's XML (for the formula, error and percent-format
  scan of :mod:`kpicli.readers.workbook`) in a thread; with ``load=True`` the same thread
  then loads the sheet through fastexcel, but only when the XML unzipped cleanly (a zip
  entry bigger than its header declares is refused by Python's zipfile before fastexcel
  ever sees it) and the sheet is one the fastexcel path may take (no merged cells, no ISO
  date cells). Everything the thread meets is kept, exceptions included, for the reader to
  act on as if it had done the work itself: the result is the same either way.
* :func:`start` begins that work for a workbook named on the command line before the slow
  imports (pandas, pyarrow, the engine) run on the main thread: zlib and fastexcel release
  the GIL, so the read overlaps them. It guesses the sheet the reader will want (the first
  visible worksheet) and runs the usual file checks first (size, declared unzipped size).
  :func:`take` hands the work over only for the same file (device, inode, size and
  modification time unchanged) and the same sheet; anything else is dropped and the reader
  reads as before.

Imports nothing heavy (no pandas, numpy or pyarrow): it runs before they are loaded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from kpicli.readers import SHEET_XML_SUFFIXES

__all__ = [
    "SCAN_LIMIT",
    "SheetPrefetch",
    "contains",
    "has_merged_cells",
    "load_fast",
    "may_hold_null_text",
    "scan_inputs",
    "sheet_listing",
    "start",
    "take",
]

SCAN_LIMIT = 400_000_000  # bytes of sheet XML we are willing to scan for formulas and formats

ScanInputs = tuple[bytes, bool, list[int]]


class SheetPrefetch:
    """``scan_inputs(path, sheet)`` (and, with ``load``, the fastexcel load) in a thread."""

    def __init__(self, path: Path, sheet_name: str, *, load: bool = False) -> None:
        self.sheet_name = sheet_name
        self.load = load
        self._got: ScanInputs | None = None
        self._loaded: tuple[Any, Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, sheet_name), daemon=True)
        self._thread.start()

    def _run(self, path: Path, sheet_name: str) -> None:
        with contextlib.suppress(Exception):  # the scan is a refinement
            self._got = scan_inputs(path, sheet_name)
        got = self._got
        if not self.load or got is None:
            return
        if has_merged_cells(got[0]) or contains(got[0], b't="d"', 3):
            return  # the fastexcel path will not take this sheet: nothing to load
        try:
            self._loaded = load_fast(path, sheet_name)
        except Exception as exc:  # re-raised where the reader loads it itself
            self._error = exc

    def peek(self) -> ScanInputs | None:
        """The scan inputs, kept for a later :meth:`result`."""
        self._thread.join()
        return self._got

    def result(self) -> ScanInputs | None:
        self._thread.join()
        got, self._got = self._got, None
        return got

    def loaded(self, path: Path) -> tuple[Any, Any]:
        """(fastexcel reader, loaded sheet): the thread's, else loaded now; raises as the
        load did."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._loaded is not None:
            got, self._loaded = self._loaded, None
            return got
        return load_fast(path, self.sheet_name)


def load_fast(path: Path, sheet_name: str) -> tuple[Any, Any]:
    """The sheet loaded by fastexcel with every cell typed strictly: (reader, sheet)."""
    import fastexcel

    # fastexcel logs through Python's logging; unconfigured, a warning would reach stderr.
    logging.getLogger("fastexcel").setLevel(logging.ERROR)
    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(
        sheet_name, header_row=0, schema_sample_rows=None, dtype_coercion="strict"
    )
    return reader, sheet


# ----------------------------------------------------------------------------- early start

_lock = threading.Lock()
_pending: tuple[tuple[int, ...], SheetPrefetch] | None = None


def _identity(path: Path) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def start(path: Path, sheet: str | int | None = None) -> None:
    """Begin reading ``path`` (an .xlsx/.xlsm workbook) in the background, if it is one:
    the sheet ``sheet`` names (``data.sheet``: a name or a 0-based number), else the first
    visible worksheet, as the reader picks them.

    Never raises: a file that cannot be read this way is left to the reader, which reports
    it in its own words.
    """
    global _pending
    drop()
    if path.suffix.lower() not in SHEET_XML_SUFFIXES:
        return
    try:
        from kpicli.readers.guards import check_file

        check_file(path, str(path))  # the size limits, before anything is unpacked
        ident = _identity(path)
        # What the thread uses is imported here, on the main thread: the thread then imports
        # nothing while the main thread imports the data stack (no two threads in one import).
        import defusedxml.ElementTree  # noqa: F401
        import fastexcel  # noqa: F401
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        try:
            names, visible = sheet_listing(wb)
        finally:
            with contextlib.suppress(Exception):
                wb.close()
    except Exception:  # unreadable, too big, not a workbook: the reader says why
        return
    chosen = _chosen_sheet(names, visible, sheet)
    if chosen is None:
        return
    with _lock:
        _pending = (ident, SheetPrefetch(path, chosen, load=True))


def _chosen_sheet(names: list[str], visible: list[str], sheet: str | int | None) -> str | None:
    """The sheet the reader will try first (kpicli.readers.workbook.pick_sheets), or None."""
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        return names[sheet] if 0 <= sheet < len(names) else None
    if isinstance(sheet, str):
        if sheet in names:
            return sheet
        folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        return folded[0] if folded else None
    return visible[0] if visible else None


def take(path: Path, sheet_name: str) -> SheetPrefetch | None:
    """The early read of ``sheet_name`` in ``path``, when one was started for them."""
    global _pending
    with _lock:
        pending, _pending = _pending, None
    if pending is None:
        return None
    ident, early = pending
    try:
        same = _identity(path) == ident
    except OSError:
        same = False
    return early if same and early.sheet_name == sheet_name else None


def drop() -> None:
    """Forget an early read nobody took (the thread finishes on its own)."""
    global _pending
    with _lock:
        _pending = None


# ----------------------------------------------------------------------------- sheet XML


def sheet_listing(wb: Any) -> tuple[list[str], list[str]]:
    """All sheet names of an open python-calamine workbook, and its visible worksheets."""
    names = list(wb.sheet_names)
    visible = [
        m.name
        for m in wb.sheets_metadata
        if str(getattr(m, "visible", "")).endswith("Visible")
        and str(getattr(m, "typ", "")).endswith("WorkSheet")
    ] or names
    return names, visible


def scan_inputs(path: Path, sheet_name: str) -> ScanInputs | None:
    """The sheet's XML, whether Excel is asked to recalculate on load, percent styles."""
    with zipfile.ZipFile(path) as zf:
        xml_path = _sheet_xml_path(zf, sheet_name)
        if xml_path is None or zf.getinfo(xml_path).file_size > SCAN_LIMIT:
            return None
        data = zf.read(xml_path)
        recalc = b'fullCalcOnLoad="1"' in zf.read("xl/workbook.xml")
        return data, recalc, _percent_styles(zf)


def _sheet_xml_path(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    from defusedxml import ElementTree as ET

    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = None
    for el in wb.iter():
        if el.tag.endswith("}sheet") and el.get("name") == sheet_name:
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
    if rid is None:
        return None
    for el in rels.iter():
        if el.get("Id") == rid:
            target = el.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def _percent_styles(zf: zipfile.ZipFile) -> list[int]:
    """Indexes of cell styles whose number format shows a percent sign."""
    from defusedxml import ElementTree as ET

    try:
        root = ET.fromstring(zf.read("xl/styles.xml"))
    except KeyError:
        return []
    pct_formats = {9, 10}
    for el in root.iter():
        if el.tag.endswith("}numFmt"):
            code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", el.get("formatCode", ""))
            if "%" in code:
                pct_formats.add(int(el.get("numFmtId", "-1")))
    styles: list[int] = []
    for el in root.iter():
        if el.tag.endswith("}cellXfs"):
            for i, xf in enumerate(x for x in el if x.tag.endswith("}xf")):
                if int(xf.get("numFmtId", "0")) in pct_formats:
                    styles.append(i)
    return styles


# Texts fastexcel reads as an empty cell in a number, date or truth-value column (its list is
# pandas' default NA strings), with kpicli's own missing markers, compared stripped and
# case-folded: a generous superset, so that a longer list in a later fastexcel is still met.
_NULL_LIKE = frozenset(
    t.casefold()
    for t in (
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "nil", "n.a.", "na.",
        "#null!", "#value!", "#ref!", "#num!", "#div/0!", "-", "--", "\u2013", "\u2014", ".",
        "...", "\u2026",
    )
)


def may_hold_null_text(path: Path, xml: bytes) -> bool:
    """Whether a text cell of the sheet (``xml``) may be one fastexcel reads as empty.

    False only when the sheet has no inline or formula text cells and no shared string of
    the workbook is such a text: then every empty cell fastexcel gives is an empty cell.
    """
    if b"inlineStr" in xml or b't="str"' in xml:
        return True
    from defusedxml import ElementTree as ET

    with zipfile.ZipFile(path) as zf:
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(
            (
                el.get("Target", "")
                for el in rels.iter()
                if str(el.get("Type", "")).endswith("/sharedStrings")
            ),
            None,
        )
        if not target:
            return False  # no shared strings: the sheet has no text cells of that kind
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        root = ET.fromstring(zf.read(part))
    for item in root:
        if not item.tag.endswith("}si"):
            continue
        # The item's text: its own <t>, or the <t> of each rich-text run (not the phonetic
        # reading, <rPh>, which readers do not show).
        parts = [
            t.text or ""
            for child in item
            for t in ([child] if child.tag.endswith("}t") else list(child))
            if (child.tag.endswith("}t") or child.tag.endswith("}r")) and t.tag.endswith("}t")
        ]
        if "".join(parts).strip().casefold() in _NULL_LIKE:
            return True
    return False


def has_merged_cells(xml: bytes) -> bool:
    """Whether the sheet merges cells (listed after its cells: only the tail is searched)."""
    end = max(xml.rfind(b"</sheetData>"), xml.rfind(b":sheetData>"), 0)
    return xml.find(b"mergeCell", end) >= 0


# Rare-byte hits looked at one by one before ``contains`` falls back to a plain search.
_RARE_TRIES = 64


def contains(data: bytes, needle: bytes, rare: int) -> bool:
    """``needle in data``, found through the needle's byte at ``rare``.

    A search for several bytes walks the sheet XML byte by byte (some 20 ms for 15 MB); one
    byte is found with memchr. The bytes looked for (``f`` of a formula element, ``e`` or
    ``d`` of a cell type) are rare in cell XML, so the few places where that byte occurs are
    checked one by one; where it is common, the plain search answers.
    """
    byte = needle[rare : rare + 1]
    pos = data.find(byte, rare)
    for _ in range(_RARE_TRIES):
        if pos < 0:
            return False
        if data.startswith(needle, pos - rare):
            return True
        pos = data.find(byte, pos + 1)
    return needle in data
