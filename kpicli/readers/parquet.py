"""Parquet files on the pandas path: typed columns straight into the Table shape.

Contract: a Parquet file already knows its types, so nothing is guessed from text: numbers
(integers, decimals, floats) become float64 with NaN as missing, booleans stay booleans, text
stays text as written, dates and timestamps become the row's day (the date column), and any
other type is kept as it is. The date column is ``data.date_column`` or the first date or
timestamp column (else the first text column kpicli reads as dates). ``data.layout: long``
with ``kpi_column``/``value_column`` (and ``target_column``) gives a long table. These are the
values the DuckDB and database engines see for the same file (kpicli.engine.sqlplan), which
the conformance suite checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import DATE, KPI, ROW, SRC, TARGET, VALUE, Source
from kpicli.readers.layout import Part
from kpicli.readers.numbers import to_dates

__all__ = ["read_parquet_part"]


def _column(col: pd.Series) -> pd.Series:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return col.astype("boolean")
    if pd.api.types.is_numeric_dtype(dtype):
        return col.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return col
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(col, skipna=True)
        if inferred == "decimal":
            return pd.to_numeric(col, errors="coerce").astype("float64")
        if inferred == "date":
            return pd.to_datetime(col)
        if inferred in ("string", "empty"):
            return col.astype("str")
    return col


def read_parquet_part(
    path: Path, shown: str, spec: DataSpec | None, model: KPIFile | None
) -> Part:
    """One Parquet file as a normalised Part (records, or long with the columns named)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{shown}: cannot read it as Parquet: {exc}") from None
    frame = arrow.to_pandas()
    if not len(frame.columns):
        raise DataError(f"{shown} has no columns")
    columns = {str(c): _column(frame[c]) for c in frame.columns}
    fys = model.fiscal_year_start if model is not None else 1

    def pick(name: str | None, what: str) -> str | None:
        if name is None:
            return None
        if name in columns:
            return name
        folded = {c.casefold(): c for c in columns}
        if name.casefold() in folded:
            return folded[name.casefold()]
        raise DataError(f"{shown}: {what} {name!r} is not a column; columns: {', '.join(columns)}")

    date_name = pick(spec.date_column if spec else None, "data.date_column")
    if date_name is None:
        typed = [c for c, s in columns.items() if pd.api.types.is_datetime64_any_dtype(s)]
        date_name = typed[0] if typed else None
    if date_name is None:
        for c, s in columns.items():
            if pd.api.types.is_string_dtype(s) and to_dates(s.head(200)).share >= 0.9:
                date_name = c
                break
    if date_name is None:
        raise DataError(
            f"{shown}: no date or period column; name it with data.date_column"
        )
    dates = to_dates(columns[date_name], serials=False, years=True, fiscal_year_start=fys)
    keep = ~dates.bad & ~dates.empty
    layout = spec.layout if spec is not None and spec.layout else "records"
    if layout == "kpi_rows":
        raise DataError(f"{shown}: layout kpi_rows is for spreadsheets; use records or long")
    out: dict[str, object] = {DATE: dates.values[keep]}
    value_label = target_label = None
    if layout == "long":
        kpi_name = pick(spec.kpi_column if spec else None, "data.kpi_column")
        value_name = pick(spec.value_column if spec else None, "data.value_column")
        if kpi_name is None or value_name is None:
            raise DataError(f"{shown}: a long table needs data.kpi_column and data.value_column")
        target_name = pick(spec.target_column if spec else None, "data.target_column")
        out[KPI] = columns[kpi_name][keep].astype("str")  # text as pandas' str, no objects
        out[VALUE] = pd.to_numeric(columns[value_name][keep], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        if target_name:
            out[TARGET] = pd.to_numeric(columns[target_name][keep], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
        value_label, target_label = value_name, target_name
        used = {date_name, kpi_name, value_name, target_name}
    else:
        used = {date_name}
    for c, s in columns.items():
        if c not in used:
            out[c] = s[keep].reset_index(drop=True)
    # The arrays are fresh (taken by ``keep``): one block each, no second copy.
    result = pd.DataFrame(
        {k: (v.array if isinstance(v, pd.Series) else v) for k, v in out.items()}, copy=False
    )
    if layout == "long":
        result[KPI] = result[KPI].astype("str")
    result[SRC] = np.zeros(len(result), dtype=np.int64)
    result[ROW] = np.flatnonzero(keep).astype(np.int64) + 1
    source = Source(path=shown, kind="csv", layout="long" if layout == "long" else "records")
    return Part(
        result,
        "long" if layout == "long" else "records",
        source,
        [],
        dates.grain,
        value_label=value_label,
        target_label=target_label,
        date_label=date_name,
    )
