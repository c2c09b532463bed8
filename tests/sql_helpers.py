"""Shared by the SQL tests: write a table, read it through pandas and through an engine, and
compare the aggregated Actuals value by value (1e-9 relative), or two JSON reports field by
field (:func:`json_report`)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpicli import api
from kpicli.engine.aggregate import compute_actuals
from tests.helpers import invoke, kpis_yaml, write_kpis

REL = 1e-9


def kpi_file(tmp: Path, kpis: str, *, period: str = "month", fys: int = 1, data: str = "") -> Path:
    settings = f"fiscal_year_start: {fys}\n" + (f"data:\n{data}\n" if data else "")
    return write_kpis(tmp, kpis_yaml(kpis, title="Conformance", period=period, settings=settings))


# The pandas path's Actuals by everything they depend on: the KPI file (path and text), the
# data files (path, size, modification time), grain and by. The conformance suites compare
# the same KPI file over the same Parquet file with DuckDB and then with PostgreSQL; the pandas
# side, the expensive half of each pair (hundreds of KPIs), is computed once for both.
_PANDAS: dict[tuple[object, ...], object] = {}


def _pandas_key(kpis_path: Path, data: list[str], grain: str | None, by: str | None):
    files = []
    for item in data:
        path = Path(item)
        if not path.is_file():
            return None  # a URL or a folder: not cached
        stat = path.stat()
        files.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    text = Path(kpis_path).read_text(encoding="utf-8")
    return (str(Path(kpis_path).resolve()), text, tuple(files), grain, by)


def actuals_of(kpis_path: Path, data: list[str], *, engine: str, grain: str | None = None,
               by: str | None = None):
    key = _pandas_key(kpis_path, data, grain, by) if engine == "pandas" else None
    if key is not None and key in _PANDAS:
        return _copy(_PANDAS[key])
    actuals = _actuals_of(kpis_path, data, engine=engine, grain=grain, by=by)
    if key is not None:
        _PANDAS[key] = _copy(actuals)
    return actuals


def _copy(actuals):  # type: ignore[no-untyped-def]
    """A copy a test may change without changing the cached Actuals."""
    return dataclasses.replace(
        actuals, values=actuals.values.copy(), counts=actuals.counts.copy(),
        targets=actuals.targets.copy(), periods=actuals.periods.copy(),
        baselines=dict(actuals.baselines), problems=dict(actuals.problems),
        findings=list(actuals.findings), _lookup={},
    )


def _actuals_of(kpis_path: Path, data: list[str], *, engine: str, grain: str | None,
                by: str | None):
    defs = api.load_kpi_file(kpis_path)
    model = defs.model
    assert model is not None
    spec = model.data.model_copy(update={"engine": engine}) if model.data else None
    if spec is None:
        from kpicli.model.kpifile import DataSpec

        spec = DataSpec(engine=engine)
    model = model.model_copy(update={"data": spec})
    table = api.read_table(defs, data, model=model, by=by)
    assert (table.pushdown is not None) == (engine != "pandas")
    return compute_actuals(model, table, grain, by)


def pandas_and_database(
    tmp: Path,
    kpis: str,
    file: Path,
    url: str,
    table: str,
    *,
    spec: str = "",
    period: str = "month",
    fys: int = 1,
    by: str | None = None,
):
    """The Actuals of ``kpis`` over ``file`` through pandas, then over the same rows as
    ``table`` in the database at ``url`` (the KPI file for it in ``tmp/db``)."""
    expected = actuals_of(kpi_file(tmp, kpis, period=period, fys=fys, data=spec), [str(file)],
                          engine="pandas", by=by)
    (tmp / "db").mkdir(exist_ok=True)
    on_db = kpi_file(tmp / "db", kpis, period=period, fys=fys,
                     data=f"{spec}\n  table: {table}" if spec else f"  table: {table}")
    return expected, actuals_of(on_db, [url], engine="sql", by=by)


def team_rows(
    n: int = 1500,
    seed: int = 5,
    teams: tuple[str, ...] = ("North", "South", "West"),
    no_score_every: int = 0,
) -> pd.DataFrame:
    """Rows of tickets handled, a score and a team by day (sorted); every ``no_score_every``-th
    row drawn has no score."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "day": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "handled": rng.integers(0, 20, n).astype("float64"),
        "score": np.round(rng.random(n) * 5, 2),
        "team": rng.choice(np.array(teams, dtype=object), n),
    })
    if no_score_every:
        frame.loc[::no_score_every, "score"] = np.nan
    return frame.sort_values("day", kind="stable").reset_index(drop=True)


def json_report(kpis: Path, data: str | Path, *args: str, drop: tuple[str, ...] = ("notes",)):
    """``kpi report --format json`` (it must succeed) without what names the engine that
    aggregated: the D600 finding and the ``drop`` keys (notes; sources for a database)."""
    res = invoke("report", kpis, "--data", data, "--format", "json", *args)
    assert res.exit_code == 0, res.output
    doc = res.json()
    doc["findings"] = [f for f in doc["findings"] if f["rule"] != "D600"]
    for key in drop:
        doc.pop(key, None)
    return doc


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


def assert_same(expected, got, label: str = "") -> int:
    """Every value, count and target equal; returns how many values were compared."""
    assert list(expected.periods) == list(got.periods), label
    assert expected.problems == got.problems, label
    compared = 0
    for frame in ("values", "counts", "targets"):
        e: pd.DataFrame = getattr(expected, frame)
        g: pd.DataFrame = getattr(got, frame)
        assert sorted(e.columns) == sorted(g.columns), (label, frame)
        assert sorted(e.index.tolist()) == sorted(g.index.tolist()), (label, frame)
        g = g.reindex(index=e.index)
        for col in e.columns:
            ev = e[col].to_numpy(dtype="float64", na_value=np.nan)
            gv = g[col].to_numpy(dtype="float64", na_value=np.nan)
            for i, (x, y) in enumerate(zip(ev, gv, strict=True)):
                assert close(float(x), float(y)), (label, frame, col, e.index[i], x, y)
                compared += 1
    return compared


def need_duckdb() -> None:
    import os

    try:
        import duckdb  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("duckdb/sqlglot not installed (pip install 'kpicli[sql]')")


PG_TYPES = {"int64": "bigint", "float64": "double precision", "bool": "boolean",
            "datetime64[ns]": "timestamp", "datetime64[us]": "timestamp", "object": "text",
            "str": "text", "string": "text"}


def load_pg(admin_url: str, name: str, frame: pd.DataFrame) -> None:
    """Create table ``name`` in the test database (via the admin role) with ``frame``'s rows
    in order (COPY keeps them in physical order: ctid follows the row order)."""
    import psycopg
    from psycopg import sql

    cols = [
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[str(frame[c].dtype)]))
        for c in frame.columns
    ]
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), sql.SQL(", ").join(cols)))
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
        )
        with con.cursor() as cur, cur.copy(copy) as cp:
            for row in frame.itertuples(index=False):
                cp.write_row([None if (v is None or (isinstance(v, float) and v != v) or v is pd.NaT)
                              else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else
                                    (bool(v) if isinstance(v, np.bool_) else
                                     (int(v) if isinstance(v, np.integer) else v)))
                              for v in row])
        con.execute(sql.SQL("GRANT SELECT ON {} TO kpi_reader").format(sql.Identifier(name)))
