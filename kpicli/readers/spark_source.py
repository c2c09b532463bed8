"""Spark SQL as an engine: a session, the table's columns, and the compiled queries' rows.

Contract. :class:`SparkBackend` is the :mod:`kpicli.readers.sql_source` backend (which
imports it; it imports nothing of the readers) for the URLs
``spark://local`` (a local-mode session in this process), ``spark://host:7077`` (a standalone
cluster's master URL, Spark's own spelling) and ``sc://host:15002`` (a Spark Connect server).
``data.table`` names a table or view of the session's catalog; ``data.query`` is one read-only
SELECT in Spark's dialect, used as a subquery. The aggregation runs in Spark; only the
aggregated rows come back (``collect``, no pandas conversion inside pyspark).

* pyspark is imported here only, when a Spark URL is read (``pip install "kpicli[spark]"``);
  ``kpi --help`` and file reports never import it.
* A session already active in this process (a notebook's, or the test suite's) is used as
  it is and left running; a session kpicli starts is lean (no UI, no console progress, few
  shuffle partitions in local mode, times in UTC), becomes the process's active session
  (later reads in the same process reuse it) and ends with the process.
* Credentials never come from the URL (kpicli.model.dataurl refuses them): Spark Connect
  reads its token from SPARK_CONNECT_AUTHENTICATE_TOKEN, a cluster from its own configuration.
* TIMESTAMP (with the session's time zone) comes back as the session's wall-clock time, the
  time Spark's own date functions see, so periods and the date range agree.
* ``data.timeout`` cancels the report's Spark jobs (by job group on a classic session, by tag on
  Spark Connect), again until the query ends; every failure is one DataError
  naming the redacted source.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import warnings
from typing import Any

from kpicli.errors import DataError, KpiError, query_timeout
from kpicli.model.dataurl import spark_master

__all__ = ["SparkBackend", "spark_kind"]

# Settings of a session kpicli starts itself: start-up and small aggregations, not a UI.
_LEAN = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.log.level": "ERROR",
}


def spark_kind(type_name: str) -> str:
    """The compiler's column kind of a Spark data type (``DataType.typeName()``)."""
    t = type_name.lower()
    if t in ("byte", "short", "integer", "long"):
        return "int"
    if t in ("float", "double"):
        return "float"
    if t.startswith("decimal"):
        return "decimal"
    if t in ("string", "varchar", "char"):
        return "text"
    if t == "date":
        return "date"
    if t in ("timestamp", "timestamp_ntz"):
        return "timestamp"
    if t == "boolean":
        return "bool"
    if t == "void":
        # A column with no value at all: filters like the empty column it is (cf. DuckDB).
        return "text"
    return "other"


class SparkBackend:
    """A backend of kpicli.readers.sql_source (same methods as its ``Backend``), which hands
    it the checked URL, its redacted form, the FROM item (``data.table`` or the checked
    ``data.query``, see ``_table_or_query``) and whether that is a table (row order)."""

    dialect = "spark"

    def __init__(
        self, url: str, shown: str, source: Any, is_table: bool, timeout: float
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise KpiError(
                f"{shown}: reading Spark needs pyspark: pip install \"kpicli[spark]\""
            ) from None
        from sqlglot import exp

        self._exp = exp
        self.shown = shown
        self._source = source
        self._is_table = is_table
        self.timeout = timeout
        self._columns: dict[str, str] | None = None
        self._owned = False
        kind, target = spark_master(url)
        with warnings.catch_warnings():
            # pyspark warns about pandas versions on paths kpicli does not use (toPandas)
            warnings.simplefilter("ignore", FutureWarning)
            self._start(SparkSession, kind, target)

    def _start(self, SparkSession: Any, kind: str, target: str) -> None:
        try:
            if kind == "remote":
                self.spark = SparkSession.builder.remote(target).getOrCreate()
                self._owned = True
                return
            active = SparkSession.getActiveSession()
            if active is not None:
                self.spark = active
                return
            if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
                raise DataError(
                    f"cannot start Spark for {self.shown}: no Java found; install a Java 17 "
                    "or newer runtime (java on PATH or JAVA_HOME)"
                )
            builder = SparkSession.builder.master(target).appName("kpicli")
            conf = dict(_LEAN)
            if target.startswith("local"):
                conf["spark.sql.shuffle.partitions"] = str(max(2, os.cpu_count() or 2))
                if not _spark_defaults():
                    # Spark creates its warehouse folder in the working directory on start;
                    # kpi reads, it leaves no spark-warehouse/ behind (a local session has no
                    # saved tables without a catalog configured in spark-defaults.conf).
                    scratch = tempfile.mkdtemp(prefix="kpicli-spark-")
                    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
                    conf["spark.sql.warehouse.dir"] = scratch
            for key, value in conf.items():
                builder = builder.config(key, value)
            self.spark = builder.getOrCreate()
            self._owned = True
        except ImportError as exc:  # Spark Connect's own extra (grpcio ...)
            raise KpiError(
                f"{self.shown}: Spark Connect needs pip install \"pyspark[connect]\" "
                f"({_first_line(exc)})"
            ) from None
        except DataError:
            raise
        except Exception as exc:
            raise DataError(
                f"cannot start Spark for {self.shown}: {_first_line(exc)}; check the URL, that "
                "the cluster or Spark Connect server is reachable, and the Java runtime"
            ) from None

    def relation(self) -> Any:
        return self._source.copy()

    def order_expression(self) -> Any:
        # Ties of first/last in the order Spark scans the table (file order within a file);
        # a query has no row order, as on the other engines.
        if self._is_table:
            return self._exp.Anonymous(this="MONOTONICALLY_INCREASING_ID", expressions=[])
        return None

    def _frame(self, sql: str) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                return self.spark.sql(sql)
        except Exception as exc:
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> DataError:
        name = type(exc).__name__
        text = _first_line(exc)
        if name == "AnalysisException" or "TABLE_OR_VIEW_NOT_FOUND" in text:
            return DataError(f"{self.shown}: {text}; check data.table / data.query")
        if "PERMISSION" in text.upper() or "ACCESS_DENIED" in text.upper():
            return DataError(
                f"{self.shown}: permission denied ({text}); grant SELECT on the table to this user"
            )
        return DataError(f"{self.shown}: Spark refused the query: {text}")

    def columns(self) -> dict[str, str]:
        if self._columns is None:
            exp = self._exp
            source = self.relation()
            if isinstance(source, exp.Subquery):
                source = exp.Subquery(this=source.this, alias=exp.TableAlias(
                    this=exp.to_identifier("kpicli_source")))
            q = exp.select(exp.Star()).from_(source).limit(0)
            frame = self._frame(q.sql(dialect="spark"))
            self._columns = {
                f.name: spark_kind(f.dataType.typeName()) for f in frame.schema.fields
            }
        return self._columns

    def run(self, sql: str) -> Any:
        import pandas as pd

        frame = self._frame(sql)
        names = list(frame.columns)
        stamped = {f.name for f in frame.schema.fields if f.dataType.typeName() == "timestamp"}
        if stamped:
            from pyspark.sql import functions as F

            frame = frame.select(
                *[
                    F.col(_quoted(c)).cast("timestamp_ntz").alias(c) if c in stamped
                    else F.col(_quoted(c))
                    for c in names
                ]
            )
        tag = f"kpicli-{id(self)}"
        timed_out = threading.Event()
        finished = threading.Event()
        # A classic session (local mode, a cluster) cancels by job group: there a session's
        # tag does not reach the jobs of a query. Spark Connect has no SparkContext and
        # cancels by tag.
        try:
            sc = self.spark.sparkContext
        except Exception:
            sc = None

        def interrupt() -> None:
            if finished.wait(self.timeout):
                return
            timed_out.set()
            # Again until the query ends: a job submitted after a cancellation (the planning
            # of a large query can take seconds) would otherwise run to its end.
            while True:
                with contextlib.suppress(Exception):  # the query may have just finished
                    self.spark.interruptTag(tag)
                if sc is not None:
                    with contextlib.suppress(Exception):
                        sc.cancelJobGroup(tag)
                if finished.wait(0.5):
                    return

        watcher = threading.Thread(target=interrupt, name="kpicli-timeout", daemon=True)
        try:
            self.spark.addTag(tag)
            if sc is not None:
                sc.setJobGroup(tag, "kpicli report", interruptOnCancel=True)
            watcher.start()
            with warnings.catch_warnings():
                # pyspark warns about the pandas version on import paths it does not use here
                warnings.simplefilter("ignore", FutureWarning)
                rows = frame.collect()
        except Exception as exc:
            if timed_out.is_set():
                raise query_timeout(self.shown, self.timeout, "reduce the data") from None
            raise self._error(exc) from None
        finally:
            finished.set()
            with contextlib.suppress(Exception):  # the session may be gone after a failure
                self.spark.removeTag(tag)
            if sc is not None:
                with contextlib.suppress(Exception):  # this thread's later jobs: no group
                    for key in ("spark.jobGroup.id", "spark.job.description",
                                "spark.job.interruptOnCancel"):
                        sc.setLocalProperty(key, None)
        return pd.DataFrame([tuple(r) for r in rows], columns=names)

    def frame(self, result: Any) -> Any:
        return result  # run() collected the rows into a DataFrame already

    def arrays(self, result: Any) -> list[Any]:
        return [result.iloc[:, j].to_numpy() for j in range(result.shape[1])]

    def close(self) -> None:
        if self._owned:
            self.spark.stop()


def _spark_defaults() -> bool:
    """Whether the user configures Spark (SPARK_CONF_DIR or $SPARK_HOME/conf/spark-defaults.conf)."""
    if os.environ.get("SPARK_CONF_DIR"):
        return True
    home = os.environ.get("SPARK_HOME")
    return bool(home) and os.path.isfile(os.path.join(home, "conf", "spark-defaults.conf"))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
