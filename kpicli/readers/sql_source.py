"""Data in a database or in Parquet files: connect, inspect, and run the compiled SQL.

Contract. :func:`kpicli.readers.engine_choice.wants_sql` says whether a KPI file's data (or
``--data``) is a database URL or Parquet files the DuckDB engine should read (decided there,
so that a CSV report never imports this module); :func:`read_sql_table` returns a
:class:`~kpicli.model.table.Table` whose rows stay in the engine: its ``frame`` has only the
columns (and, for a long table, one row per distinct KPI label), and ``pushdown`` runs the
queries of :mod:`kpicli.engine.sqlplan` and returns the Actuals. Everything downstream is the
file path's.

* Drivers (duckdb, psycopg, sqlglot) are imported here, only when a database or Parquet file
  is read through an engine: ``kpi --help`` and file reports never import them.
* Credentials come only from the engine's own sources (PGPASSWORD, ~/.pgpass, PGSERVICE): a
  URL holding a password or secret parameter is refused, and every message shows the URL
  redacted (no password, no query parameters).
* Connections are read-only with a statement timeout (``data.timeout``, default 300 s);
  ``data.query`` must be a single SELECT (checked with sqlglot) and is used as a subquery.
* A failure (server unreachable, wrong password, missing table or column, permission denied,
  timeout) is one DataError naming the redacted source and what to do.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kpicli.engine.rules.catalogue import finding
from kpicli.errors import DataError, KpiError, query_timeout
from kpicli.model.dataurl import SCHEMES as _SCHEMES
from kpicli.model.dataurl import redact, url_problem
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import DATE, KPI, TARGET, VALUE, Source, Table
from kpicli.readers.engine_choice import Request, duckdb_available

__all__ = ["CsvFallback", "Request", "read_sql_table", "redact", "url_problem"]

WORK_MEM_KB = 64 * 1024  # PostgreSQL work_mem for kpicli's session, at least


class CsvFallback(Exception):
    """CSV files DuckDB cannot read as kpicli does: the pandas path reads them (a note)."""


# -------------------------------------------------------------------------------- backends


def _duck_kind(type_name: str) -> str:
    t = type_name.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "UHUGEINT"):
        return "int"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR"):
        return "text"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "BOOLEAN":
        return "bool"
    if t.strip('"') == "NULL":
        # A column with no value at all (Parquet's null type): every comparison is missing,
        # hence false, as on the pandas path, where it is an empty text column.
        return "text"
    return "other"


_PG_KINDS = {
    16: "bool", 20: "int", 21: "int", 23: "int", 700: "float", 701: "float", 1700: "decimal",
    25: "text", 1042: "text", 1043: "text", 19: "text", 1082: "date", 1114: "timestamp",
    1184: "timestamp",
}


class Backend:
    """One engine connection: schema, small statistics and the compiled queries."""

    dialect = "duckdb"
    shown = ""
    row_order: Any = None

    def relation(self) -> Any:  # the FROM item (sqlglot expression)
        raise NotImplementedError

    def columns(self) -> dict[str, str]:
        raise NotImplementedError

    def run(self, sql: str) -> Any:
        """Run one statement; its rows are read by :meth:`frame` or :meth:`arrays`."""
        raise NotImplementedError

    def frame(self, result: Any) -> Any:
        """A result's rows as a pandas DataFrame (what sqlplan.assemble reads)."""
        return result

    def arrays(self, result: Any) -> list[Any]:
        """A result's columns as numpy arrays, in the select list's order: numbers as
        numbers or Decimals, dates as datetime64 or date objects, text as objects, NULL as
        None or NaN/NaT (the profile converts each column by its role). A few thousand rows
        need no DataFrame."""
        frame = self.frame(result)
        return [frame.iloc[:, j].to_numpy() for j in range(frame.shape[1])]

    def close(self) -> None:
        pass


class DuckDBBackend(Backend):
    dialect = "duckdb"

    def __init__(self, request: Request, spec: DataSpec | None, timeout: float) -> None:
        import duckdb
        from sqlglot import exp

        self.timeout = timeout
        self.request = request
        self.shown = request.shown
        self._exp = exp
        try:
            if request.plan is not None:
                from kpicli.readers.csv_duckdb import load_sql

                self.con = duckdb.connect(":memory:")
                try:
                    self.con.execute(load_sql(request.plan))
                except duckdb.Error as exc:
                    self.con.close()
                    raise CsvFallback(
                        f"DuckDB cannot read every line of {request.shown} as kpicli does "
                        f"({_first_line(exc)[:160]})"
                    ) from None
            elif request.url is not None:
                path = urlsplit(request.url).path
                # duckdb:///relative.duckdb and duckdb:////abs/path.duckdb (as SQLAlchemy)
                file = path[1:] if path.startswith("/") else path
                if not file or not Path(file).is_file():
                    raise DataError(f"{self.shown}: no DuckDB database file at {file or '(none)'!r}")
                self.con = duckdb.connect(file, read_only=True)
            else:
                self.con = duckdb.connect(":memory:")
        except duckdb.Error as exc:
            raise DataError(f"{self.shown}: DuckDB cannot open it: {_first_line(exc)}") from None
        self.files = (
            [str(p) for _, p in request.files] if request.files and request.plan is None else None
        )
        self.spec = spec
        self._columns: dict[str, str] | None = None

    def relation(self, with_order: bool = True) -> Any:
        exp = self._exp
        if self.files is not None:
            args: list[Any] = [exp.Array(expressions=[exp.Literal.string(f) for f in self.files])]
            if with_order:
                args += [
                    exp.EQ(this=exp.column("file_row_number"), expression=exp.true()),
                    exp.EQ(this=exp.column("filename"), expression=exp.Literal.string("kpicli_file")),
                ]
            return exp.Anonymous(this="read_parquet", expressions=args)
        if self.request.plan is not None:
            from kpicli.readers.csv_duckdb import TABLE

            return exp.Table(this=exp.to_identifier(TABLE))
        return _table_or_query(self.spec, self.shown)

    def columns(self) -> dict[str, str]:
        if self._columns is None:
            from sqlglot import exp

            q = exp.select(exp.Star()).from_(_aliased(self.relation(with_order=False))).limit(0)
            rel = self._execute(q.sql(dialect="duckdb"))
            self._columns = {d[0]: _duck_kind(str(d[1])) for d in rel.description}
        return self._columns

    def order_expression(self) -> Any:
        exp = self._exp
        if self.files is not None:
            if len(self.files) == 1:
                return exp.column("file_row_number", quoted=True)
            return exp.Tuple(
                expressions=[exp.column("kpicli_file", quoted=True),
                             exp.column("file_row_number", quoted=True)]
            )
        if self.request.plan is not None or (
            self.spec is not None and self.spec.table and not self.spec.query
        ):
            return exp.column("rowid")
        return None

    def _execute(self, sql: str) -> Any:
        import duckdb

        # DuckDB has no statement timeout: interrupt the query from a timer.
        timer = threading.Timer(self.timeout, self.con.interrupt)
        timer.start()
        try:
            return self.con.execute(sql)
        except duckdb.InterruptException:
            raise query_timeout(self.shown, self.timeout, "reduce the data") from None
        except duckdb.CatalogException as exc:
            raise DataError(f"{self.shown}: {_first_line(exc)}; check data.table / data.query") from None
        except duckdb.IOException as exc:
            raise DataError(f"{self.shown}: cannot read it: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            raise DataError(f"{self.shown}: DuckDB refused the query: {_first_line(exc)}") from None
        finally:
            timer.cancel()

    def run(self, sql: str) -> Any:
        return self._execute(sql)

    def frame(self, result: Any) -> Any:
        return result.df()

    def arrays(self, result: Any) -> list[Any]:
        import numpy as np

        names = [d[0] for d in result.description]
        got = result.fetchnumpy()  # masked arrays where a column has NULLs
        out = []
        for name in names:
            a = got[name]
            if isinstance(a, np.ma.MaskedArray):
                mask = np.ma.getmaskarray(a)
                kind = a.dtype.kind
                if kind == "f":
                    a = a.data.copy()
                    a[mask] = np.nan
                elif kind == "M":
                    a = a.data.copy()
                    a[mask] = np.datetime64("NaT")
                else:  # integers stay Python ints (a label 1 is "1", not "1.0")
                    a = a.data.astype(object)
                    a[mask] = None
            out.append(a)
        return out

    def close(self) -> None:
        self.con.close()


class PostgresBackend(Backend):
    dialect = "postgres"

    def __init__(self, request: Request, spec: DataSpec | None, timeout: float) -> None:
        try:
            import psycopg
        except ImportError:
            raise KpiError(
                f"{request.shown}: reading PostgreSQL needs psycopg: pip install \"kpicli[sql]\""
            ) from None
        from sqlglot import exp

        self._exp = exp
        self.shown = request.shown
        self.spec = spec
        self.timeout = timeout
        assert request.url is not None
        url = request.url
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        options = (
            f"-c default_transaction_read_only=on -c statement_timeout={int(timeout * 1000)} "
            "-c TimeZone=UTC"
        )
        try:
            self.con = psycopg.connect(
                url, options=options, connect_timeout=min(30, max(1, int(timeout))),
                autocommit=True,
            )
        except psycopg.OperationalError as exc:
            raise DataError(
                f"cannot connect to {self.shown}: {_clean(exc, url)}; check the host and port, "
                "and the credentials in PGPASSWORD, ~/.pgpass or PGSERVICE"
            ) from None
        except psycopg.Error as exc:
            raise DataError(f"cannot connect to {self.shown}: {_clean(exc, url)}") from None
        self._url = url
        self._columns: dict[str, str] | None = None
        self._raise_work_mem()

    def _raise_work_mem(self) -> None:
        """At least 64 MB of work_mem for this session (never lowered): the duplicate check
        groups by every KPI/day/dimension entry, and with the default 4 MB that grouping
        spills to disk (3.2 s instead of 1.9 s at 5M rows)."""
        import psycopg

        try:
            with self.con.cursor() as cur:
                cur.execute(
                    "SELECT setting::bigint FROM pg_settings WHERE name = 'work_mem'"
                )
                got = cur.fetchone()
                if got is not None and int(got[0]) < WORK_MEM_KB:
                    cur.execute(f"SET work_mem = '{WORK_MEM_KB}kB'")
        except psycopg.Error:
            pass  # a server that refuses it still answers the queries, only slower

    def relation(self) -> Any:
        return _table_or_query(self.spec, self.shown)

    def order_expression(self) -> Any:
        if self.spec is not None and self.spec.table and not self.spec.query:
            return self._exp.column("ctid")
        return None

    def _execute(self, sql: str) -> Any:
        import psycopg
        from psycopg import errors as E

        cur = self.con.cursor()
        try:
            cur.execute(sql.encode("utf-8"))  # type: ignore[arg-type]
            return cur
        except E.QueryCanceled:
            raise query_timeout(self.shown, self.timeout, "add an index on the date column") from None
        except E.InsufficientPrivilege as exc:
            raise DataError(
                f"{self.shown}: permission denied ({_clean(exc, self._url)}); grant SELECT on "
                "the table to this user"
            ) from None
        except (E.UndefinedTable, E.UndefinedColumn, E.InvalidSchemaName) as exc:
            raise DataError(
                f"{self.shown}: {_clean(exc, self._url)}; check data.table / data.query"
            ) from None
        except psycopg.OperationalError as exc:
            raise DataError(f"{self.shown}: the connection failed: {_clean(exc, self._url)}") from None
        except psycopg.Error as exc:
            raise DataError(f"{self.shown}: the database refused the query: {_clean(exc, self._url)}") from None

    def columns(self) -> dict[str, str]:
        if self._columns is None:
            exp = self._exp
            q = exp.select(exp.Star()).from_(_aliased(self.relation())).limit(0)
            cur = self._execute(q.sql(dialect="postgres"))
            self._columns = {d.name: _PG_KINDS.get(d.type_code, "other") for d in cur.description}
        return self._columns

    def run(self, sql: str) -> Any:
        return self._execute(sql)

    def frame(self, result: Any) -> Any:
        import pandas as pd

        rows = result.fetchall()
        return pd.DataFrame(rows, columns=[d.name for d in result.description])

    def arrays(self, result: Any) -> list[Any]:
        import numpy as np

        rows = result.fetchall()
        width = len(result.description)
        columns = list(zip(*rows, strict=True)) if rows else [()] * width
        out = []
        for d, values in zip(result.description, columns, strict=True):
            if d.type_code == 1082:  # date: days since 1970 (numpy reads date objects slowly)
                nat = np.iinfo(np.int64).min  # NaT's integer
                days = np.fromiter(
                    (nat if v is None else v.toordinal() - 719163 for v in values),
                    dtype=np.int64, count=len(values),
                )
                out.append(days.astype("datetime64[D]"))
            elif d.type_code in (700, 701):  # float4, float8: None is NaN
                out.append(np.array(values, dtype="float64").reshape(len(values)))
            else:
                a = np.empty(len(values), dtype=object)
                a[:] = values
                out.append(a)
        return out

    def close(self) -> None:
        self.con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _clean(exc: BaseException, url: str) -> str:
    """A driver's message, first line, with the URL (if it quotes it) redacted."""
    text = _first_line(exc).replace(url, redact(url))
    return re.sub(r"password=\S+", "password=…", text)


def _table_or_query(spec: DataSpec | None, shown: str, read: str = "postgres") -> Any:
    from sqlglot import exp

    if spec is not None and spec.query:
        return exp.Subquery(this=_checked_query(spec.query, shown, read))
    if spec is None or not spec.table:
        raise KpiError(f"{shown}: name the data with data.table (schema.table) or data.query")
    parts = spec.table.split(".")
    if len(parts) > 3 or not all(parts):
        raise KpiError(f"data.table {spec.table!r}: write table, schema.table or db.schema.table")
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    kw: dict[str, Any] = {"this": ids[-1]}
    if len(ids) >= 2:
        kw["db"] = ids[-2]
    if len(ids) == 3:
        kw["catalog"] = ids[0]
    return exp.Table(**kw)


def _checked_query(text: str, shown: str, read: str = "postgres") -> Any:
    """data.query as a sqlglot tree: one SELECT (no DML/DDL, no second statement), read in
    ``read``'s dialect (Spark's backquoted names ...)."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(text, read=read) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise KpiError(f"data.query cannot be read: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise KpiError(f"data.query must be one SELECT statement, not {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise KpiError("data.query must be a SELECT (read-only)")
    for node in tree.walk():
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop,
                             exp.Alter, exp.Merge, exp.Command, exp.Into, exp.Copy)):
            raise KpiError("data.query must be a read-only SELECT (no INSERT, UPDATE, INTO ...)")
    return tree


def _aliased(source: Any) -> Any:
    from sqlglot import exp

    if isinstance(source, exp.Subquery):
        return exp.Subquery(this=source.this, alias=exp.TableAlias(this=exp.to_identifier("kpicli_source")))
    return source


# ------------------------------------------------------------------------------ the Table


def _open(request: Request, spec: DataSpec | None) -> Backend:
    timeout = spec.timeout if spec is not None else 300.0
    if request.url is None:
        return DuckDBBackend(request, spec, timeout)
    problem = url_problem(request.url)
    if problem:
        raise KpiError(problem)
    scheme = _SCHEMES[urlsplit(request.url).scheme.lower()]
    if scheme == "duckdb":
        if not duckdb_available():
            raise KpiError(f"{request.shown}: reading DuckDB needs pip install \"kpicli[sql]\"")
        return DuckDBBackend(request, spec, timeout)
    if scheme == "spark":
        if __import__("importlib.util").util.find_spec("sqlglot") is None:
            raise KpiError(f"{request.shown}: reading Spark needs pip install \"kpicli[spark]\"")
        from kpicli.readers.spark_source import SparkBackend

        source = _table_or_query(spec, request.shown, read="spark")
        is_table = spec is not None and bool(spec.table) and not spec.query
        return SparkBackend(request.url, request.shown, source, is_table, timeout)
    if not duckdb_available() and __import__("importlib.util").util.find_spec("sqlglot") is None:
        raise KpiError(f"{request.shown}: reading PostgreSQL needs pip install \"kpicli[sql]\"")
    return PostgresBackend(request, spec, timeout)


def _import_engine(request: Request) -> None:
    """Import the query compiler, the engine's SQL dialect and its driver with the garbage
    collector paused: the imports make about a hundred thousand long-lived objects and no
    garbage, which some fifty collections would traverse again and again (about 10 ms). In a
    process that freezes what it imported (the ``kpi`` command, kpicli.entry), these are
    frozen too; a missing module is left to the code that uses it to report."""
    import contextlib
    import gc
    import importlib

    scheme = urlsplit(request.url).scheme.lower() if request.url is not None else "duckdb"
    dialect = _SCHEMES.get(scheme, "duckdb")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for name in ("sqlglot", "kpicli.engine.sqlplan", f"sqlglot.dialects.{dialect}",
                     {"duckdb": "duckdb", "postgres": "psycopg"}.get(dialect)):
            if name is not None:
                with contextlib.suppress(ImportError):
                    importlib.import_module(name)
    finally:
        if gc.get_freeze_count():
            gc.freeze()
        if enabled:
            gc.enable()


def _pick(columns: dict[str, str], wanted: str | None, what: str, shown: str) -> str | None:
    if wanted is None:
        return None
    if wanted in columns:
        return wanted
    folded = {c.casefold(): c for c in columns}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    import difflib

    close = difflib.get_close_matches(wanted, list(columns), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else f"; columns: {', '.join(columns)}"
    raise DataError(f"{shown}: {what} {wanted!r} is not a column{hint}")


def read_sql_table(
    request: Request,
    spec: DataSpec | None,
    model: KPIFile,
    today: dt.date | None = None,
    locate: Any = None,
) -> Table:
    """A Table whose aggregation runs in the engine (see the module doc).

    ``locate(kpi_index, field)`` gives a KPI's ``file:line:col`` for refusals."""
    _import_engine(request)
    import pandas as pd
    from sqlglot import exp

    from kpicli.engine import sqlplan

    if request.csv and request.plan is None:
        from kpicli.readers.csv_duckdb import plan_csv

        assert request.files
        got = plan_csv(request.files, spec, model)
        if isinstance(got, str):
            raise CsvFallback(got)
        request.plan = got
        spec = got.spec
    backend = _open(request, spec)
    try:
        columns = backend.columns()
        shown = backend.shown
        date_col = _pick(columns, spec.date_column if spec else None, "data.date_column", shown)
        if date_col is None:
            dates = [c for c, k in columns.items() if k in ("date", "timestamp")]
            if not dates:
                raise DataError(
                    f"{shown}: no date or timestamp column; name it with data.date_column (cast "
                    "text dates in data.query)"
                )
            date_col = dates[0]
        elif columns[date_col] not in ("date", "timestamp"):
            raise DataError(
                f"{shown}: data.date_column {date_col!r} is {columns[date_col]}, not a date or "
                "timestamp; cast it in data.query (or read the data with data.engine: pandas)"
            )
        layout = spec.layout if spec is not None and spec.layout else "records"
        if layout in ("wide",):
            layout = "records"
        if layout == "kpi_rows":
            raise DataError(f"{shown}: layout kpi_rows is for spreadsheets; use records or long")
        kpi_col = value_col = target_col = None
        if layout == "long":
            kpi_col = _pick(columns, spec.kpi_column if spec else None, "data.kpi_column", shown)
            value_col = _pick(columns, spec.value_column if spec else None, "data.value_column", shown)
            if kpi_col is None or value_col is None:
                raise DataError(
                    f"{shown}: a long table needs data.kpi_column and data.value_column"
                )
            target_col = _pick(columns, spec.target_column if spec else None, "data.target_column", shown)
        ordered_source = None
        if request.files is not None and request.plan is None:  # read_parquet(...): file
            # row numbers only when needed
            assert isinstance(backend, DuckDBBackend)
            rel0 = exp.Alias(this=backend.relation(with_order=False),
                             alias=exp.to_identifier("kpicli_source"))
            ordered_source = exp.Alias(this=backend.relation(with_order=True),
                                       alias=exp.to_identifier("kpicli_source"))
        else:
            rel0 = _aliased(backend.relation())
        rel_source = rel0
        today = today or dt.date.today()
        # One scan instead of two: when every KPI's aggregate decomposes (sum, mean, min, max,
        # count), the profiling query also computes per-day partial aggregates, from which
        # the aggregation is computed without reading the rows again. Not with a breakdown
        # (--by or the KPI file's: the report groups by its members, which the days do not
        # carry, so the partials would be computed for nothing), nor on engines where the
        # second scan is cheaper (sqlplan.DIALECTS).
        partials = None
        one_scan = not model.breakdown and request.by is None
        if sqlplan.DIALECTS[backend.dialect].one_scan and one_scan:
            partials = sqlplan.entry_partials(
                model,
                sqlplan.Relation(
                    source=rel_source, columns=columns,  # type: ignore[arg-type]
                    date_column=date_col, layout=layout,  # type: ignore[arg-type]
                    kpi_column=kpi_col, value_column=value_col, target_column=target_col,
                ),
                backend.dialect,
            )
        prof = _profile(backend, rel0, columns, date_col, kpi_col, value_col, target_col, today,
                        partials)
        partial_columns = {key: f"p{j}" for j, key in enumerate(partials or {})}
        lo, hi, n_rows, n_future = prof.lo, prof.hi, prof.rows, prof.future
        from kpicli.readers.numbers import refine_day_grain

        # The distinct days (a few thousand at most) decide the data's grain exactly as the
        # file readers do (first-of-month dates are months ...), and its last day.
        day_values = prof.days
        native = refine_day_grain(day_values)
        last_day = day_values.max() if len(day_values) else None
        labels = prof.labels
        order = backend.order_expression()  # type: ignore[attr-defined]
        rel = sqlplan.Relation(
            source=rel_source,
            columns=columns,  # type: ignore[arg-type]
            date_column=date_col,
            layout=layout,  # type: ignore[arg-type]
            kpi_column=kpi_col,
            value_column=value_col,
            target_column=target_col,
            labels=labels,
            row_order=order,
            ordered_source=ordered_source,
        )
        # CSV: what kpicli's reading of the first lines named (header line, date order ...).
        findings: list[Finding] = list(request.plan.findings) if request.plan is not None else []
        if n_future and int(n_future) > 0:
            findings.append(
                finding(
                    "D604",
                    f"{int(n_future)} rows are dated after today ({today.isoformat()}), "
                    f"up to {pd.Timestamp(hi).date().isoformat()}; check the date column",
                    location=f"{shown} (column {date_col!r})",
                    context={
                        "future_rows": int(n_future),
                        "latest_date": pd.Timestamp(hi).date().isoformat(),
                        "today": today.isoformat(),
                        "column": date_col,
                    },
                )
            )
        if prof.dup_groups:
            dims = len(columns) - len({date_col, kpi_col, value_col, target_col} - {None}) > 0
            findings.append(
                finding(
                    "D602",
                    f"{prof.dup_groups} KPI/period{'/group' if dims else ''} entries "
                    f"appear more than once ({prof.dup_rows} rows); the duplicates are "
                    "aggregated together — remove the extra rows or add the column that tells "
                    "them apart",
                    location=shown,
                    context={
                        "duplicate_groups": int(prof.dup_groups),
                        "duplicate_rows": int(prof.dup_rows),
                    },
                )
            )
        findings.append(
            finding(
                "D600",
                f"{shown}: row-level checks that need every row in memory (non-numeric "
                "cells D601, impossible values D606) are not run when the data is aggregated "
                f"in {sqlplan.DIALECTS[backend.dialect].name}",
                location=shown,
                context={
                    "engine": sqlplan.DIALECTS[backend.dialect].name,
                    "skipped": ["D601", "D606"],
                },
            )
        )
    except BaseException:
        backend.close()
        raise

    def pushdown(model: KPIFile, grain: str, by: str | None) -> Any:
        try:
            plan = sqlplan.compile_plan(model, rel, backend.dialect, grain, by)
        except sqlplan.Untranslatable as exc:
            where = locate(exc.kpi_index, exc.field) if locate is not None else None
            raise KpiError(f"{where}: {exc.message}" if where else exc.message) from None
        results = []
        for qi, q in enumerate(plan.queries):
            got = (
                sqlplan.from_partials(plan, q, prof.entries, partial_columns)
                if qi == 0 and prof.entries is not None
                else None
            )
            results.append(got if got is not None else backend.frame(backend.run(q.sql)))
        try:
            return sqlplan.assemble(model, plan, results, (lo, hi))
        except ValueError as exc:
            raise KpiError(f"{shown}: {exc}") from None

    frame = _schema_frame(columns, date_col, layout, kpi_col, value_col, target_col, labels,
                          last_day)
    engine_name = sqlplan.DIALECTS[backend.dialect].name
    return Table(
        frame=frame,
        layout=layout,  # type: ignore[arg-type]
        sources=[Source(path=shown, kind="csv", layout=layout)],
        findings=findings,
        value_label=value_col,
        target_label=target_col,
        date_label=date_col,
        native_grain=native,
        pushdown=pushdown,
        notes=[
            *(request.plan.notes if request.plan is not None else []),
            f"{shown}: {int(n_rows):,} rows aggregated in {engine_name} (date column "
            f"{date_col!r})",
        ],
    )


@dataclass
class _Profile:
    """What one pass over the source tells before the aggregation: rows, first and last
    day, rows dated after today, the distinct days, and (long tables) the distinct KPI
    labels and the duplicate KPI/day/dimension entries (D602)."""

    rows: int
    lo: Any  # the first and last day (what the periods and D604 need), None without rows
    hi: Any
    future: int
    days: Any  # numpy datetime64[ns] array of the distinct days
    labels: tuple[str, ...] = ()
    dup_groups: int = 0
    dup_rows: int = 0
    # With partial aggregates: the rows per day (and label) as arrays: day, label, n, p0 ...
    entries: dict[str, Any] | None = None


def _days(values: Any) -> Any:
    """A column of days (dates, or none) as datetime64[ns], NaT for none."""
    import numpy as np

    if values.dtype.kind == "M":
        inside = (values >= np.datetime64("1677-09-22")) & (values <= np.datetime64("2262-04-11"))
        if (inside | np.isnat(values)).all():  # else pandas says the day is out of range
            return values.astype("datetime64[ns]")
    import pandas as pd

    return pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")


def _numbers(values: Any) -> Any:
    """A column of numbers (or Decimals, or none) as float64, NaN for none."""
    import numpy as np

    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype("float64", copy=False)
    try:  # ints, floats, Decimals and None: float() of each, as pandas converts them
        return np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        import pandas as pd

        return pd.to_numeric(values).astype("float64")


def _profile(
    backend: Backend, rel0: Any, columns: dict[str, str], date_col: str, kpi_col: str | None,
    value_col: str | None, target_col: str | None, today: dt.date,
    partials: dict[tuple[str, str, str], Any] | None = None,
) -> _Profile:
    """One query instead of four scans (stats, days, labels, duplicates): per day (and for a
    long table per KPI/day/dimension entry first), then GROUPING SETS over days and labels.

    A long table's duplicates are entries of the same label, day and every other column but
    the value and target, as on the pandas path (whose dates are days).

    The first and last day are the smallest and largest day: the periods and the D604
    message need no more (a MIN/MAX of a timestamp column per entry cost a fifth of the
    query on DuckDB).

    ``partials`` (sqlplan.entry_partials: key -> aggregate over rows) are computed per entry
    too and returned per day (and label) as ``entries`` (arrays p0, p1 ... in the order of
    ``partials``), from which the aggregation is computed without a second scan; a long
    table's query then groups by day and label (the days and labels are summed up here).
    The rows come back as arrays (``Backend.arrays``): a few thousand of them need no
    DataFrame."""
    import numpy as np
    from sqlglot import exp

    from kpicli.engine.sqlplan import sql_type

    d = exp.column(date_col, quoted=True)
    day = exp.Cast(this=d, to=sql_type("date"))
    count = exp.Count(this=exp.Star())
    n, day_ref = exp.column("kpicli_n"), exp.column("kpicli_day")
    parts = list((partials or {}).values())
    p_names = [f"p{j}" for j in range(len(parts))]
    combine = {"sum": exp.Sum, "count": exp.Sum, "min": exp.Min, "max": exp.Max}
    bases = [key[0] for key in (partials or {})]
    entries = None
    labels: tuple[str, ...] = ()
    dup_groups = dup_rows = 0
    if kpi_col is None:
        q = (
            exp.select(day.as_("kpicli_day"), count.as_("n"),
                       *[e.as_(name) for name, e in zip(p_names, parts, strict=True)])
            .from_(rel0)
            .group_by(day.copy())
        )
        got = dict(zip(["day", "n", *p_names], _fetch(backend, q), strict=True))
        days, counts = _days(got["day"]), _numbers(got["n"])
        if parts:
            entries = {"day": days, "n": counts, **{k: _numbers(got[k]) for k in p_names}}
    else:
        kc = exp.column(kpi_col, quoted=True)
        dims = [c for c in columns if c not in (date_col, kpi_col, value_col, target_col)]
        inner = (
            exp.select(day.as_("kpicli_day"), kc.as_("kpicli_label"), count.as_("kpicli_n"),
                       *[e.as_(f"kpicli_p{j}") for j, e in enumerate(parts)])
            .from_(rel0)
            .group_by(day.copy(), kc.copy(), *[exp.column(c, quoted=True) for c in dims])
            .subquery("kpicli_entries")
        )
        dup = exp.Where(this=exp.GT(this=n.copy(), expression=exp.Literal.number(1)))
        label_ref = exp.column("kpicli_label")
        stats = [
            exp.Sum(this=n.copy()).as_("n"),
            exp.Filter(this=count.copy(), expression=dup).as_("dg"),
            exp.Filter(this=exp.Sum(this=n.copy()), expression=dup.copy()).as_("dr"),
        ]
        if parts:
            q = exp.select(
                day_ref, label_ref, *stats,
                *[combine[b](this=exp.column(f"kpicli_p{j}")).as_(name)
                  for j, (b, name) in enumerate(zip(bases, p_names, strict=True))],
            ).from_(inner).group_by(day_ref.copy(), label_ref.copy())
            names = ["day", "label", "n", "dg", "dr", *p_names]
        else:
            q = exp.select(
                day_ref, label_ref,
                exp.Anonymous(this="GROUPING", expressions=[day_ref.copy()]).as_("g"), *stats,
            ).from_(inner)
            q.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=[
                exp.Tuple(expressions=[day_ref.copy()]), exp.Tuple(expressions=[label_ref.copy()]),
            ])]))
            names = ["day", "label", "g", "n", "dg", "dr"]
        got = dict(zip(names, _fetch(backend, q), strict=True))
        label = got["label"]
        if parts:
            per_day = np.ones(len(label), dtype=bool)
            names_seen = label
        else:
            grouping = _numbers(got["g"])
            per_day = grouping == 0
            names_seen = label[grouping == 1]
        seen = {x for x in set(names_seen.tolist()) if x is not None and x == x}  # not NaN
        labels = tuple(sorted({str(x) for x in seen}))
        days, counts = _days(got["day"][per_day]), _numbers(got["n"][per_day])
        dup_groups = int(np.nansum(_numbers(got["dg"][per_day])))
        dup_rows = int(np.nansum(_numbers(got["dr"][per_day])))
        if parts:
            entries = {"day": days, "label": label, "n": counts,
                       **{k: _numbers(got[k]) for k in p_names}}
    counts = np.nan_to_num(counts).astype(np.int64)
    present = ~np.isnat(days)
    future = int(counts[present & (days > np.datetime64(today.isoformat(), "ns"))].sum())
    distinct = np.unique(days[present])
    import pandas as pd

    lo = hi = None
    if len(distinct):
        lo, hi = pd.Timestamp(distinct[0]), pd.Timestamp(distinct[-1])
    elif len(days):
        lo = hi = pd.NaT  # rows, none of them dated
    return _Profile(
        rows=int(counts.sum()), lo=lo, hi=hi, future=future, days=distinct,
        labels=labels, dup_groups=dup_groups, dup_rows=dup_rows, entries=entries,
    )


def _fetch(backend: Backend, q: Any) -> list[Any]:
    return backend.arrays(backend.run(q.sql(dialect=backend.dialect)))


def _schema_frame(
    columns: dict[str, str], date_col: str, layout: str, kpi_col: str | None,
    value_col: str | None, target_col: str | None, labels: tuple[str, ...], last_day: Any,
) -> Any:
    """The Table frame of a database source: typed columns and no measurements. Its rows
    carry only the data's last day (what the complete-period check reads) and, for a long
    table, one row per distinct KPI label (so the definition rules see the labels)."""
    import numpy as np
    import pandas as pd

    n = max(len(labels), 1) if layout == "long" else 1
    if last_day is None:
        n = 0
    dtypes = {"int": "float64", "float": "float64", "decimal": "float64", "text": "str",
              "date": "datetime64[ns]", "timestamp": "datetime64[ns]", "bool": "boolean",
              "other": "object"}
    data: dict[str, Any] = {DATE: pd.Series(np.full(n, last_day, "datetime64[ns]"))}
    if layout == "long":
        data[KPI] = pd.Series((list(labels) or [None])[:n], dtype="str")
        data[VALUE] = pd.Series(np.full(n, np.nan))
        if target_col:
            data[TARGET] = pd.Series(np.full(n, np.nan))
    for c, k in columns.items():
        if c in (date_col, kpi_col, value_col, target_col):
            continue
        data[c] = pd.Series([None] * n, dtype=dtypes.get(k, "object"))
    frame = pd.DataFrame(data)
    frame["_src"] = np.zeros(n, dtype=np.int64)
    frame["_row"] = np.zeros(n, dtype=np.int64)
    return frame
