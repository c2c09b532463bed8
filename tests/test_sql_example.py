"""examples/warehouse: a Parquet fact table that runs on DuckDB with no server, with the same
numbers as the pandas path; its generator reproduces the committed file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from kpicli import api
from kpicli.engine.aggregate import compute_actuals
from tests.helpers import invoke
from tests.sql_helpers import assert_same, need_duckdb

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "warehouse"


def test_example_generator_reproduces_the_committed_parquet() -> None:
    spec = importlib.util.spec_from_file_location("warehouse_generate", EXAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = pd.read_parquet(EXAMPLE / "tickets.parquet")
    pd.testing.assert_frame_equal(committed, module.tickets(), check_dtype=False)
    assert (EXAMPLE / "tickets.parquet").stat().st_size < 1_000_000


def test_example_runs_on_duckdb_with_the_pandas_numbers() -> None:
    need_duckdb()
    defs = api.load_kpi_file(EXAMPLE / "kpis.yaml")
    model = defs.model
    assert model is not None and model.data is not None
    duck = api.read_table(defs)
    assert duck.pushdown is not None
    pandas_model = model.model_copy(update={"data": model.data.model_copy(update={"engine": "pandas"})})
    plain = api.read_table(defs, model=pandas_model)
    assert plain.pushdown is None
    for by in (None, "team"):
        assert_same(compute_actuals(pandas_model, plain, None, by),
                    compute_actuals(model, duck, None, by), f"example by={by}")


def test_example_report_exits_cleanly() -> None:
    need_duckdb()
    res = invoke("report", str(EXAMPLE / "kpis.yaml"), "--period", "2026-10",
                                   "--by", "team", "--format", "json")
    assert res.exit_code == 0, res.output
    assert '"E005"' not in res.stdout and '"M203"' not in res.stdout
