"""Header detection and the three data layouts (long, records, kpi_rows) normalised to a Table frame."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.kpifile import KPI, DataSpec, KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import BASELINE, COL, DATE, RESERVED, ROW, SRC, TARGET, VALUE, Source
from kpicli.model.table import KPI as KPI_COL
from kpicli.readers.grid import unnamed_year_month, year_period_grid
from kpicli.readers.headers import (
    ROLE_ACTUAL,
    ROLE_TARGET,
    header_name,
    header_period,
    parts_period,
)
from kpicli.readers.numbers import (
    Dates,
    Factorized,
    Numbers,
    finest,
    refine_day_grain,
    text_factorized,
    text_values,
    to_dates,
    to_numbers,
)
from kpicli.readers.sections import check_section_used

HEADER_SCAN = 30  # rows searched for the header
NUMERIC_SHARE = 0.8  # a column is numeric when this share of its non-empty cells are numbers
DATE_SHARE = 0.8  # ... and a date column when this share are dates or periods
NAMED_DATE_SHARE = 0.5  # ... or this share, for a column named like a date (Date, Month, ...)
MAX_PLACES = 5  # cell locations listed in one finding

_KPI_NAMES = {
    "kpi",
    "kpis",
    "kpi name",
    "kpi id",
    "metric",
    "metrics",
    "metric name",
    "measure",
    "measure name",
    "indicator",
    "indicator name",
    "name",
    "kennzahl",
    "key figure",
}
_VALUE_NAMES = {
    "value",
    "values",
    "actual",
    "actuals",
    "actual value",
    "amount",
    "result",
    "wert",
    "ist",
    "istwert",
    "measurement",
}
_TARGET_NAMES = {
    "target",
    "targets",
    "target value",
    "goal",
    "plan",
    "budget",
    "ziel",
    "soll",
    "zielwert",
    "sollwert",
}
_BASELINE_NAMES = {"baseline", "baseline value", "basis", "ausgangswert"}
_UNIT_NAMES = {"unit", "einheit", "uom"}
_PERCENT_UNITS = {"%", "percent", "pct", "percentage", "prozent"}
_DATE_NAME = re.compile(
    r"^(date|day|month|period|week|quarter|year|fy|fiscal year|time|timestamp|datum|monat|"
    r"periode|jahr|woche|quartal|tag|zeitraum)\b|\b(date|day|month|period|week|time|datum|at|on)$"
)
_YEAR_NAMES = {"year", "jahr", "fy", "fiscal year", "yr"}
_MONTH_NAMES = {"month", "monat", "month number", "mon"}
_TOTAL = re.compile(r"^\s*(grand\s+)?(total|totals|sum|summe|gesamt|gesamtsumme)\b", re.I)
_NUMBER_TEXT = re.compile(r"^[\s(+-]*[€$£]?\s*\d[\d.,' ]*\s*%?\)?\s*$")


def norm(name: object) -> str:
    """Case-, space- and punctuation-insensitive form of a column name or KPI label."""
    return re.sub(r"[\s_\-./]+", " ", str(name)).strip().casefold()


@dataclass
class Sheet:
    """The cells below a detected header, with where each came from."""

    path: str  # as the user wrote it
    sheet: str | None
    kind: Literal["csv", "workbook"]
    header_row: int  # 1-based sheet row or CSV line of the header
    names: list[str]  # unique column names
    header: list[object]  # the raw header cells, aligned with names
    letters: list[str]  # spreadsheet letter (workbook) or 1-based field number (CSV)
    frame: pd.DataFrame  # data cells, columns = names; object (workbook) or str (CSV)
    rows: np.ndarray  # int64: 1-based sheet row or CSV line of each frame row
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices made while reading it
    uncalculated: list[tuple[str, int]] = field(default_factory=list)
    percent_cells: pd.DataFrame | None = None  # (letter, row) of percent-formatted number cells
    decimal_hint: str = "."
    dayfirst_hint: bool = False
    # A header over several rows: each column's parts, top to bottom (kpicli.readers.headers).
    parts: list[tuple[str, ...]] | None = None
    sectioned: bool = False  # one of several stacked tables was already picked
    dayfirst: bool | None = None  # data.dayfirst
    date_format: str | None = None  # data.date_format

    def date_options(self) -> dict[str, object]:
        """The keyword arguments every date parse of this sheet takes."""
        return {
            "dayfirst_hint": self.dayfirst_hint,
            "dayfirst": self.dayfirst,
            "date_format": self.date_format,
        }

    @property
    def where(self) -> str:
        return f"{self.path} (sheet {self.sheet!r})" if self.sheet else self.path

    def cell(self, row: int, letter: str | None = None) -> str:
        """``file.xlsx!Sheet!C17`` or ``file.csv:17``."""
        if self.kind == "workbook":
            ref = f"{letter}{row}" if letter else f"row {row}"
            return f"{self.path}!{self.sheet}!{ref}" if self.sheet else f"{self.path}!{ref}"
        return f"{self.path}:{row}"

    def finding(
        self,
        rule: str,
        severity: str,
        message: str,
        row: int | None = None,
        letter: str | None = None,
    ) -> Finding:
        return Finding(
            rule=rule,
            severity=severity,  # type: ignore[arg-type]
            message=message,
            location=self.cell(row, letter) if row is not None else self.path,
            file=self.path,
            line=row,
            letter="D",
        )


@dataclass
class Part:
    """One file (or sheet) normalised: a frame in the Table shape and what it came from."""

    frame: pd.DataFrame
    layout: Literal["records", "long"]
    source: Source
    findings: list[Finding]
    grain: str | None
    value_label: str | None = None
    target_label: str | None = None
    date_label: str | None = None
    # Percent values that may be stored as fractions; decided over all files read together.
    fractions: list[Fractions] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices, named for the user
    # Columns of ``frame`` factorised while reading (kpicli.engine.codes takes them over).
    codes: dict[str, Factorized] = field(default_factory=dict)


@dataclass
class Fractions:
    """Rows of one frame column holding a percent KPI's values not written with a % sign.

    Whether they are fractions (0.6 for 60 %) is decided once per ``key`` over every file
    read together (:func:`decide_fractions`), never per file: a file whose values all happen
    to be <= 1 must not be scaled while the other files of the same KPI are not.
    """

    key: tuple[str, ...]  # what is decided together: a records column, or a KPI's labels
    column: str  # the frame column holding the values
    rows: np.ndarray  # bool mask over the frame's rows
    declared: bool | None  # the KPI's own numbers say 0-100 (True), 0-1 (False), or nothing


# ----------------------------------------------------------------------------- header


def _header_like(v: object) -> bool | None:
    """True for a cell that could be a column name, False for data, None for empty."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str):
        text = v.strip()
        if not text:
            return None
        if _NUMBER_TEXT.match(text):
            return bool(re.fullmatch(r"(19|20)\d{2}", text))  # a year heads a yearly tracker
        return True
    if isinstance(v, dt.date):
        return True  # trackers head their period columns with real dates
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v).is_integer() and 1900 <= v <= 2200
    return False


def find_header(top: Sequence[Sequence[object]]) -> int:
    """Index of the header among the first rows: title and note rows above it are skipped.

    The header is the first row that is filled across most of the table's width, is mostly
    text (or period labels), and covers the columns the next row uses.
    """
    kinds = [[_header_like(v) for v in row] for row in top[:HEADER_SCAN]]
    filled = [sum(k is not None for k in row) for row in kinds]
    width = max(filled, default=0)
    if width == 0:
        return 0
    need = 1 if width == 1 else max(2, math.ceil(0.5 * width))
    first = next(i for i, n in enumerate(filled) if n)
    for i, row in enumerate(kinds):
        n = filled[i]
        if n < need or sum(k is True for k in row) < 0.5 * n:
            continue
        nxt = next((j for j in range(i + 1, len(kinds)) if filled[j]), None)
        # A header over several rows (sub-columns named in the rows below): the rows
        # together name the columns the data uses.
        cover = {c for c, k in enumerate(row) if k is not None}
        while (
            nxt is not None
            and nxt - i < 6
            and filled[nxt] >= 2
            and (not kinds[nxt] or kinds[nxt][0] is None)  # sub-headers leave the label column
            and all(k is True for k in kinds[nxt] if k is not None)
        ):
            cover |= {c for c, k in enumerate(kinds[nxt]) if k is not None}
            nxt = next((j for j in range(nxt + 1, len(kinds)) if filled[j]), None)
        if nxt is None:
            return i
        used = [c for c, k in enumerate(kinds[nxt]) if k is not None]
        # Label columns left of the first named column often have no header of their own.
        lead = min(cover, default=0)
        covered = sum(1 for c in used if c in cover or c < lead)
        if covered >= 0.75 * len(used) or n >= 0.8 * width:
            return i
    return first


def make_names(
    header: Sequence[object], letters: Sequence[str], blank: str
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Unique column names: blanks become ``Column C``, repeats ``Value.1``.

    Returns the names and the repeats as (name written, name given, letter).
    """
    names: list[str] = []
    taken = set(RESERVED) | {COL}
    repeats: list[tuple[str, str, str]] = []
    for v, letter in zip(header, letters, strict=True):
        base = header_name(v) or f"{blank} {letter}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        if k:
            repeats.append((base, name, letter))
        taken.add(name)
        names.append(name)
    return names, repeats


def build_sheet(
    *,
    path: str,
    sheet: str | None,
    kind: Literal["csv", "workbook"],
    header_row: int,
    header: Sequence[object],
    letters: Sequence[str],
    data: pd.DataFrame,
    rows: np.ndarray,
    **extra: object,
) -> Sheet:
    """Name the columns, drop empty rows and unnamed empty columns; D609 for repeated names.

    ``data`` has one positional column per header cell.
    """
    names, repeats = make_names(header, letters, "Column")
    data = data.set_axis(names, axis=1)
    filled_col = data.notna().any(axis=0).to_numpy()
    named = np.array([header_name(v) != "" for v in header], bool)
    cols = filled_col | named
    filled_row = data.notna().any(axis=1).to_numpy()
    if not (filled_row.all() and cols[: data.shape[1]].all()):  # else: nothing to drop
        data = data.loc[filled_row, cols[: data.shape[1]]].reset_index(drop=True)
    parts = extra.pop("parts", None)
    if parts is not None:
        extra["parts"] = [p for p, c in zip(parts, cols, strict=True) if c]  # type: ignore[arg-type]
    out = Sheet(
        path=path,
        sheet=sheet,
        kind=kind,
        header_row=header_row,
        names=[n for n, c in zip(names, cols, strict=True) if c],
        header=[h for h, c in zip(header, cols, strict=True) if c],
        letters=[lt for lt, c in zip(letters, cols, strict=True) if c],
        frame=data,
        rows=np.asarray(rows, dtype=np.int64)[filled_row],
        **extra,  # type: ignore[arg-type]
    )
    if repeats:
        what = ", ".join(
            f"{b!r} in column {lt} is read as {n!r}" for b, n, lt in repeats[:MAX_PLACES]
        )
        out.findings.append(
            out.finding(
                "D609",
                "warning",
                f"the header repeats column names: {what}; give each column its own name so "
                "KPIs read the column you mean",
                header_row,
                repeats[0][2],
            )
        )
    if not len(out.frame):
        raise DataError(f"{out.where} has a header but no data rows")
    return out


# ----------------------------------------------------------------------------- helpers


def _lookup(names: Sequence[str], wanted: str, where: str, what: str) -> str:
    if wanted in names:
        return wanted
    for n in names:
        if norm(n) == norm(wanted):
            return n
    raise DataError(
        f"{what} {wanted!r} is not a column of {where}; columns: "
        + ", ".join(repr(n) for n in names)
    )


def _by_name(
    names: Sequence[str], choices: set[str], skip: Sequence[str | None] = ()
) -> str | None:
    for n in names:
        if n not in skip and norm(n) in choices:
            return n
    return None


def _places(
    sheet: Sheet, rows: np.ndarray, letters: np.ndarray | str, shown: np.ndarray | None
) -> str:
    """Up to five cell locations (with the cell text) and how many more there are."""
    parts = []
    for i in range(min(MAX_PLACES, len(rows))):
        letter = letters if isinstance(letters, str) else letters[i]
        text = f" {_short(shown[i])}" if shown is not None else ""
        parts.append(f"{sheet.cell(int(rows[i]), letter)}{text}")
    more = len(rows) - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _short(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "(empty)"
    text = header_name(v) if not isinstance(v, str) else v.strip()
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _non_numeric_finding(
    sheet: Sheet,
    name: str,
    nums: Numbers,
    raw: np.ndarray | pd.Series,
    rows: np.ndarray,
    letters: np.ndarray | str,
    what: str,
) -> Finding | None:
    bad = np.flatnonzero(nums.bad)
    if not len(bad):
        return None
    lt = letters if isinstance(letters, str) else letters[bad]
    first_letter = lt if isinstance(lt, str) else lt[0]
    n = len(bad)
    shown = raw.iloc[bad].to_numpy(dtype=object) if isinstance(raw, pd.Series) else raw[bad]
    return sheet.finding(
        "D601",
        "warning",
        f"{what} has {n} value{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} not a "
        f"number ({_places(sheet, rows[bad], lt, shown)}); "
        f"{'they are' if n != 1 else 'it is'} treated as missing. Type a number (85, 85%, "
        "1,250.5 or 1.250,5) or leave the cell empty",
        int(rows[bad[0]]),
        first_letter,
    )


def _percent_targets(kpi: KPI) -> bool | None:
    """Whether the KPI's own numbers say its data are on the 0-100 scale (None: no numbers)."""
    nums: list[float] = []
    t = kpi.target
    if t is not None:
        nums += [x for x in (t.value, t.min, t.max) if x is not None]
        nums += list((t.schedule or {}).values())
    if kpi.baseline is not None and kpi.baseline.value is not None:
        nums.append(kpi.baseline.value)
    if not nums:
        return None
    return any(abs(x) > 1 for x in nums)


def are_fractions(v: np.ndarray, declared: bool | None) -> bool:
    """Whether percent values (not written with a % sign) are fractions to multiply by 100.

    The rule: they are when all of them lie in [0, 1] and they are not all equal to 1 — at
    least one lies strictly between 0 and 1, or both 0 and 1 occur (a 0/1 flag, whose mean
    times 100 is a percentage). A KPI whose own target and baseline are all within [0, 1]
    (``declared`` False) is measured on that scale on purpose, so its data are left alone.
    """
    if declared is False:
        return False
    v = v[~np.isnan(v)]
    if not len(v) or v.min() < 0 or v.max() > 1:
        return False
    inner = ((v > 0) & (v < 1)).any()
    flag = (v == 0).any() and (v == 1).any()
    return bool(inner or flag)


def scale_fractions(values: np.ndarray, mask: np.ndarray, declared: bool | None) -> bool:
    """Multiply the values in ``mask`` by 100, in place, when :func:`are_fractions`; True if so."""
    if not are_fractions(values[mask], declared):
        return False
    sel = mask & ~np.isnan(values)
    values[sel] = values[sel] * 100.0
    return True


def decide_fractions(parts: Sequence[Part]) -> None:
    """Scale percent values stored as fractions: one decision per KPI over all the files.

    Cells with a percent number format or a % sign were converted by the readers already
    and take no part; the remaining values of every file holding the KPI decide together.
    """
    groups: dict[tuple[str, ...], list[tuple[Part, Fractions]]] = {}
    for part in parts:
        for fr in part.fractions:
            groups.setdefault(fr.key, []).append((part, fr))
    for items in groups.values():
        values = np.concatenate(
            [p.frame[fr.column].to_numpy(dtype="float64")[fr.rows] for p, fr in items]
        )
        if not are_fractions(values, items[0][1].declared):
            continue
        for p, fr in items:
            col = p.frame[fr.column].to_numpy(dtype="float64", copy=True)
            sel = fr.rows & ~np.isnan(col)  # decided above, over all the files
            col[sel] = col[sel] * 100.0
            p.frame[fr.column] = col
    for part in parts:
        part.fractions = []


def _format_percent(
    sheet: Sheet, rows: np.ndarray, letters: np.ndarray | str, nums: Numbers
) -> np.ndarray:
    """Cells holding a number shown with a percent format (0.25 shown as 25%)."""
    pc = sheet.percent_cells
    if pc is None or not len(pc) or not len(rows):
        return np.zeros(len(rows), bool)
    if isinstance(letters, str):
        hit = np.isin(rows, pc.loc[pc["letter"] == letters, "row"].to_numpy())
    else:
        keys = pd.MultiIndex.from_arrays([pd.Index(letters, dtype="str"), pd.Index(rows)])
        hit = keys.isin(pd.MultiIndex.from_frame(pc[["letter", "row"]]))
    return np.asarray(hit, bool) & nums.typed


def _percent_columns(model: KPIFile | None) -> dict[str, bool | None]:
    """Records layout: measure column -> declared scale, for percent KPIs."""
    out: dict[str, bool | None] = {}
    for k in model.kpis if model else []:
        if k.is_percent and k.formula is None:
            col = (k.measure.column if k.measure and k.measure.column else None) or k.id
            declared = _percent_targets(k)
            out[col] = False if out.get(col) is False else declared
    return out


def _percent_labels(model: KPIFile | None) -> list[tuple[set[str], bool | None]]:
    """Long layout: the normalised labels a percent KPI's rows may carry, with its scale."""
    out = []
    for k in model.kpis if model else []:
        if k.is_percent and k.formula is None:
            out.append((labels_of(k), _percent_targets(k)))
    return out


# ----------------------------------------------------------------------------- columns


def _numeric_or_text(
    sheet: Sheet,
    spec: DataSpec | None,
    name: str,
    col: pd.Series,
    rows: np.ndarray,
    letter: str,
    findings: list[Finding],
    percent: dict[str, bool | None],
    fiscal_year_start: int,
    pending: list[Fractions] | None = None,
    codes: dict[str, Factorized] | None = None,
) -> pd.Series:
    """A data column as float64 (numbers, finding D601 for stray text) or as text or dates.

    A percent KPI's column (in ``percent``) without percent-formatted cells is added to
    ``pending``: whether it holds fractions is decided over all files (decide_fractions).
    A text or date column's factorisation, made while its distinct values were parsed, goes
    into ``codes`` under ``name`` (for kpicli.engine.codes: one factorisation per column).
    """
    nums = to_numbers(col, spec.decimal if spec else None, sheet.decimal_hint)
    if nums.share >= NUMERIC_SHARE:  # an all-empty column counts as numeric (share 1.0)
        values = nums.values.copy()
        fmt = _format_percent(sheet, rows, letter, nums)
        if fmt.any():
            values[fmt] *= 100.0
        elif name in percent and pending is not None:
            pending.append(Fractions(("column", name), name, ~nums.text_percent, percent[name]))
        f = _non_numeric_finding(sheet, name, nums, col, rows, letter, f"column {name!r}")
        if f:
            findings.append(f)
        return pd.Series(values, index=col.index, dtype="float64")
    dates = _maybe_dates(col, sheet, fiscal_year_start)
    if dates is not None:
        if codes is not None and dates.factorized is not None:
            codes[name] = dates.factorized
        return pd.Series(dates.values, index=col.index, dtype="datetime64[ns]")
    if codes is not None and nums.factorized is not None:
        codes[name] = text_factorized(col, nums.factorized)
    return text_values(col)


def _maybe_dates(
    col: pd.Series,
    sheet: Sheet,
    fiscal_year_start: int,
    serials: bool = False,
    years: bool = False,
    share: float = DATE_SHARE,
) -> Dates | None:
    """The column as dates when (nearly) all of it is; a sample decides before the full parse."""
    # The first 200 filled cells decide; look at the whole column only if the top is sparse.
    filled = col.iloc[:2000].dropna()
    if len(filled) < 200 and len(col) > 2000:
        filled = col.dropna()
    if not len(filled):
        return None
    if not serials and filled.dtype == object:
        # Real date cells next to plain numbers: those numbers are dates that lost their format.
        serials = bool(filled.iloc[:200].map(lambda v: isinstance(v, dt.date)).any())
    probe = to_dates(
        filled.iloc[:200],
        serials=serials,
        years=years,
        **sheet.date_options(),  # type: ignore[arg-type]
        fiscal_year_start=fiscal_year_start,
    )
    if probe.share < share:
        return None
    dates = to_dates(
        col,
        serials=serials,
        years=years,
        **sheet.date_options(),  # type: ignore[arg-type]
        fiscal_year_start=fiscal_year_start,
    )
    return dates if dates.share >= share else None


def find_date_column(
    sheet: Sheet, spec: DataSpec | None, fiscal_year_start: int, skip: Sequence[str | None] = ()
) -> tuple[str, Dates]:
    """The date or period column: named in the spec, named like a date, or the first of dates."""
    frame = sheet.frame
    if spec is not None and spec.date_column:
        name = _lookup(sheet.names, spec.date_column, sheet.where, "data.date_column")
        dates = to_dates(
            frame[name],
            serials=True,
            years=True,
            **sheet.date_options(),  # type: ignore[arg-type]
            fiscal_year_start=fiscal_year_start,
        )
        if not (~dates.bad & ~dates.empty).any():
            raise DataError(
                f"column {name!r} of {sheet.where} holds no dates or periods that can be read; "
                "write dates like 2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3"
            )
        return name, dates
    named = [n for n in sheet.names if n not in skip and _DATE_NAME.search(norm(n))]
    # Year-only columns come after a Year + Month pair, which is finer.
    ordered = [n for n in named if norm(n) not in _YEAR_NAMES] + [None]
    ordered += [n for n in named if norm(n) in _YEAR_NAMES]
    for name in ordered:
        if name is None:
            combined = _year_and_month(sheet, skip)
            if combined is not None:
                return combined
            continue
        # A column named like a date may carry total rows and typos: half is enough.
        dates = _maybe_dates(
            frame[name], sheet, fiscal_year_start, serials=True, years=True, share=NAMED_DATE_SHARE
        )
        if dates is not None:
            _note_other_dates(sheet, name, skip, fiscal_year_start)
            return name, dates
    for name in sheet.names:
        if name in skip or name in named:
            continue
        dates = _maybe_dates(frame[name], sheet, fiscal_year_start)
        if dates is not None:
            _note_other_dates(sheet, name, skip, fiscal_year_start)
            return name, dates
    pair = unnamed_year_month(sheet, {n for n in skip if n})
    if pair is not None:
        combined = _year_and_month(sheet, skip, pair)
        if combined is not None:
            sheet.notes.append(
                f"{sheet.where}: the unnamed columns {pair[0]!r} (years) and {pair[1]!r} "
                "(months) are read together as the period"
            )
            return combined
    raise DataError(no_date_message(sheet))


def no_date_message(sheet: Sheet) -> str:
    """The "no date column" error: what was tried (sheet, header row) and which key fixes it."""
    row = "row" if sheet.kind == "workbook" else "line"
    columns = ", ".join(repr(n) for n in sheet.names[:12])
    if len(sheet.names) > 12:
        columns += f" and {len(sheet.names) - 12} more"
    sheet_hint = ", data.sheet to read another sheet" if sheet.kind == "workbook" else ""
    return (
        f"no date or period column found in {sheet.where}, reading the header from "
        f"{row} {sheet.header_row} (columns: {columns}). If the header is on another {row}, "
        f"set data.header_row (1-based){sheet_hint}; name the date column with "
        "data.date_column; or add a column of dates (2026-10-31) or periods (2026-10, "
        "Oct 2026, 2026-Q3)"
    )


def _note_other_dates(
    sheet: Sheet, chosen: str, skip: Sequence[str | None], fiscal_year_start: int
) -> None:
    """When more columns than the one chosen hold dates, name the choice in a note.

    Only the first 200 filled cells of each other column are looked at (as detection does).
    """
    others = []
    for name in sheet.names:
        if name == chosen or name in skip:
            continue
        head = sheet.frame[name].iloc[:2000].dropna().iloc[:200]
        if not len(head) or to_numbers(head).share >= NUMERIC_SHARE:
            continue  # numbers are dates only in a column named like one
        probe = to_dates(
            head, fiscal_year_start=fiscal_year_start, **sheet.date_options()  # type: ignore[arg-type]
        )
        if probe.share >= DATE_SHARE:
            others.append(name)
    if others:
        listing = ", ".join(repr(n) for n in others[:MAX_PLACES])
        sheet.notes.append(
            f"{sheet.where}: dates are taken from column {chosen!r}; "
            f"{listing} also hold{'s' if len(others) == 1 else ''} dates. "
            "Name the one you mean with data.date_column"
        )


def date_order_finding(sheet: Sheet, name: str, dates: Dates) -> Finding | None:
    """D620 (info): how numeric dates such as 03/04/2026 were read, unless the file said."""
    order = dates.order
    if order is None or order.reason.startswith("data."):
        return None
    letter = dict(zip(sheet.names, sheet.letters, strict=True)).get(name)
    other = "false" if order.dayfirst else "true"
    # The cell that decided (or, for a separator, the first one written that way).
    col = sheet.frame[name]
    texts = col if pd.api.types.is_string_dtype(col) else col.astype("str")
    hit = np.flatnonzero(texts.str.strip().eq(order.example).to_numpy(bool, na_value=False))
    first = int(sheet.rows[hit[0]]) if len(hit) else int(sheet.rows[0]) if len(sheet.rows) else None
    return sheet.finding(
        "D620",
        "info",
        f"dates in column {name!r} are read as {order.text} ({order.example!r}), decided by "
        f"{order.reason}; if that is wrong, set data.dayfirst: {other} (or data.date_format) "
        "in the KPI file",
        first,
        letter,
    )


def _year_and_month(
    sheet: Sheet, skip: Sequence[str | None], pair: tuple[str, str] | None = None
) -> tuple[str, Dates] | None:
    """Separate Year and Month (number or name) columns make a month period."""
    year, month = pair or (
        _by_name(sheet.names, _YEAR_NAMES, skip),
        _by_name(sheet.names, _MONTH_NAMES, skip),
    )
    if year is None or month is None:
        return None
    y = to_numbers(sheet.frame[year]).values
    m_num = to_numbers(sheet.frame[month])
    m = m_num.values.copy()
    named = np.isnan(m) & ~m_num.empty
    if named.any():  # month names: "Jan", "October"
        labels = text_values(sheet.frame[month][named]).fillna("") + " 2000"
        parsed = pd.DatetimeIndex(to_dates(labels).values)
        m[named] = parsed.month.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(y) & ~np.isnan(m) & (m >= 1) & (m <= 12) & (y >= 1900) & (y <= 2200)
    if ok.mean() < DATE_SHARE:
        return None
    values = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[ns]")
    values[ok] = pd.to_datetime(
        pd.DataFrame({"year": y[ok].astype(int), "month": m[ok].astype(int), "day": 1})
    ).to_numpy(dtype="datetime64[ns]")
    empty = sheet.frame[year].isna().to_numpy() & sheet.frame[month].isna().to_numpy()
    return f"{year}+{month}", Dates(values, ~ok & ~empty, empty, "month")


# ----------------------------------------------------------------------------- layouts


def _header_period(v: object, fiscal_year_start: int) -> tuple[str, dt.date] | None:
    """A header cell read as a period: a date cell, ``Jan 2026``, ``2026-02``, ``Q3 2026``...

    Numbers in a header are periods only as years (2026); Excel serials are not. Footnote
    marks (``2020 (2)``, ``1869\\n(31.12.)``) are ignored.
    """
    return header_period(v, fiscal_year_start)


def _column_periods(
    sheet: Sheet, fiscal_year_start: int
) -> dict[str, tuple[str, dt.date, str | None]]:
    """Every period column: name -> (grain, first day, role from a sub-header or None)."""
    out: dict[str, tuple[str, dt.date, str | None]] = {}
    if sheet.parts is not None:
        for name, parts in zip(sheet.names, sheet.parts, strict=True):
            got = parts_period(parts, fiscal_year_start) if parts else None
            if got is not None:
                out[name] = got
        return out
    for name, v in zip(sheet.names, sheet.header, strict=True):
        one = _header_period(v, fiscal_year_start)
        if one is not None:
            out[name] = (one[0], one[1], None)
    return out


def period_columns(sheet: Sheet, fiscal_year_start: int) -> dict[str, tuple[str, dt.date]]:
    """Period columns holding actual values (no role, or the role ``actual``)."""
    return {
        name: (grain, day)
        for name, (grain, day, role) in _column_periods(sheet, fiscal_year_start).items()
        if role in (None, ROLE_ACTUAL)
    }


def _mostly_text(col: pd.Series) -> bool:
    nums = to_numbers(col)
    return bool((~nums.empty).any()) and nums.share < 0.5


def detect_layout(
    sheet: Sheet, spec: DataSpec | None, fiscal_year_start: int, model: KPIFile | None = None
) -> Literal["long", "records", "kpi_rows"]:
    """The layout named in the spec, else: periods across the header -> kpi_rows; a KPI
    column and a numeric value column -> long; otherwise records.

    With a model, a would-be long table whose "KPI" column names none of its KPIs while
    some KPI's measure column is a column of the file (an agent "Name" beside a deal
    "Value") is read as records.
    """
    if spec is not None and spec.layout:
        return "records" if spec.layout == "wide" else spec.layout
    periods = period_columns(sheet, fiscal_year_start)
    if len(periods) >= 2:
        others = [n for n in sheet.names if n not in periods]
        if spec is not None and spec.kpi_column:
            return "kpi_rows"
        if _by_name(others, _KPI_NAMES) or any(_mostly_text(sheet.frame[n]) for n in others[:3]):
            return "kpi_rows"
    if spec is not None and spec.kpi_column and spec.value_column:
        return "long"
    kpi = (spec.kpi_column if spec else None) or _by_name(sheet.names, _KPI_NAMES)
    value = (spec.value_column if spec else None) or _by_name(sheet.names, _VALUE_NAMES, [kpi])
    if not (kpi and value and kpi in sheet.names and value in sheet.names):
        return "records"
    if to_numbers(sheet.frame[value].iloc[:500]).share < 0.5:
        return "records"
    if model is not None and model.kpis:
        labels = {norm(v) for v in text_values(sheet.frame[kpi]).dropna().unique()[:1000]}
        wanted = set().union(*(labels_of(k) for k in model.kpis))
        columns = {norm(n) for n in sheet.names}
        measured = {norm(k.measure.column) for k in model.kpis if k.measure and k.measure.column}
        if not labels & wanted and measured & columns:
            return "records"
    return "long"


def labels_of(kpi: KPI) -> set[str]:
    """The normalised labels a KPI's rows may carry in a long table."""
    return {norm(x) for x in (kpi.measure.column if kpi.measure else None, kpi.id, kpi.name) if x}


def normalise(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None) -> Part:
    """Turn one sheet's cells into the Table frame for its layout."""
    fys = model.fiscal_year_start if model else 1
    if spec is not None:
        sheet.dayfirst, sheet.date_format = spec.dayfirst, spec.date_format
    grid = None
    if spec is None or (spec.layout is None and spec.date_column is None):
        grid = year_period_grid(sheet)
    if grid is not None:
        sheet = grid
        part = _records(sheet, spec, model, fys)
    else:
        layout = detect_layout(sheet, spec, fys, model)
        if layout == "kpi_rows":
            part = _kpi_rows(sheet, spec, model, fys)
        else:
            check_section_used(spec.section if spec else None, sheet.sectioned, sheet.where)
            if layout == "long":
                part = _long(sheet, spec, model, fys)
            else:
                part = _records(sheet, spec, model, fys)
    part.notes = [*sheet.notes, *part.notes]
    return part


def _source(sheet: Sheet, layout: str) -> Source:
    return Source(
        path=sheet.path,
        sheet=sheet.sheet,
        kind=sheet.kind,
        columns=dict(zip(sheet.names, sheet.letters, strict=True)),
        header_row=sheet.header_row,
        layout=layout,
    )


def _uncalculated_findings(sheet: Sheet) -> list[Finding]:
    """D608: formulas without a calculated value below the header, one finding per column."""
    cells = [(lt, r) for lt, r in sheet.uncalculated if r > sheet.header_row]
    if not cells:
        return []
    by_col: dict[str, list[int]] = {}
    for lt, r in cells:  # one entry per formula cell without a value, not per data row
        by_col.setdefault(lt, []).append(r)
    out = []
    for lt, rows in by_col.items():
        refs = [f"{sheet.sheet}!{lt}{r}" if sheet.sheet else f"{lt}{r}" for r in rows[:MAX_PLACES]]
        more = len(rows) - len(refs)
        listing = ", ".join(refs) + (f" and {more} more" if more > 0 else "")
        one = len(rows) == 1
        out.append(
            sheet.finding(
                "D608",
                "warning",
                f"formula{'' if one else 's'} in {listing} {'has' if one else 'have'} no "
                "calculated value (the file was saved by a program that does not calculate "
                "formulas); treated as missing. Open the file in Excel or LibreOffice and save "
                "it, or type the value",
                rows[0],
                lt,
            )
        )
    return out


def _dates_and_drops(
    sheet: Sheet, name: str, dates: Dates, findings: list[Finding], label: str | None = None
) -> np.ndarray:
    """Rows to keep; D607 for rows whose date cannot be read, D610 for total rows.

    Also D620 (info), how the column's day/month order was decided.
    """
    order = date_order_finding(sheet, name, dates) if name in sheet.names else None
    if order is not None:
        findings.append(order)
    keep = ~dates.bad & ~dates.empty
    if keep.all():
        return keep
    raw = sheet.frame[name].to_numpy(dtype=object) if name in sheet.frame else None
    drop = np.flatnonzero(~keep)
    letter = dict(zip(sheet.names, sheet.letters, strict=True)).get(name)
    total = np.zeros(len(drop), bool)
    if raw is not None:
        texts = pd.Series(raw[drop], dtype=object).astype("str")
        total = texts.str.match(_TOTAL).to_numpy(dtype=bool, na_value=False)
    if total.any():
        rows = sheet.rows[drop[total]]
        findings.append(
            sheet.finding(
                "D610",
                "info",
                f"{len(rows)} total row{'s' if len(rows) != 1 else ''} skipped "
                f"({_places(sheet, rows, letter or '', None)}); kpicli computes totals itself",
                int(rows[0]),
                letter,
            )
        )
    other = drop[~total]
    if len(other):
        n = len(other)
        shown = raw[other] if raw is not None else None
        findings.append(
            sheet.finding(
                "D607",
                "warning",
                f"{n} row{'s' if n != 1 else ''} in {sheet.where} "
                f"{'have' if n != 1 else 'has'} no readable date in column {label or name!r} and "
                f"{'were' if n != 1 else 'was'} skipped "
                f"({_places(sheet, sheet.rows[other], letter or '', shown)}); write dates like "
                "2026-10-31 or periods like 2026-10, Oct 2026, 2026-Q3",
                int(sheet.rows[other[0]]),
                letter,
            )
        )
    return keep


def _base(values: dict[str, object], sheet_rows: np.ndarray, n: int) -> pd.DataFrame:
    # The arrays are fresh: no second copy. The bookkeeping columns go in with the data in one
    # construction (inserting them afterwards fragments a wide frame block by block).
    columns = {**values, SRC: np.zeros(n, dtype=np.int64)}
    columns[ROW] = sheet_rows.astype(np.int64, copy=False)
    return pd.DataFrame(columns, copy=False)


def _records(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    date_name, dates = find_date_column(sheet, spec, fys)
    keep = _dates_and_drops(sheet, date_name, dates, findings)
    every = bool(keep.all())  # the usual case: no copies of the sheet's columns
    sub = sheet.frame if every else sheet.frame.loc[keep]
    rows = sheet.rows if every else sheet.rows[keep]
    letters = dict(zip(sheet.names, sheet.letters, strict=True))
    date_parts = set(date_name.split("+")) if date_name not in sheet.names else {date_name}
    percent = _percent_columns(model)
    pending: list[Fractions] = []
    out: dict[str, object] = {DATE: dates.values if every else dates.values[keep]}
    codes = _date_codes(dates, keep, every)
    for name in sheet.names:
        if name in date_parts:
            continue
        out[name] = _numeric_or_text(
            sheet,
            spec,
            name,
            sub[name].reset_index(drop=True),
            rows,
            letters[name],
            findings,
            percent,
            fys,
            pending,
            codes,
        ).array
    frame = _base(out, rows, len(rows))
    for name in sheet.names:
        if name in frame and frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    target = None
    if spec is not None and spec.target_column:
        target = _lookup(sheet.names, spec.target_column, sheet.where, "data.target_column")
    return Part(
        frame,
        "records",
        _source(sheet, "records"),
        findings,
        dates.grain,
        target_label=target,
        date_label=date_name,
        fractions=pending,
        codes=codes,
    )


def _date_codes(dates: Dates, keep: np.ndarray, every: bool) -> dict[str, Factorized]:
    """The date column's factorisation for the rows kept (none when it was not made)."""
    if dates.factorized is None:
        return {}
    return {DATE: dates.factorized if every else dates.factorized.take(keep)}


def _numbers_column(
    sheet: Sheet,
    spec: DataSpec | None,
    name: str,
    col: pd.Series,
    rows: np.ndarray,
    letter: str,
    findings: list[Finding],
) -> tuple[np.ndarray, Numbers, np.ndarray]:
    """A column that must hold numbers (value, target, baseline): float64 and D601.

    Returns the values (percent-formatted cells already times 100), the parse and the mask
    of those percent-formatted cells.
    """
    nums = to_numbers(col, spec.decimal if spec else None, sheet.decimal_hint)
    values = nums.values.copy()
    fmt = _format_percent(sheet, rows, letter, nums)
    values[fmt] *= 100.0
    f = _non_numeric_finding(sheet, name, nums, col, rows, letter, f"column {name!r}")
    if f:
        findings.append(f)
    return values, nums, fmt


def _scale_long(
    labels: pd.Series,
    columns: list[tuple[str, np.ndarray, Numbers, np.ndarray]],
    wanted: list[tuple[set[str], bool | None]],
    extra: np.ndarray | None = None,
) -> list[Fractions]:
    """Percent KPIs in a long table: the rows whose values (and targets) may be fractions.

    ``columns`` holds (frame column, values, numbers, format-scaled) for _value/_target/
    _baseline; ``extra`` marks rows a Unit column calls percent. Whether a KPI's values are
    fractions is decided over all files together (decide_fractions).
    """
    if not wanted and (extra is None or not extra.any()):
        return []  # no percent KPIs: nothing to scale
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    normed = np.array([norm(u) for u in uniques] + [""], dtype=object)
    groups: list[tuple[tuple[str, ...], np.ndarray, bool | None]] = [
        (("kpi", *sorted(ws)), np.isin(normed, list(ws))[codes], declared)
        for ws, declared in wanted
    ]
    if extra is not None and extra.any():
        row_norm = normed[codes]
        for u in np.unique(row_norm[extra]):
            groups.append((("unit", str(u)), row_norm == u, None))
    out: list[Fractions] = []
    for key, mask, declared in groups:
        if not mask.any():
            continue
        for name, _values, nums, fmt in columns:
            if (fmt & mask).any():
                continue  # the cells' own percent format already decided
            out.append(Fractions((*key, name), name, mask & ~nums.text_percent, declared))
    return out


def _long(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    names = sheet.names
    kpi_col = (
        _lookup(names, spec.kpi_column, sheet.where, "data.kpi_column")
        if spec and spec.kpi_column
        else _by_name(names, _KPI_NAMES)
    )
    value_col = (
        _lookup(names, spec.value_column, sheet.where, "data.value_column")
        if spec and spec.value_column
        else _by_name(names, _VALUE_NAMES, [kpi_col])
    )
    if kpi_col is None or value_col is None:
        raise DataError(
            f"{sheet.where} is not in the long layout: it needs a KPI column and a value column "
            "(name them with data.kpi_column and data.value_column); columns: "
            + ", ".join(repr(n) for n in names)
        )
    target_col = (
        _lookup(names, spec.target_column, sheet.where, "data.target_column")
        if spec and spec.target_column
        else _by_name(names, _TARGET_NAMES, [kpi_col, value_col])
    )
    baseline_col = _by_name(names, _BASELINE_NAMES, [kpi_col, value_col, target_col])
    date_name, dates = find_date_column(
        sheet, spec, fys, [kpi_col, value_col, target_col, baseline_col]
    )
    keep = _dates_and_drops(sheet, date_name, dates, findings)
    letters = dict(zip(names, sheet.letters, strict=True))
    labels_all = text_values(sheet.frame[kpi_col])
    no_label = labels_all.isna().to_numpy()
    if (keep & no_label).any():
        vals = to_numbers(sheet.frame[value_col])
        lost = np.flatnonzero(keep & no_label & ~vals.empty)
        if len(lost):
            findings.append(
                sheet.finding(
                    "D610",
                    "warning",
                    f"{len(lost)} row{'s' if len(lost) != 1 else ''} with a value but no KPI name "
                    f"in column {kpi_col!r} skipped "
                    f"({_places(sheet, sheet.rows[lost], letters[kpi_col], None)}); name the KPI "
                    "in that column or delete the row",
                    int(sheet.rows[lost[0]]),
                    letters[kpi_col],
                )
            )
        keep = keep & ~no_label
    every = bool(keep.all())  # the usual case: no copies of the sheet's columns
    sub = sheet.frame if every else sheet.frame.loc[keep].reset_index(drop=True)
    rows = sheet.rows if every else sheet.rows[keep]
    labels = labels_all if every else labels_all[keep].reset_index(drop=True)
    out: dict[str, object] = {
        DATE: dates.values if every else dates.values[keep],
        KPI_COL: labels.array,
    }
    scaled: list[tuple[str, np.ndarray, Numbers, np.ndarray]] = []
    for col, reserved in ((value_col, VALUE), (target_col, TARGET), (baseline_col, BASELINE)):
        if col is not None:
            vals, nums, fmt = _numbers_column(
                sheet, spec, col, sub[col], rows, letters[col], findings
            )
            scaled.append((reserved, vals, nums, fmt))
            out[reserved] = vals
    pending = _scale_long(labels, scaled, _percent_labels(model))
    used = {kpi_col, value_col, target_col, baseline_col} | set(date_name.split("+"))
    codes = _date_codes(dates, keep, every)
    for name in names:
        if name in used:
            continue
        out[name] = _numeric_or_text(
            sheet, spec, name, sub[name], rows, letters[name], findings, {}, fys, codes=codes
        ).array
    frame = _base(out, rows, len(rows))
    frame[KPI_COL] = frame[KPI_COL].astype("str")
    for name in names:
        if name in frame and frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    source = _source(sheet, "long")
    for name, reserved in (
        (date_name, DATE),
        (kpi_col, KPI_COL),
        (value_col, VALUE),
        (target_col, TARGET),
        (baseline_col, BASELINE),
    ):
        if name in letters:
            source.columns[reserved] = letters[name]
    return Part(
        frame,
        "long",
        source,
        findings,
        dates.grain,
        value_label=value_col,
        target_label=target_col,
        date_label=date_name,
        fractions=pending,
        codes=codes,
    )


def _kpi_rows(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    """The tracker layout: one row per KPI, one column per period, melted to long."""
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    names = sheet.names
    every_period = _column_periods(sheet, fys)
    periods = period_columns(sheet, fys)
    if not periods:
        raise DataError(
            f"{sheet.where} has no period columns for the kpi_rows layout: the header should hold "
            "periods such as Jan 2026, 2026-02, Q3 2026 or dates; header: "
            + ", ".join(repr(n) for n in names)
        )
    periods, dropped = _one_grain(periods, model)
    if dropped:
        sheet.notes.append(f"{sheet.where}: {dropped}")
    others = [n for n in names if n not in every_period]
    if spec is not None and spec.kpi_column:
        label_col = _lookup(names, spec.kpi_column, sheet.where, "data.kpi_column")
    else:
        label_col = (
            _by_name(others, _KPI_NAMES)
            or _column_naming_kpis(sheet, others, model)
            or next((n for n in others if _mostly_text(sheet.frame[n])), None)
        )
    if label_col is None:
        raise DataError(
            f"{sheet.where} looks like a KPI tracker (periods across the header) but has no column "
            "of KPI names; name it with data.kpi_column"
        )
    sheet = _section_by_column(sheet, label_col, others, spec)
    check_section_used(spec.section if spec else None, sheet.sectioned, sheet.where)
    target_col = (
        _lookup(names, spec.target_column, sheet.where, "data.target_column")
        if spec and spec.target_column
        else _by_name(others, _TARGET_NAMES, [label_col])
    )
    baseline_col = _by_name(others, _BASELINE_NAMES, [label_col, target_col])
    unit_col = _by_name(others, _UNIT_NAMES, [label_col, target_col, baseline_col])
    letters = dict(zip(names, sheet.letters, strict=True))
    frame = sheet.frame
    pnames = list(periods)
    p = len(pnames)
    n = len(frame)
    grains = {g for g, _ in periods.values()}
    grain = finest({"year" if g == "fiscal_year" else g for g in grains})
    starts = np.array([np.datetime64(d, "ns") for _, d in periods.values()], dtype="datetime64[ns]")
    if grain == "day":
        grain = finest({refine_day_grain(starts)} | (grains - {"day"}))
    # Sub-columns named Target under each period: the period's target, cell by cell.
    role_targets = {
        (g, d): name for name, (g, d, role) in every_period.items() if role == ROLE_TARGET
    }
    target_of = [role_targets.get(periods[c]) for c in pnames]
    if target_col is None and any(target_of):
        target_col = None  # per-period targets come from the sub-columns below

    labels = text_values(frame[label_col]).to_numpy(dtype=object)
    block = pd.Series(frame[pnames].to_numpy(dtype=object).ravel(), dtype=object)
    cell_rows = np.repeat(sheet.rows, p)
    cell_letters = np.tile(np.array([letters[c] for c in pnames], dtype=object), n)
    nums = to_numbers(block, spec.decimal if spec else None, sheet.decimal_hint)
    row_label = np.repeat(labels, p)
    no_label = pd.isna(row_label)
    lost = np.flatnonzero(no_label & ~nums.empty)
    if len(lost):
        unnamed = np.unique(cell_rows[lost])
        k = len(unnamed)
        findings.append(
            sheet.finding(
                "D610",
                "warning",
                f"{k} row{'s' if k != 1 else ''} with values but no KPI name in column "
                f"{label_col!r} skipped "
                f"({_places(sheet, unnamed, letters[label_col], None)}); name the KPI in "
                "that column or delete the row",
                int(unnamed[0]),
                letters[label_col],
            )
        )
    keep = ~no_label & ~nums.empty  # an empty tracker cell is not a measurement
    values = nums.values.copy()
    fmt = _format_percent(sheet, cell_rows, cell_letters, nums)
    values[fmt] *= 100.0

    sub_targets = _sub_column_targets(sheet, spec, frame, target_of, keep, findings)
    raw = block.to_numpy(dtype=object)
    bad_keep = nums.bad & keep
    if bad_keep.any():
        codes, uniques = pd.factorize(pd.Series(row_label[bad_keep], dtype=object))
        idx = np.flatnonzero(bad_keep)
        for i, label in enumerate(uniques):  # one finding per KPI row with stray text
            sel = idx[codes == i]
            part = Numbers(
                values[sel],
                np.ones(len(sel), bool),
                np.zeros(len(sel), bool),
                nums.text_percent[sel],
                nums.typed[sel],
                nums.decimal,
            )
            f = _non_numeric_finding(
                sheet,
                str(label),
                part,
                raw[sel],
                cell_rows[sel],
                cell_letters[sel],
                f"KPI row {label!r}",
            )
            if f:
                findings.append(f)

    out: dict[str, object] = {
        DATE: np.tile(starts, n)[keep],
        KPI_COL: row_label[keep],
        VALUE: values[keep],
    }
    kept_rows = cell_rows[keep]
    kept_letters = cell_letters[keep]
    scaled: list[tuple[str, np.ndarray, Numbers, np.ndarray]] = [
        (VALUE, out[VALUE], _subset(nums, keep), fmt[keep])  # type: ignore[list-item]
    ]
    if sub_targets is not None:
        out[TARGET] = sub_targets[0]
        scaled.append(sub_targets[1:])
    for col, reserved in ((target_col, TARGET), (baseline_col, BASELINE)):
        if col is None or (reserved == TARGET and sub_targets is not None):
            continue
        vals, tnums, tfmt = _numbers_column(
            sheet, spec, col, frame[col], sheet.rows, letters[col], findings
        )
        rep = np.repeat(vals, p)[keep]
        out[reserved] = rep
        scaled.append(
            (reserved, rep, _subset(_repeat(tnums, p), keep), np.repeat(tfmt, p)[keep])
        )
    unit_pct = None
    if unit_col is not None:
        units = text_values(frame[unit_col]).str.strip().str.lower().isin(_PERCENT_UNITS)
        unit_pct = np.repeat(units.to_numpy(dtype=bool), p)[keep]
    pending = _scale_long(
        pd.Series(out[KPI_COL], dtype=object), scaled, _percent_labels(model), unit_pct
    )
    for name in others:
        if name in (label_col, target_col, baseline_col):
            continue
        col = _numeric_or_text(
            sheet, spec, name, frame[name], sheet.rows, letters[name], findings, {}, fys
        )
        out[name] = np.repeat(col.to_numpy(), p)[keep]
    result = _base(out, kept_rows, int(keep.sum()))
    result[COL] = pd.array(kept_letters, dtype="str")
    result[KPI_COL] = result[KPI_COL].astype("str")
    for name in others:
        if name in result and result[name].dtype == object:
            result[name] = result[name].astype("str")
    source = _source(sheet, "kpi_rows")
    source.columns[KPI_COL] = letters[label_col]
    if sub_targets is not None:
        target_col = next(t for t in target_of if t)
    if target_col:
        source.columns[TARGET] = letters[target_col]
    if baseline_col:
        source.columns[BASELINE] = letters[baseline_col]
    return Part(
        result, "long", source, findings, grain, target_label=target_col, fractions=pending
    )


def _one_grain(
    periods: dict[str, tuple[str, dt.date]], model: KPIFile | None
) -> tuple[dict[str, tuple[str, dt.date]], str | None]:
    """Never the same time twice: where a year has both quarter columns and a column for
    the whole year (statistics tables do), the columns of the report's grain are read
    (else the finer ones) and the others left out, with a note."""

    def grain_of(g: str) -> str:
        return "year" if g == "fiscal_year" else g

    grains = {grain_of(g) for g, _ in periods.values()}
    if len(grains) < 2:
        return periods, None
    order = ["day", "week", "month", "quarter", "year"]
    freq = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
    spans = {}
    for n, (g, d) in periods.items():
        span = pd.Period(d, freq=freq[grain_of(g)])
        spans[n] = (span.start_time, span.end_time, grain_of(g))
    wanted = model.period if model is not None else None
    drop = set()
    for a, (a0, a1, ga) in spans.items():
        for b, (b0, b1, gb) in spans.items():
            if ga == gb or order.index(ga) <= order.index(gb) or not (a0 <= b0 and b1 <= a1):
                continue
            # a (coarser) contains b (finer): keep the report's grain, else the finer one.
            drop.add(b if wanted == ga else a)
    if not drop:
        return periods, None
    kept = {n: v for n, v in periods.items() if n not in drop}
    left = [n for n in periods if n in drop]
    shown = ", ".join(repr(n) for n in left[:4]) + (
        f" and {len(left) - 4} more" if len(left) > 4 else ""
    )
    return kept, (
        f"the header has {' and '.join(g for g in order if g in grains)} columns for the same "
        f"time; {len(left)} left out so nothing is counted twice ({shown})"
    )


def _column_naming_kpis(sheet: Sheet, others: list[str], model: KPIFile | None) -> str | None:
    """The text column whose cells name the KPIs of the KPI file (by id or name)."""
    if model is None or not model.kpis:
        return None
    wanted = set().union(*(labels_of(k) for k in model.kpis))
    best, best_hits = None, 0
    for name in others:
        values = text_values(sheet.frame[name]).dropna().unique()[:5000]
        hits = len({norm(v) for v in values} & wanted)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _section_by_column(
    sheet: Sheet, label_col: str, others: list[str], spec: DataSpec | None
) -> Sheet:
    """KPI labels repeated in blocks told apart by another column (an age group beside
    the region): the blocks are sections; one is read (data.section, default the first)."""
    from kpicli.readers.sections import pick_value

    labels = text_values(sheet.frame[label_col]).map(norm, na_action="ignore")
    if sheet.sectioned or not labels.duplicated().any():
        return sheet
    blank = {n for n, h in zip(sheet.names, sheet.header, strict=True) if not header_name(h)}
    for name in others:
        # A named column (Team, Region) is a dimension to break down by (--by); an unnamed
        # one that tells repeated KPI rows apart (an age group beside the region, as a
        # statistics office exports) splits the sheet into sections.
        if name == label_col or name not in blank:
            continue
        col = text_values(sheet.frame[name])
        if col.isna().all():
            continue
        pairs = pd.DataFrame({"k": labels, "g": col.map(norm, na_action="ignore")})
        if pairs.dropna().duplicated().any() or col.nunique() < 2:
            continue
        titles = [str(t) for t in col.dropna().unique()]
        index = pick_value(titles, spec.section if spec else None, sheet.where, name)
        keep = (col == titles[index]).to_numpy(dtype=bool)
        how = (
            "data.section"
            if spec is not None and spec.section is not None
            else "the first; choose another with data.section"
        )
        listing = ", ".join(f"{i + 1} {t!r}" for i, t in enumerate(titles[:6]))
        note = (
            f"{sheet.where} repeats its KPI rows for each {name!r} ({listing}); reading "
            f"section {index + 1} {titles[index]!r} — {how}"
        )
        sheet.notes.append(note)  # the list is shared with the copy: normalise reports it
        return dataclasses.replace(
            sheet,
            frame=sheet.frame.loc[keep].reset_index(drop=True),
            rows=sheet.rows[keep],
            sectioned=True,
        )
    return sheet


def _sub_column_targets(
    sheet: Sheet,
    spec: DataSpec | None,
    frame: pd.DataFrame,
    target_of: list[str | None],
    keep: np.ndarray,
    findings: list[Finding],
) -> tuple[np.ndarray, Numbers, np.ndarray] | None:
    """Each period's Target sub-column, aligned with the melted value cells."""
    if not any(target_of):
        return None
    n = len(frame)
    letters = dict(zip(sheet.names, sheet.letters, strict=True))
    cols = []
    for t in target_of:
        cols.append(frame[t].to_numpy(dtype=object) if t else np.full(n, None, dtype=object))
    block = pd.Series(np.column_stack(cols).ravel(), dtype=object)
    nums = to_numbers(block, spec.decimal if spec else None, sheet.decimal_hint)
    cell_rows = np.repeat(sheet.rows, len(target_of))
    cell_letters = np.tile(
        np.array([letters.get(t, "") if t else "" for t in target_of], dtype=object), n
    )
    values = nums.values.copy()
    fmt = _format_percent(sheet, cell_rows, cell_letters, nums)
    values[fmt] *= 100.0
    f = _non_numeric_finding(
        sheet, "targets", nums, block, cell_rows, cell_letters, "the target sub-columns"
    )
    if f:
        findings.append(f)
    return values[keep], _subset(nums, keep), fmt[keep]


def _subset(nums: Numbers, mask: np.ndarray) -> Numbers:
    return Numbers(
        nums.values[mask],
        nums.bad[mask],
        nums.empty[mask],
        nums.text_percent[mask],
        nums.typed[mask],
        nums.decimal,
    )


def _repeat(nums: Numbers, k: int) -> Numbers:
    return Numbers(
        np.repeat(nums.values, k),
        np.repeat(nums.bad, k),
        np.repeat(nums.empty, k),
        np.repeat(nums.text_percent, k),
        np.repeat(nums.typed, k),
        nums.decimal,
    )
