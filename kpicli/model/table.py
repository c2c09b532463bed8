"""The normalised measurement table that readers produce and the engine consumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from kpicli.model.results import Finding

if TYPE_CHECKING:  # the model layer never imports pandas at run time
    import pandas as pd

# Reserved column names in Table.frame; data columns keep their own names.
DATE = "_date"  # datetime64: the row's date, or the first day of its period
KPI = "_kpi"  # long layout: the KPI label as written in the data
VALUE = "_value"  # long layout: the measured value (float)
TARGET = "_target"  # optional per-row target (float)
BASELINE = "_baseline"  # optional per-row baseline (float; kpi_rows trackers)
SRC = "_src"  # int: index into Table.sources
ROW = "_row"  # int: 1-based CSV line or worksheet row of the row (see Source.lines)
# kpi_rows trackers: the cell's column (letter, or CSV field number) as in Source.columns values.
COL = "_col"
RESERVED = (DATE, KPI, VALUE, TARGET, BASELINE, SRC, ROW, COL)


@dataclass
class Source:
    """One file (and sheet) that rows came from, for locations such as ``f.xlsx!Sheet!C17``."""

    path: str
    sheet: str | None = None
    kind: Literal["csv", "workbook"] = "csv"
    # Data column name -> spreadsheet column letter (workbooks) or 1-based field number (CSV).
    columns: dict[str, str] = field(default_factory=dict)
    header_row: int = 1
    layout: str = "records"
    # CSV: ``_row`` numbers the records as if each took one line (header lines + 1 + index);
    # this gives the physical line a location names (records spanning lines, blank lines),
    # worked out only when a location is asked for. None: ``_row`` is the line or row.
    lines: Callable[[int], int] | None = field(default=None, repr=False, compare=False)

    def line(self, row: int) -> int:
        """The physical line (CSV) or sheet row of ``_row`` value ``row``."""
        return self.lines(row) if self.lines is not None else row


@dataclass
class Table:
    """Measurements in one of two shapes.

    * ``records``: ``_date`` plus one column per measure and dimension (many rows per period).
    * ``long``: ``_date``, ``_kpi``, ``_value`` (and optionally ``_target``/``_baseline``)
      plus dimension columns. The kpi_rows tracker layout is melted into this shape.
    Both carry ``_src`` and ``_row`` so any finding can name its file, sheet and cell.

    ``frame`` is read, never changed in place: its number columns are often the readers'
    own arrays, read-only (a million-row column is not copied again), and the codes in
    ``column_codes`` are kept for as long as it is the same frame. A caller that wants to
    change cells works on ``frame.copy()`` (or sets a new frame, which gets fresh codes).
    """

    frame: pd.DataFrame
    layout: Literal["records", "long"]
    sources: list[Source] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Original column names of the value/target columns in long layout (for messages).
    value_label: str | None = None
    target_label: str | None = None
    date_label: str | None = None
    # Finest grain seen in the date column: day, week, month, quarter, year.
    native_grain: str | None = None
    # A database or DuckDB source: the rows stay there, ``frame`` holds no measurements (only
    # the columns, and the distinct KPI labels of a long table), and the engine calls
    # ``pushdown(model, grain, by)`` for the aggregated Actuals (kpicli.readers.sql_source).
    pushdown: Callable[..., Any] | None = None
    # Silent choices the readers made (sheet, date column, ...), named for the user.
    notes: list[str] = field(default_factory=list)
    # Integer codes of columns, shared by aggregation and quality checks (kpicli.engine.codes).
    column_codes: dict[str, tuple[Any, Any, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def data_columns(self) -> list[str]:
        """Columns that came from the data (measures and dimensions), not reserved ones."""
        return [c for c in self.frame.columns if c not in RESERVED]

    def location(
        self, src: int, row: int, column: str | None = None, *, col: str | None = None
    ) -> str:
        """Human location: ``file.xlsx!Sheet!C17`` for workbooks, ``file.csv:17`` for CSV.

        ``col`` is the row's ``_col`` value (kpi_rows trackers) and wins over ``column``.
        """
        s = self.sources[src] if 0 <= src < len(self.sources) else Source(path="?")
        row = s.line(row)
        if col:
            column = next((k for k, v in s.columns.items() if v == col), column)
        if s.kind == "workbook":
            letter = col or s.columns.get(column or "", "")
            cell = f"{letter}{row}" if letter else f"row {row}"
            return f"{s.path}!{s.sheet}!{cell}" if s.sheet else f"{s.path}!{cell}"
        if column and column in s.columns:
            return f"{s.path}:{row} (column {column!r})"
        return f"{s.path}:{row}"
