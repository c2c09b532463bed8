"""One Spark session for the whole test run (local mode, lean), started on first use.

Starting a JVM is the expensive part of the Spark tests (seconds on an idle machine, far more
on a loaded one), so every Spark test shares the session of the fixture ``spark``; its start-up
time is printed in pytest's summary. Without pyspark or Java the tests skip with the reason,
and fail under CI (tests/external.py), where .ci/run installs both."""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.external import missing

STARTUP: dict[str, float] = {}
COMPARED: dict[str, int] = {}  # conformance case -> values compared (printed in the summary)

# What kpicli's own lean session sets, plus local[2] and two shuffle partitions for tiny data.
LEAN = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.log.level": "ERROR",
    "spark.driver.memory": "1g",
    # Short runs: the C1 compiler warms up in a fraction of C2's time, and one GC thread
    # leaves the second core to the tests.
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        missing("pyspark is not installed (pip install 'kpicli[spark]')")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        missing("no Java runtime for Spark (java on PATH or JAVA_HOME)")
    from pyspark.sql import SparkSession

    start = time.perf_counter()
    scratch = tmp_path_factory.mktemp("spark-warehouse")  # not ./spark-warehouse in the repo
    builder = SparkSession.builder.master("local[2]").appName("kpicli-tests")
    builder = builder.config("spark.sql.warehouse.dir", str(scratch))
    for key, value in LEAN.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3
        session = builder.getOrCreate()
        session.sql("SELECT 1").collect()  # the first job starts the executor threads
    STARTUP["seconds"] = time.perf_counter() - start
    STARTUP["version"] = session.version  # type: ignore[assignment]
    try:
        yield session
    finally:
        session.stop()


def typed_parquet(frame: Any, path: Path) -> Path:
    """``frame`` as Parquet with its text columns typed as text even when every value is
    missing: pyarrow writes such a column with Parquet's null type, which Spark reads as
    integers and DuckDB as null (a table in Spark always has a declared type)."""
    text = [c for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) == "str"]
    frame.astype({c: "string" for c in text}).to_parquet(path)
    return path


def view(spark: Any, name: str, parquet: Path) -> None:
    """Register a Parquet file as the session's temporary view ``name`` (the table a KPI
    file names with ``data.table``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        spark.read.parquet(str(parquet)).createOrReplaceTempView(name)
