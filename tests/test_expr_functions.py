"""The function table of the expression language (kpicli.engine.expr.FUNCTIONS) is complete:
every function has an implementation, a static check, a documented line and an example whose
result is computed by hand below; docs/expressions.md and the README follow the table; the SQL
compiler renders every function or refuses it with the table's reason."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpicli.engine.expr import FUNCTIONS, ExpressionError, evaluate_filter, parse_expression
from kpicli.engine.expr.functions import VARIADIC, functions_markdown
from tests.sql_helpers import actuals_of, assert_same, kpi_file, need_duckdb

ROOT = Path(__file__).resolve().parents[1]


def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-03", "2026-02-17"]),
            "channel": pd.array(["email", "Phone", None, "MAIL"], dtype="str"),
            "score": [4.0, np.nan, 2.5, 1.0],
            "handled": [9, 2, 5, 0],
        },
        index=[7, 8, 9, 10],
    )


# Each function's documented example on rows(), by hand (T/F per row).
EXPECTED: dict[str, str] = {
    "abs": "FFTF",  # |9-5|=4, |2-5|=3, 0, 5
    "round": "TFFF",  # 4 > 2; missing; round(2.5) is 2 (half to even); 1
    "min": "TTTF",  # 4; 2 (the missing score is skipped); 2.5; 0
    "max": "FTTT",  # 9; 2 (missing skipped); 5; 1
    "log": "TTTF",  # log2: 3.17, 1, 2.32, log2(0) is missing
    "sqrt": "TFTF",  # sqrt 6, sqrt(-1) missing, sqrt 2, sqrt(-3) missing
    "isnull": "FFTF",
    "notnull": "TFTT",
    "isna": "FTFF",
    "notna": "TTFT",
    "contains": "TFFT",  # 'MA' in email and MAIL, ignoring case
    "startswith": "FTFF",
    "endswith": "TFFT",
    "lower": "TFFF",
    "upper": "TFFF",
    "len": "TTFF",  # 5, 5, missing, 4
}


def test_every_function_has_a_hand_computed_example() -> None:
    assert list(EXPECTED) == list(FUNCTIONS)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_function_entry_is_complete(name: str) -> None:
    f = FUNCTIONS[name]
    assert f.name == name
    assert callable(f.implementation) and callable(f.check)
    assert f.kind in ("numeric", "text", "text test", "missing test")
    assert f.returns in ("number", "text", "condition")
    assert 0 < f.min_args <= f.max_args and (f.max_args == VARIADIC or f.max_args <= len(f.params))
    assert f.doc.strip() and "\n" not in f.doc and "|" not in f.doc
    calls = [n.func.id for n in ast.walk(ast.parse(f.example)) if isinstance(n, ast.Call)]
    assert calls == [name], f.example
    assert name in f.signature() and f.signature().startswith(f"{name}(")


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_documented_example_gives_the_hand_computed_rows(name: str) -> None:
    frame = rows()
    got = evaluate_filter(FUNCTIONS[name].example, frame)
    assert got.index.equals(frame.index)
    assert "".join("T" if v else "F" for v in got) == EXPECTED[name]


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if f.min_args != f.max_args])
def test_arity_is_read_from_the_table(name: str) -> None:
    f = FUNCTIONS[name]
    with pytest.raises(ExpressionError, match=rf"^{name}\(\) takes .* got {f.min_args - 1}$"):
        parse_expression(f"{name}({', '.join(['score'] * (f.min_args - 1))})")


def test_static_checks_run_while_parsing() -> None:
    with pytest.raises(ExpressionError, match="second argument of startswith"):
        parse_expression("startswith(channel, channel)")
    with pytest.raises(ExpressionError, match="digits of round"):
        parse_expression("round(score, 1.5) > 1")
    parse_expression("round(score, 2) > 1")  # a whole number of digits passes


def test_docs_expressions_md_is_generated_from_the_table() -> None:
    committed = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    assert committed == functions_markdown(), (
        "docs/expressions.md is stale: python -c 'from kpicli.engine.expr.functions import "
        "functions_markdown as m; print(m(), end=\"\")' > docs/expressions.md"
    )
    for f in FUNCTIONS.values():
        assert f"| `{f.signature()}` |" in committed


def test_readme_safety_list_names_every_function() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"the functions `([^`]*)`", text)
    assert found is not None
    assert found.group(1).split() == list(FUNCTIONS)


def test_sql_renders_or_refuses_every_function() -> None:
    need_duckdb()
    from kpicli.engine import sqlplan

    for name, f in FUNCTIONS.items():
        assert (name in sqlplan.SQL_FUNCTIONS) == (f.sql_refusal is None), name
    assert set(sqlplan.SQL_FUNCTIONS) <= set(FUNCTIONS)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_example_in_sql_matches_pandas_or_is_refused_with_the_tables_reason(
    tmp_path: Path, name: str
) -> None:
    need_duckdb()
    from kpicli.engine import sqlplan
    from kpicli.model.kpifile import KPIFile

    f = FUNCTIONS[name]
    if f.sql_refusal is not None:
        from sqlglot import exp

        model = KPIFile.model_validate({"version": 1, "title": "t", "period": "month", "kpis": [
            {"id": "k", "name": "Refused KPI", "measure": {"column": "handled",
                                                           "where": f.example}}]})
        rel = sqlplan.Relation(source=exp.Table(this=exp.to_identifier("t", quoted=True)),
                               columns={"day": "date", "channel": "text", "score": "float",
                                        "handled": "int"}, date_column="day")
        with pytest.raises(sqlplan.Untranslatable) as err:
            sqlplan.compile_plan(model, rel, "duckdb")
        assert f.sql_refusal in err.value.message
        return
    data = tmp_path / "rows.parquet"
    rows().to_parquet(data)
    kpis = "".join(
        f"  - id: {how}\n    name: {how} of handled\n    measure: {{column: handled, "
        f"aggregate: {how}, where: {json.dumps(f.example)}}}\n"
        for how in ("sum", "count")
    )
    path = kpi_file(tmp_path, kpis)
    expected = actuals_of(path, [str(data)], engine="pandas")
    got = actuals_of(path, [str(data)], engine="duckdb")
    assert assert_same(expected, got, f.example) > 0
    assert not expected.problems
