"""Which engine reads a report's data: pandas, or DuckDB/PostgreSQL/Spark through
:mod:`kpicli.readers.sql_source`.

Contract. :func:`wants_sql` turns ``--data`` (or the KPI file's ``data:``) into a
:class:`Request` for an engine (a database URL, Parquet files, CSV files of at least
:data:`CSV_ENGINE_BYTES`) or None for the pandas path, with notes on the choice. It only looks
at URLs, suffixes and file sizes: this module imports no driver, no pandas and neither
sql_source nor csv_duckdb, so a CSV report decides here without loading the engine code it
does not use (tests/test_cold_start.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpicli.errors import KpiError
from kpicli.model.dataurl import is_url, redact
from kpicli.model.kpifile import DataSpec

__all__ = [
    "CSV_ENGINE_BYTES",
    "CSV_SUFFIXES",
    "PARQUET",
    "Request",
    "duckdb_available",
    "wants_sql",
]

PARQUET = {".parquet", ".parq", ".pq"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
# engine: auto reads CSV files of at least this many bytes (together) through DuckDB. Measured
# end to end (kpi report, 20-KPI long table, 2 cores; README "Data in a database"): DuckDB
# was 0.9 s slower at 300k rows (10 MB) and 1M rows (33 MB), 1.3-3 s faster at 5M rows
# (164 MB) with 57 % of the memory; the lines cross near 2.2M rows, about 70 MB.
CSV_ENGINE_BYTES = 80 * 1024 * 1024


@dataclass
class Request:
    """Where the rows are: a database URL, or Parquet (or large CSV) files for DuckDB."""

    url: str | None = None
    files: list[tuple[str, Path]] | None = None
    csv: bool = False  # CSV files: planned from kpicli's reading of a sample (csv_duckdb)
    plan: Any = None  # the CsvRead once planned
    by: str | None = None  # the report's --by column, when it has one

    @property
    def shown(self) -> str:
        if self.url is not None:
            return redact(self.url)
        assert self.files
        return ", ".join(s for s, _ in self.files)


def _spec_url(spec: DataSpec | None) -> str | None:
    if spec is None:
        return None
    if spec.url:
        return spec.url
    if spec.url_env:
        value = os.environ.get(spec.url_env)
        if not value:
            raise KpiError(
                f"data.url_env names the environment variable {spec.url_env!r}, which is not set"
            )
        return value
    return None


def duckdb_available() -> bool:
    """Whether the [sql] extra (duckdb, sqlglot) is installed, without importing it."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("duckdb", "sqlglot"))


def wants_sql(
    spec: DataSpec | None, data: Sequence[str | Path] | None, base_dir: Path
) -> tuple[Request | None, list[str]]:
    """The database or Parquet request to read through an engine (None: the pandas path),
    and notes on the choice."""
    notes: list[str] = []
    engine = spec.engine if spec is not None else "auto"
    url = str(data[0]) if data and is_url(str(data[0])) else None
    if data and url is not None and len(data) > 1:
        raise KpiError("--data takes one database URL (or files), not several URLs")
    if not data:
        url = _spec_url(spec)
    if url is not None:
        if engine == "pandas":
            raise KpiError(
                f"data.engine: pandas reads files; {redact(url)} is a database: use engine: "
                "auto or sql"
            )
        return Request(url=url), notes
    if engine == "pandas":
        return None, notes
    from kpicli.readers.files import expand_paths

    if data:
        paths = list(data)
        root = Path.cwd()
    else:
        given = spec.path if spec is not None else None
        if not given:
            return None, notes
        paths = [given] if isinstance(given, str) else list(given)
        root = base_dir
    files = expand_paths(paths, root)
    if files and engine in ("auto", "duckdb") and all(
        p.suffix.lower() in CSV_SUFFIXES for _, p in files
    ):
        try:
            size = sum(p.stat().st_size for _, p in files)
        except OSError:
            return None, notes  # the pandas path names the file it cannot open
        if engine == "auto" and size < CSV_ENGINE_BYTES:
            return None, notes
        if not duckdb_available():
            if engine == "duckdb":
                raise KpiError('data.engine: duckdb needs DuckDB: pip install "kpicli[sql]"')
            notes.append(
                f"{size / 1e6:.0f} MB of CSV read by pandas (every row in memory); pip install "
                '"kpicli[sql]" to aggregate it in DuckDB'
            )
            return None, notes
        return Request(files=files, csv=True), notes
    if not files or not all(p.suffix.lower() in PARQUET for _, p in files):
        if engine in ("duckdb", "sql"):
            notes.append(
                f"data.engine: {engine} reads Parquet files and databases; the other files are "
                "read by pandas"
            )
        return None, notes
    if not duckdb_available():
        if engine in ("duckdb", "sql"):
            raise KpiError(
                f"data.engine: {engine} needs DuckDB: pip install \"kpicli[sql]\""
            )
        notes.append(
            "Parquet read by pandas (every row in memory); pip install \"kpicli[sql]\" to "
            "aggregate in DuckDB"
        )
        return None, notes
    return Request(files=files), notes
