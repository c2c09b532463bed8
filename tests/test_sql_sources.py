"""Database and Parquet sources: URLs, credentials, redaction, errors, validate, DuckDB files.

PostgreSQL tests need KPI_TEST_PG (.ci/postgres.sh); they skip without it and fail when CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpicli.model.dataurl import redact, url_problem
from tests.helpers import invoke
from tests.sql_helpers import actuals_of, assert_same, kpi_file, load_pg, need_duckdb

need_duckdb()

KPIS = """  - id: handled
    name: Tickets handled per month
    unit: count
    measure: {column: handled, aggregate: sum}
    target: 10
"""




def frame() -> pd.DataFrame:
    return pd.DataFrame({"day": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-03"]),
                         "handled": [3.0, 4.0, 5.0], "team": ["A", "B", "A"]})


# ---------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ann:s3cret@db.internal:5432/wh?sslmode=require&password=x",
         "postgresql://ann@db.internal:5432/wh"),
        ("postgresql://db/wh", "postgresql://db/wh"),
        ("duckdb:///data/facts.duckdb", "duckdb:///data/facts.duckdb"),
    ],
)
def test_redact_keeps_no_password_and_no_parameters(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    "url",
    ["postgresql://ann:pw@db/wh", "postgresql://ann@db/wh?password=pw",
     "postgresql://db/wh?sslpassword=k", "postgresql://db/wh?token=t"],
)
def test_url_with_a_secret_is_a_problem(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None and "PGPASSWORD" in problem
    assert "pw" not in problem.replace("PGPASSWORD", "") and "=k" not in problem


def test_url_without_secret_is_fine() -> None:
    assert url_problem("postgresql://ann@db:5432/wh?sslmode=require") is None
    assert "unsupported database" in (url_problem("mysql://db/x") or "")


def test_report_refuses_a_url_with_a_password_and_never_prints_it(tmp_path: Path) -> None:
    path = kpi_file(tmp_path, KPIS, data="  table: facts")
    res = invoke("report", str(path), "--data", "postgresql://ann:hunter2@127.0.0.1:1/wh")
    assert res.exit_code == 2
    assert "hunter2" not in res.output
    assert res.stderr.count("kpi: error:") == 1
    assert "postgresql://ann@127.0.0.1:1/wh" in res.stderr


def test_validate_reports_m207_for_a_password_in_data_url(tmp_path: Path) -> None:
    path = kpi_file(tmp_path, KPIS,
                    data="  url: postgresql://ann:hunter2@127.0.0.1:1/wh\n  table: facts")
    res = invoke("validate", str(path), "--format", "json")
    assert res.exit_code == 1
    assert "M207" in res.stdout and "M206" not in res.stdout  # no connection attempted
    assert "hunter2" not in res.output
    import json

    found = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "M207"]
    assert len(found) == 1 and found[0]["location"].startswith(f"{path}:6:")  # the url: value


def test_url_env_names_the_url(tmp_path: Path) -> None:
    db = tmp_path / "facts.duckdb"
    import duckdb

    con = duckdb.connect(str(db))
    df = frame()  # noqa: F841  (read by DuckDB's replacement scan)
    con.execute("create table facts as select * from df")
    con.close()
    path = kpi_file(tmp_path, KPIS, data="  url_env: KPI_TEST_URL\n  table: facts")
    res = invoke("report", str(path), "--format", "json", env={"KPI_TEST_URL": f"duckdb:///{db}"})
    assert res.exit_code == 0, res.output
    assert '"actual": 7.0' in res.stdout  # 2026-01 (2026-02 is in progress)
    assert 'in progress' in res.stdout
    res = invoke("report", str(path), env={"KPI_TEST_URL": ""})
    assert res.exit_code == 2 and "KPI_TEST_URL" in res.stderr


# ---------------------------------------------------------------------- DuckDB files


def test_duckdb_table_and_query_match_pandas(tmp_path: Path) -> None:
    import duckdb

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"day": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, 800), "D"),
                       "handled": rng.integers(0, 9, 800).astype("float64"),
                       "team": rng.choice(["A", "B"], 800)})
    db = tmp_path / "facts.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table facts as select * from df")
    con.close()
    df.to_parquet(tmp_path / "facts.parquet")
    kpis = KPIS + ("  - id: last\n    name: Last handled value\n    measure: {column: handled, "
                   "aggregate: last, where: \"team == 'A'\"}\n")
    expected = actuals_of(kpi_file(tmp_path, kpis), [str(tmp_path / "facts.parquet")], engine="pandas", by="team")
    (tmp_path / "t").mkdir()
    got = actuals_of(kpi_file(tmp_path / "t", kpis, data="  table: main.facts"),
                     [f"duckdb:///{db}"], engine="sql", by="team")
    assert_same(expected, got, "duckdb table")
    (tmp_path / "q").mkdir()
    got = actuals_of(kpi_file(tmp_path / "q", KPIS, data="  query: select day, handled, team from facts"),
                     [f"duckdb:///{db}"], engine="sql")
    exp_sum = actuals_of(kpi_file(tmp_path, KPIS), [str(tmp_path / "facts.parquet")], engine="pandas")
    assert_same(exp_sum, got, "duckdb query")


@pytest.mark.parametrize(
    "query",
    ["delete from facts", "select 1; select 2", "create table x as select 1",
     "select * into y from facts", "not sql at all ((("],
)
def test_data_query_must_be_one_read_only_select(tmp_path: Path, query: str) -> None:
    import duckdb

    db = tmp_path / "facts.duckdb"
    duckdb.connect(str(db)).close()
    path = kpi_file(tmp_path, KPIS, data=f"  query: {query!r}")
    res = invoke("report", str(path), "--data", f"duckdb:///{db}")
    assert res.exit_code == 2
    assert res.stderr.count("kpi: error:") == 1
    assert "data.query" in res.stderr


def test_a_duckdb_query_past_data_timeout_is_one_error(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "facts.duckdb"
    con = duckdb.connect(str(db))
    df = frame()  # noqa: F841  (read by DuckDB's replacement scan)
    con.execute("create table facts as select * from df")
    con.close()
    slow = "select day, handled from facts, range(100000000000) as r(i) where i * 0 = 1"
    path = kpi_file(tmp_path, KPIS, data=f"  query: {slow!r}\n  timeout: 0.2")
    res = invoke("report", str(path), "--data", f"duckdb:///{db}")
    assert res.exit_code == 2, res.output
    assert res.stderr.count("kpi: error:") == 1
    assert "the query ran longer than data.timeout (0.2 s); raise data.timeout or reduce the " \
        "data" in res.stderr, res.stderr


def test_missing_table_and_missing_date_are_one_error_naming_the_source(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "facts.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table nodate as select 1 as handled")
    con.close()
    for table, word in (("nosuch", "data.table"), ("nodate", "date")):
        path = kpi_file(tmp_path, KPIS, data=f"  table: {table}")
        res = invoke("report", str(path), "--data", f"duckdb:///{db}")
        assert res.exit_code == 2, res.output
        assert res.stderr.count("kpi: error:") == 1
        assert f"duckdb:///{db}" in res.stderr and word in res.stderr


def test_parquet_engine_choice(tmp_path: Path) -> None:
    data = tmp_path / "rows.parquet"
    frame().to_parquet(data)
    for engine, pushed in (("auto", True), ("duckdb", True), ("pandas", False)):
        (tmp_path / engine).mkdir()
        path = kpi_file(tmp_path / engine, KPIS, data=f"  engine: {engine}")
        from kpicli import api

        table = api.read_table(api.load_kpi_file(path), [str(data)])
        assert (table.pushdown is not None) is pushed, engine


def test_pandas_first_last_follow_the_date_not_the_row_order(tmp_path: Path) -> None:
    """first/last: by date, ties in row order — also on the pandas path (CSV rows unsorted)."""
    (tmp_path / "rows.csv").write_text(
        "day,score\n2026-01-20,1\n2026-01-05,2\n2026-01-05,3\n2026-01-31,\n2026-01-10,4\n",
        encoding="utf-8",
    )
    kpis = ("  - id: f\n    name: First score\n    measure: {column: score, aggregate: first}\n"
            "  - id: l\n    name: Last score\n    measure: {column: score, aggregate: last}\n")
    got = actuals_of(kpi_file(tmp_path, kpis), [str(tmp_path / "rows.csv")], engine="pandas")
    assert got.values["f"].tolist() == [2.0]  # 2026-01-05, first of the tie in row order
    assert got.values["l"].tolist() == [1.0]  # 2026-01-20 (the 31st has no value)


# -------------------------------------------------------------------------- PostgreSQL


def pg() -> tuple[str, str]:
    url = os.environ.get("KPI_TEST_PG")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("KPI_TEST_PG is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL server (set KPI_TEST_PG; .ci/postgres.sh starts one)")
    return url, os.environ["KPI_TEST_PG_ADMIN"]


def test_postgres_errors_are_one_line_naming_the_redacted_source(tmp_path: Path) -> None:
    url, admin = pg()
    load_pg(admin, "err_rows", frame())
    import psycopg

    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS secret_rows")
        con.execute("CREATE TABLE secret_rows AS SELECT * FROM err_rows")
        con.execute("REVOKE ALL ON secret_rows FROM kpi_reader")
    port = url.rsplit(":", 1)[1].split("/")[0]
    cases = [
        ("  table: err_rows", url, {"PGPASSWORD": "wrong"}, "PGPASSWORD"),
        ("  table: err_rows", url.replace(f":{port}/", ":1/"), None, "cannot connect"),
        ("  table: no_such_table", url, None, "data.table"),
        ("  query: select nope from err_rows", url, None, "data.query"),
        ("  table: secret_rows", url, None, "grant SELECT"),
        ("  query: select * from err_rows where pg_sleep(3) is not null\n  timeout: 1",
         url, None, "data.timeout"),
    ]
    for spec, data, env, word in cases:
        path = kpi_file(tmp_path, KPIS, data=spec)
        res = invoke("report", str(path), "--data", data, env=env)
        assert res.exit_code == 2, (spec, res.output)
        assert res.stderr.count("kpi: error:") == 1, res.stderr
        assert "Traceback" not in res.output
        assert redact(data) in res.stderr, res.stderr
        assert word in res.stderr, (spec, res.stderr)
        assert os.environ.get("PGPASSWORD", "\0") not in res.output


def test_postgres_connection_is_read_only(tmp_path: Path) -> None:
    url, admin = pg()
    load_pg(admin, "ro_rows", frame())
    path = kpi_file(tmp_path, KPIS, data="  table: ro_rows")
    from kpicli import api

    table = api.read_table(api.load_kpi_file(path), [url])
    assert table.pushdown is not None
    import psycopg

    # The same options kpicli connects with: a write is refused by the server itself.
    with psycopg.connect(admin, options="-c default_transaction_read_only=on",
                         autocommit=True) as con, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        con.execute("CREATE TABLE should_fail (x int)")


def test_validate_with_a_postgres_url_runs_the_data_rules(tmp_path: Path) -> None:
    url, admin = pg()
    load_pg(admin, "val_rows", frame())
    kpis = KPIS + ("  - id: typo\n    name: Column with a typo in it\n"
                   "    measure: {column: handeld, aggregate: sum}\n")
    path = kpi_file(tmp_path, kpis, data="  table: val_rows")
    res = invoke("validate", str(path), "--data", url, "--format", "json")
    assert res.exit_code == 1, res.output
    assert "M203" in res.stdout and "handled" in res.stdout  # did-you-mean from the table


def test_file_reports_import_no_sql_driver() -> None:
    """A report on a CSV/workbook never imports sqlglot, duckdb, psycopg or pyspark."""
    import subprocess
    import sys

    example = Path(__file__).resolve().parent.parent / "examples" / "support" / "kpis.yaml"
    code = (
        "import sys\n"
        "from kpicli.cli import app\n"
        "try:\n"
        f"    app(['report', {str(example)!r}, '--format', 'json'], prog_name='kpi', "
        "standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "sql = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlglot', 'duckdb', 'psycopg', "
        "'pyspark', 'py4j'))\n"
        "sys.stderr.write('SQL=' + repr(sql))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert '"kpis"' in proc.stdout, proc.stderr[-2000:]
    assert proc.stderr.strip().endswith("SQL=[]"), proc.stderr[-2000:]
