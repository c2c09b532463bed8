"""Spark SQL, verified: the conformance suite on a local-mode Spark session.

The same KPI files over the same rows through the pandas path (a Parquet file) and through
Spark (that file as a view of the session, named with ``data.table``, read with the URL
``spark://local``): values, counts and targets equal (1e-9 relative) for every aggregate ×
the filter constructs × week, month, fiscal quarter and fiscal year × with and without
``--by``, a long table with targets, Hypothesis-generated tables and KPIs, and
``kpi report --format json`` from a CSV equal field by field to the report from Spark.

One session serves the whole run (tests/spark_helpers.py). Spark plans a query with hundreds of
aggregates slowly (tens of seconds for the DuckDB suite's 500 KPIs on a loaded machine), so the
46 filter constructs run once (month, by member) with the aggregates whose SQL differs around a
filter (sum, count, nunique, last, p90: FILTER, the non-empty condition of first/last, the
percentile query), and every grain × ``--by`` case runs every aggregate with a few filters.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.helpers import invoke
from tests.spark_helpers import COMPARED, LEAN, typed_parquet, view
from tests.sql_helpers import (
    actuals_of,
    assert_same,
    json_report,
    kpi_file,
    need_duckdb,
    pandas_and_database,
    team_rows,
)
from tests.test_sql_conformance import (
    FILTERS,
    GRAINS,
    LONG,
    LONG_SPEC,
    kpis_yaml,
    long_table,
    pairs_for,
    random_case,
    table,
)

URL = "spark://local"
SOME_FILTERS = [None, "channel != 'email'", "not (score > 3)", "channel in ['email', None]",
                "handled / (score - 3) > 1", "flag", "_date >= '2025-06-01'",
                # quotes and backslashes reach Spark as literals (Spark's '\\' escapes)
                "channel in ['it\\'s', 'a\\\\b', 'email'] or contains(channel, '\\\\')"]


FILTER_AGGREGATES = ["sum", "count", "nunique", "last", "p90"]


@pytest.fixture(scope="module")
def rows(spark, tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_duckdb()  # sqlglot (the compiler); DuckDB is not used here
    tmp = tmp_path_factory.mktemp("spark")
    data = tmp / "rows.parquet"
    table().to_parquet(data)
    view(spark, "conf_rows", data)
    return data


def compare(tmp: Path, data: Path, kpis: str, grain: str, fys: int, by: str | None,
            label: str) -> int:
    expected, got = pandas_and_database(tmp, kpis, data, URL, "conf_rows",
                                        period=grain, fys=fys, by=by)
    n = assert_same(expected, got, label)
    COMPARED[label] = n
    return n


def test_spark_every_filter_construct_matches_pandas(rows: Path, tmp_path: Path) -> None:
    """All 46 filter constructs × the aggregates built differently around a filter, by month
    and member (the widest query)."""
    n = compare(tmp_path, rows, kpis_yaml(pairs_for(FILTERS, FILTER_AGGREGATES)), "month", 1,
                "team name", "spark month by=team name, all filters")
    assert n > 20_000


@pytest.mark.parametrize(("grain", "fys"), GRAINS)
@pytest.mark.parametrize("by", [None, "team name"])
def test_spark_grains_and_breakdown_match_pandas(rows: Path, tmp_path: Path, grain: str,
                                                 fys: int, by: str | None) -> None:
    n = compare(tmp_path, rows, kpis_yaml(pairs_for(SOME_FILTERS)), grain, fys, by,
                f"spark {grain} by={by}")
    assert n > 300


@pytest.mark.parametrize("by", [None, "region"])
def test_spark_long_table_with_targets_matches_pandas(spark, tmp_path: Path,
                                                      by: str | None) -> None:
    need_duckdb()
    data = tmp_path / "long.parquet"
    long_table().to_parquet(data)
    view(spark, "conf_long", data)
    expected, got = pandas_and_database(tmp_path, LONG, data, URL, "conf_long",
                                        spec=LONG_SPEC, by=by)
    assert not expected.targets.empty
    COMPARED[f"spark long by={by}"] = assert_same(expected, got, f"spark long by={by}")


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=random_case())
def test_spark_random_tables_and_kpis_match_pandas(spark, tmp_path_factory, case) -> None:
    need_duckdb()
    frame, pairs, grain, fys, by = case
    tmp = tmp_path_factory.mktemp("hypspark")
    data = typed_parquet(frame, tmp / "rows.parquet")
    view(spark, "hyp_rows", data)
    expected, got = pandas_and_database(tmp, kpis_yaml(pairs), data, URL, "hyp_rows",
                                        period=grain, fys=fys, by=by)
    n = assert_same(expected, got, f"{pairs} {grain} {by}")
    COMPARED["spark random"] = COMPARED.get("spark random", 0) + n


def test_report_json_from_csv_and_from_spark_equal_field_by_field(spark, tmp_path: Path) -> None:
    """The same rows as a CSV file (pandas path) and as a Spark table: `kpi report --format
    json` gives the same document, field by field (apart from the source names and the note
    naming the engine)."""
    need_duckdb()
    frame = team_rows()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    frame.to_parquet(tmp_path / "rows.parquet")
    view(spark, "json_rows", tmp_path / "rows.parquet")
    kpis = kpis_yaml([("sum", "team != 'West'", "handled"), ("mean", None, "score"),
                      ("p90", "handled > 3", "score"), ("last", None, "score"),
                      ("first", "team == 'North'", "handled"), ("count", None, "team")])
    csv_path = kpi_file(tmp_path, kpis)
    (tmp_path / "spark").mkdir()
    spark_path = kpi_file(tmp_path / "spark", kpis, data="  table: json_rows")
    docs = [json_report(path, data, "--by", "team", drop=("sources", "notes"))
            for path, data in ((csv_path, tmp_path / "rows.csv"), (spark_path, URL))]
    assert docs[0]["kpis"] and docs[0] == docs[1]


def test_spark_missing_table_is_one_error_line_naming_the_source(spark, tmp_path: Path) -> None:
    need_duckdb()
    path = kpi_file(tmp_path, kpis_yaml([("sum", None, "handled")]),
                    data="  table: no_such_table")
    res = invoke("report", str(path), "--data", URL)
    assert res.exit_code == 2
    lines = [x for x in res.stderr.splitlines() if x.startswith("kpi: error:")]
    assert len(lines) == 1 and "spark://local" in lines[0] and "data.table" in lines[0]
    assert "Traceback" not in res.output


def test_spark_data_timeout_interrupts_a_long_query(spark, tmp_path: Path) -> None:
    """data.timeout cancels the report's Spark jobs: one `kpi: error:` line saying so (exit
    2), in about the timeout, and no job of it left running in the session."""
    import time

    need_duckdb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        # About 10^11 rows generated on the fly: minutes of work for local[2].
        spark.sql(
            "SELECT date_add(DATE'2025-01-01', CAST(id % 300 AS INT)) AS day, "
            "CAST(id % 7 AS DOUBLE) AS v FROM range(0, 100000000000)"
        ).createOrReplaceTempView("endless_rows")
    path = kpi_file(tmp_path, kpis_yaml([("sum", None, "v")]),
                    data="  table: endless_rows\n  timeout: 1.5")
    start = time.perf_counter()
    res = invoke("report", str(path), "--data", URL)
    took = time.perf_counter() - start
    assert res.exit_code == 2, res.output
    lines = [x for x in res.stderr.splitlines() if x.startswith("kpi: error:")]
    assert len(lines) == 1 and "spark://local" in lines[0], res.stderr
    assert "data.timeout (1.5 s)" in lines[0]
    assert "Traceback" not in res.output
    assert took < 60
    tracker = spark.sparkContext.statusTracker()
    deadline = time.perf_counter() + 30
    while tracker.getActiveJobsIds() and time.perf_counter() < deadline:
        time.sleep(0.2)
    assert not tracker.getActiveJobsIds()  # cancelled, not left running


def test_spark_query_is_used_as_a_subquery(spark, rows: Path, tmp_path: Path) -> None:
    """data.query in Spark's dialect (backquoted names) is one read-only SELECT."""
    kpis = kpis_yaml([("sum", None, "handled"), ("mean", "channel == 'email'", "score")])
    spec = "  query: \"select `day`, handled, score, channel from conf_rows where handled > 2\""
    got = actuals_of(kpi_file(tmp_path, kpis, data=spec), [URL], engine="sql")
    frame = table()
    frame = frame[frame["handled"] > 2]
    data = tmp_path / "sub.parquet"
    frame.to_parquet(data)
    (tmp_path / "pd").mkdir()
    expected = actuals_of(kpi_file(tmp_path / "pd", kpis), [str(data)], engine="pandas")
    assert assert_same(expected, got, "query") > 10


# ------------------------------------------------------------ URLs and errors (no session)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("spark://local", "spark://local"),
        ("spark://spark-master.internal:7077", "spark://spark-master.internal:7077"),
        ("sc://connect.internal:15002/;use_ssl=true;token=s3cret",
         "sc://connect.internal:15002/"),
        ("sc://ann:pw@connect.internal:15002", "sc://ann@connect.internal:15002"),
    ],
)
def test_spark_urls_are_shown_without_parameters_or_secrets(url: str, shown: str) -> None:
    from kpicli.model.dataurl import redact

    assert redact(url) == shown


@pytest.mark.parametrize(
    ("url", "how"),
    [
        ("spark://local", ("master", "local[*]")),
        ("spark://LOCAL", ("master", "local[*]")),
        ("spark://spark-master:7077", ("master", "spark://spark-master:7077")),
        ("sc://connect:15002/;use_ssl=true", ("remote", "sc://connect:15002/;use_ssl=true")),
    ],
)
def test_spark_url_forms(url: str, how: tuple[str, str]) -> None:
    from kpicli.model.dataurl import spark_master, url_problem

    assert url_problem(url) is None
    assert spark_master(url) == how


@pytest.mark.parametrize(
    ("url", "word"),
    [
        ("sc://connect:15002/;token=s3cret", "SPARK_CONNECT_AUTHENTICATE_TOKEN"),
        ("sc://ann:s3cret@connect:15002", "SPARK_CONNECT_AUTHENTICATE_TOKEN"),
        ("spark://spark-master", "port"),
        ("spark:///x", "spark://local"),
    ],
)
def test_spark_url_problems(url: str, word: str) -> None:
    from kpicli.model.dataurl import url_problem

    problem = url_problem(url)
    assert problem is not None and word in problem
    assert "s3cret" not in problem


def test_spark_connect_token_in_the_url_is_refused_and_never_printed(tmp_path: Path) -> None:
    path = kpi_file(tmp_path, kpis_yaml([("sum", None, "handled")]), data="  table: t")
    res = invoke("report", path, "--data", "sc://connect.internal:15002/;token=s3cret")
    assert res.exit_code == 2
    assert "s3cret" not in res.output
    assert "SPARK_CONNECT_AUTHENTICATE_TOKEN" in res.stderr
    val = invoke("validate", path, "--data", "sc://connect.internal:15002/;token=s3cret")
    assert "s3cret" not in val.output


@pytest.mark.parametrize(
    ("type_name", "kind"),
    [("integer", "int"), ("long", "int"), ("double", "float"), ("decimal(10,2)", "decimal"),
     ("string", "text"), ("varchar", "text"), ("date", "date"), ("timestamp", "timestamp"),
     ("timestamp_ntz", "timestamp"), ("boolean", "bool"), ("void", "text"), ("array", "other")],
)
def test_spark_types_map_to_the_compiler_kinds(type_name: str, kind: str) -> None:
    from kpicli.readers.spark_source import spark_kind

    assert spark_kind(type_name) == kind


def test_spark_without_java_is_one_error_line(tmp_path: Path) -> None:
    """No Java runtime: one `kpi: error:` line saying what to install (no JVM is started)."""
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("pyspark") is None:
        from tests.external import missing

        missing("pyspark is not installed (pip install 'kpicli[spark]')")
    path = kpi_file(tmp_path, kpis_yaml([("sum", None, "handled")]), data="  table: t")
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    env["PATH"] = str(Path(sys.executable).parent)  # python and kpi, no java
    proc = subprocess.run(
        [sys.executable, "-m", "kpicli", "report", str(path), "--data", URL],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 2, proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("kpi: error:")]
    assert len(errors) == 1 and "Java 17" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_validate_with_a_spark_url_runs_the_data_rules(rows: Path, tmp_path: Path) -> None:
    kpis = kpis_yaml([("sum", None, "handled"), ("sum", None, "handeld")])
    path = kpi_file(tmp_path, kpis, data="  table: conf_rows")
    res = invoke("validate", str(path), "--data", URL, "--format", "json")
    assert res.exit_code == 1, res.output
    found = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "M203"]
    assert len(found) == 1 and "handled" in found[0]["message"]  # did-you-mean from the table


def test_kpi_starts_its_own_lean_local_session(spark, rows: Path, tmp_path: Path) -> None:
    """`kpi report --data spark://local` in a fresh process: kpicli starts (and ends) its own
    session, stdout is the JSON report only, and no spark-warehouse/ is left in the working
    directory. The numbers equal the pandas path's."""
    import os
    import subprocess
    import sys

    kpis = kpis_yaml([("sum", "channel == 'email'", "handled"), ("mean", None, "score")])
    spec = f"  query: \"select * from parquet.`{rows}`\""
    path = kpi_file(tmp_path, kpis, data=spec)
    # The JVM flags of the tests' own session (tests/spark_helpers.py LEAN), through the java
    # launcher's JDK_JAVA_OPTIONS (it notes them on stderr): C1 only and one GC thread halve
    # the CPU time of this JVM's start (16 -> 8 s here); what kpicli does is the same.
    proc = subprocess.run(
        [sys.executable, "-m", "kpicli", "report", str(path), "--data", URL, "--format", "json"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore",
             "JDK_JAVA_OPTIONS": LEAN["spark.driver.extraJavaOptions"]},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert not (tmp_path / "spark-warehouse").exists()
    (tmp_path / "pd").mkdir()
    pandas_kpis = kpi_file(tmp_path / "pd", kpis, data="  engine: pandas")
    res = invoke("report", pandas_kpis, "--data", rows, "--format", "json")
    expected = json.loads(res.stdout)
    for doc in (got, expected):
        doc["findings"] = [f for f in doc["findings"] if f["rule"] != "D600"]
        doc.pop("sources", None)
        doc.pop("notes", None)
    assert got["kpis"] and got == expected
