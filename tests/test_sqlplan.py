"""The SQL compiler: per-dialect snapshots, one test per filter construct, refusals, and the
naive-NOT translation kept as a demonstration that it changes values."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.sql_helpers import actuals_of, assert_same, kpi_file, need_duckdb

need_duckdb()

from sqlglot import exp  # noqa: E402

from kpicli.engine import sqlplan  # noqa: E402
from kpicli.engine.expr import parse_expression  # noqa: E402
from kpicli.model.kpifile import KPIFile  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "sql"
COLUMNS = {"day": "timestamp", "channel": "text", "score": "float", "handled": "int",
           "flag": "bool", "team": "text"}


def model(kpis: list[dict], period: str = "month", fys: int = 1) -> KPIFile:
    return KPIFile.model_validate(
        {"version": 1, "title": "t", "period": period, "fiscal_year_start": fys, "kpis": kpis}
    )


def relation(**kw) -> sqlplan.Relation:
    return sqlplan.Relation(
        source=exp.Table(this=exp.to_identifier("facts", quoted=True),
                         db=exp.to_identifier("public", quoted=True)),
        columns=dict(COLUMNS), date_column="day", **kw,
    )


SNAPSHOT_KPIS = [
    {"id": "handled", "name": "Handled tickets", "measure": {"aggregate": "sum",
     "where": "channel == 'email' and not (score > 3)"}},
    {"id": "score", "name": "Mean score", "measure": {"aggregate": "mean",
     "where": "channel in ['a', None] or contains(channel, \"it's\")"}},
    {"id": "n", "name": "Channels", "measure": {"column": "channel", "aggregate": "nunique"}},
    {"id": "p90", "name": "Score p90", "measure": {"column": "score", "aggregate": "p90"}},
    {"id": "firsts", "name": "First score", "measure": {"column": "score", "aggregate": "first",
     "where": "handled / score > 1"}},
]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "snowflake"])
def test_snapshot_per_dialect(dialect: str) -> None:
    """The SQL each engine gets (snowflake: compile-only, unverified; spark is verified by
    tests/test_sql_spark.py)."""
    rel = relation(row_order=exp.column("ctid" if dialect == "postgres" else "rowid"))
    plan = sqlplan.compile_plan(model(SNAPSHOT_KPIS, "quarter", 4), rel, dialect, by="team")
    text = ";\n\n".join(q.sql for q in plan.queries) + ";\n"
    path = GOLDEN / f"{dialect}.sql"
    if os.environ.get("KPI_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("dialect", ["trino", "bigquery"])
def test_exact_percentiles_refused_where_the_engine_has_none(dialect: str) -> None:
    with pytest.raises(sqlplan.Untranslatable) as err:
        sqlplan.compile_plan(model(SNAPSHOT_KPIS[3:4]), relation(), dialect)
    assert err.value.kpi_id == "p90"
    assert err.value.field == ("measure", "aggregate")
    assert "no exact percentile" in err.value.message


@pytest.mark.parametrize("dialect", ["trino", "bigquery"])
def test_compile_only_dialects_render_the_other_aggregates(dialect: str) -> None:
    kpis = [k for k in SNAPSHOT_KPIS if k["id"] in ("handled", "score", "n")]
    plan = sqlplan.compile_plan(model(kpis, "week"), relation(), dialect, by="team")
    assert len(plan.queries) == 1
    assert "GROUPING SETS" in plan.queries[0].sql
    if dialect == "bigquery":
        assert "ISOWEEK" in plan.queries[0].sql  # BigQuery weeks start on Sunday otherwise


@pytest.mark.parametrize(
    ("where", "word"),
    [
        ("round(score) > 2", "round()"),
        ("handled // 2 > 1", "'//'"),
        ("handled % 2 == 1", "'%'"),
    ],
)
def test_untranslatable_filters_are_refused_with_the_kpi_and_field(where: str, word: str) -> None:
    kpis = [{"id": "ok", "name": "Fine KPI"},
            {"id": "bad", "name": "Bad KPI", "measure": {"column": "score", "where": where}}]
    with pytest.raises(sqlplan.Untranslatable) as err:
        sqlplan.compile_plan(model(kpis), relation(), "duckdb")
    assert err.value.kpi_id == "bad"
    assert err.value.kpi_index == 1
    assert err.value.field == ("measure", "where")
    assert word in err.value.message


def test_text_measured_with_a_numeric_aggregate_is_refused() -> None:
    kpis = [{"id": "c", "name": "Channel mean", "measure": {"column": "channel",
             "aggregate": "mean"}}]
    with pytest.raises(sqlplan.Untranslatable) as err:
        sqlplan.compile_plan(model(kpis), relation(), "duckdb")
    assert err.value.field == ("measure", "column")


def test_refusal_reaches_the_user_at_the_kpi_file_line_and_column(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kpicli.cli import app

    data = tmp_path / "rows.parquet"
    pd.DataFrame({"day": pd.to_datetime(["2026-01-05", "2026-02-03"]), "score": [1.5, 2.5]}
                 ).to_parquet(data)
    path = kpi_file(tmp_path, "  - id: s\n    name: Rounded score\n    measure:\n"
                    "      column: score\n      where: \"round(score) > 1\"\n")
    res = CliRunner().invoke(app, ["report", str(path), "--data", str(data)])
    assert res.exit_code == 2
    assert f"{path}:10:14:" in res.stderr  # the where: value
    assert "round()" in res.stderr
    assert res.stderr.count("kpi: error:") == 1


def test_identifiers_and_literals_are_quoted_not_spliced() -> None:
    cols = {"day": "date", 'we"ird': "float", "who": "text"}
    rel = sqlplan.Relation(source=exp.Table(this=exp.to_identifier("t", quoted=True)),
                           columns=cols, date_column="day")
    kpis = [{"id": "x", "name": "Weird", "measure": {"column": 'we"ird',
             "where": "who == \"x'); drop table t; --\""}}]
    sql = sqlplan.compile_plan(model(kpis), rel, "postgres").queries[0].sql
    assert '"we""ird"' in sql
    assert "'x''); drop table t; --'" in sql


# ----------------------------------------------------------- one test per filter construct

FILTER_CASES = [
    "channel == 'email'", "channel != 'email'", "not (score > 3)", "score >= 2 and score < 5",
    "score > 3 or handled == 0", "1 < score < 4", "channel in ['email', 'phone']",
    "channel not in ['email']", "channel in ['email', None]", "score is None",
    "score is not None", "isnull(channel)", "notnull(score)", "contains(channel, 'MA')",
    "startswith(channel, 'PH')", "endswith(channel, 'l ')", "lower(channel) == 'mail '",
    "upper(channel) == 'EMAIL'", "len(channel) > 4", "handled / (score - 3) > 1",
    "abs(handled - 5) <= 2", "sqrt(handled - 3) > 1", "log(score) > 0.5",
    "log(handled, 2) >= 1", "handled ** 2 > 20", "(score - 2) ** 0.5 > 1",
    "(handled - 4) ** -1 > 0.2", "min(score, handled) > 2", "max(score, handled) < 6",
    "-handled < -3", "flag", "not flag", "flag == 1", "score", "_date >= '2026-02-01'",
    "score == 'x'", "channel != 3", "`team` == 'A'", "True", "False",
]


def small_table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    return pd.DataFrame(
        {
            "day": pd.Timestamp("2026-01-01 10:00") + pd.to_timedelta(rng.integers(0, 90, n), "D"),
            "channel": rng.choice(np.array(["email", "phone", None, "Mail ", "chat"], dtype=object), n),
            "handled": rng.integers(0, 10, n),
            "score": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 6, n).astype(float)),
            "flag": rng.random(n) < 0.5,
            "team": rng.choice(np.array(["A", "B", None], dtype=object), n),
        }
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "rows.parquet"
    small_table().to_parquet(path)
    return path


@pytest.mark.parametrize("where", FILTER_CASES)
def test_filter_construct_matches_pandas(tmp_path: Path, small: Path, where: str) -> None:
    kpis = "".join(
        f"  - id: {how}\n    name: {how} of handled\n    measure: {{column: handled, "
        f"aggregate: {how}, where: {json.dumps(where)}}}\n"
        for how in ("sum", "count", "mean")
    )
    path = kpi_file(tmp_path, kpis)
    expected = actuals_of(path, [str(small)], engine="pandas")
    got = actuals_of(path, [str(small)], engine="duckdb")
    assert_same(expected, got, where)
    assert not expected.problems


# -------------------------------------------------------------------------- naive NOT


def _naive(cond: exp.Expression) -> exp.Expression:
    """The translation kpicli does NOT use: comparisons without COALESCE(..., FALSE)."""
    return cond.transform(lambda n: n.this if isinstance(n, exp.Coalesce) else n)


def test_naive_not_translation_gives_different_values(small: Path) -> None:
    """``not (score > 3)`` must include rows with no score (kpicli's two-valued logic). The
    naive SQL ``NOT (score > 3)`` is NULL there and drops them: this test fails the day the
    naive form would give kpicli's numbers, i.e. it keeps the difference visible."""
    import duckdb

    where = "not (score > 3)"
    good = sqlplan.FilterTranslator(parse_expression(where), COLUMNS, {c: c for c in COLUMNS},
                                    sqlplan.DIALECTS["duckdb"]).condition()
    naive = _naive(good)
    assert "COALESCE" not in naive.sql("duckdb")
    src = exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(small))])

    def count(cond: exp.Expression) -> int:
        q = exp.select(exp.Count(this=exp.Star())).from_(src).where(cond)
        return duckdb.connect().execute(q.sql("duckdb")).fetchone()[0]

    frame = small_table()
    expected = int((~(frame["score"] > 3)).sum())  # pandas: NaN > 3 is False, so not -> True
    assert count(good) == expected
    assert count(naive) != expected
    assert count(naive) == expected - int(frame["score"].isna().sum())
