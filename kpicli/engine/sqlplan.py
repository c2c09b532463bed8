"""The SQL query compiler: the engine's aggregation plan as sqlglot trees rendered per engine.

Contract. :func:`compile_plan` turns a KPI file's measured KPIs (column or long-table label,
aggregate, ``where``, grain, fiscal year start, ``--by``) into one or two SELECT statements
over a :class:`Relation` (a table, a file read by DuckDB, or a user's read-only query used as
a subquery). :func:`assemble` turns the rows those statements return into the engine's
:class:`~kpicli.engine.aggregate.Actuals`, so targets, status, formulas, forecasts and every
writer work unchanged. The numbers are the pandas path's (``compute_actuals``) by
construction, and the differential conformance suite (tests/test_sql_conformance.py) checks it:

* Nothing from a file reaches SQL as text: identifiers and literals are sqlglot nodes, and a
  ``where`` filter is translated node by node from the same allow-listed syntax tree the
  pandas evaluator walks (kpicli.engine.expr).
* kpicli's two-valued logic: every comparison is ``COALESCE(cmp, FALSE)``, so ``not`` is exact
  (a naive ``NOT cmp`` drops rows with a missing value; a test keeps that difference visible).
* Numbers are doubles, NaN is missing, ``a / NULLIF(b, 0)``, ``sqrt``/``log``/``**`` guarded
  where numpy gives NaN or infinity (missing in kpicli).
* A filter applies as ``AGG(x) FILTER (WHERE ...)`` over all rows of the group: a period with
  rows but none passing still exists (count and sum 0, the rest no value).
* ``first``/``last``: the first/last non-empty value by date, ties in row order where the
  source has one (Parquet/CSV file order, a DuckDB table's rowid, a PostgreSQL table's ctid,
  a Spark table's scan order).
* What cannot be translated exactly (``round``, ``//``, ``%``, an engine without exact
  percentiles) raises :class:`Untranslatable` naming the KPI and the YAML field; the caller
  turns it into an error at the KPI's file:line:col.

The capability table (:data:`DIALECTS`) says what each engine needs beyond sqlglot's own
rendering and whether the engine is *verified* (passes the conformance suite in CI).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlglot import exp

from kpicli.engine import periods as P
from kpicli.engine.aggregate import (
    _ADDITIVE,
    _PCT,
    OVERALL,
    Actuals,
    Problem,
    _measure_rule,
    _with_formulas,
    default_aggregate,
)
from kpicli.engine.expr import FUNCTIONS, constant_value
from kpicli.model.kpifile import KPIFile
from kpicli.model.labels import normalise_label
from kpicli.model.table import DATE, KPI, TARGET, VALUE

__all__ = [
    "DIALECTS",
    "Capability",
    "CompiledPlan",
    "Query",
    "Relation",
    "Untranslatable",
    "assemble",
    "compile_plan",
    "entry_partials",
    "from_partials",
    "probe_frame",
]

# Kinds of source columns (decided by the reader from the engine's types).
ColumnKind = Literal["int", "float", "decimal", "text", "date", "timestamp", "bool", "other"]
_NUMERIC = {"int", "float", "decimal"}


@dataclass(frozen=True)
class Capability:
    """What kpicli needs per engine beyond sqlglot's rendering, and whether CI verifies it."""

    name: str
    dialect: str  # sqlglot dialect name
    verified: bool
    first_last: Literal["arg_min", "min_by", "array_agg"] | None
    percentile: Literal["quantile_cont", "percentile_cont", "percentile"] | None
    text_collate: str | None = None  # collation for byte/code-point ordering of text
    iso_week: bool = True  # DATE_TRUNC('week') starts on Monday
    # The aggregation computed from the profiling query's per-day partials (one scan of the
    # rows instead of two) where that is faster (benchmarks/README.md).
    one_scan: bool = True


DIALECTS: dict[str, Capability] = {
    "duckdb": Capability("DuckDB", "duckdb", True, "arg_min", "quantile_cont"),
    "postgres": Capability(
        "PostgreSQL", "postgres", True, "array_agg", "percentile_cont", text_collate="C"
    ),
    # One scan measured no faster on Spark in local mode (5M rows: 5.5 s for the profile
    # with partials, 5.6 s for profile and aggregation): the two queries stay.
    "spark": Capability("Spark SQL", "spark", True, "min_by", "percentile", one_scan=False),
    "trino": Capability("Trino", "trino", False, "min_by", None),
    "bigquery": Capability("BigQuery", "bigquery", False, None, None, iso_week=False),
    "snowflake": Capability("Snowflake", "snowflake", False, "min_by", "percentile_cont"),
}


class Untranslatable(Exception):
    """A KPI the engine cannot compute exactly as the pandas path does.

    ``kpi_index`` and ``field`` point at the YAML node (``kpis[i].measure.where`` ...)."""

    def __init__(self, message: str, kpi_id: str, kpi_index: int, field: tuple[str, ...]):
        super().__init__(message)
        self.message = message
        self.kpi_id = kpi_id
        self.kpi_index = kpi_index
        self.field = field


@dataclass
class Relation:
    """What the query reads: a FROM item and the kinds of its columns."""

    source: exp.Expression  # exp.Table, or an aliased subquery / table function
    columns: dict[str, ColumnKind]
    date_column: str
    layout: Literal["records", "long"] = "records"
    kpi_column: str | None = None
    value_column: str | None = None
    target_column: str | None = None
    labels: tuple[str, ...] = ()  # long layout: the distinct labels of kpi_column
    row_order: exp.Expression | None = None  # ties of first/last (file order, rowid, ctid)
    # The FROM item that exposes ``row_order`` when it costs more to read (Parquet file row
    # numbers); used only when a KPI needs first/last.
    ordered_source: exp.Expression | None = None


# Aggregates that decompose over any split of the rows: per-entry partial sums, counts,
# minima and maxima combine into the group's value (mean = sum / count), so a plan of only
# these is computed from the profiling query's per-day partials (:func:`from_partials`).
DECOMPOSABLE = frozenset({"sum", "mean", "min", "max", "count"})


@dataclass(frozen=True)
class Part:
    """An output of a query as a combination of partial aggregates: ``how`` (sum, mean, min,
    max, count, or rows: COUNT(*)) of ``value`` over the rows passing ``cond`` (both as SQL
    text, the keys of the partials) and, when the group holds other KPIs' rows too, having
    one of ``labels``."""

    how: str
    value: str
    cond: str
    labels: tuple[str, ...] | None

    def bases(self) -> list[tuple[str, str, str]]:
        """The partial aggregates it needs: (sum | count | min | max, value, cond)."""
        if self.how == "rows":
            return []
        if self.how == "mean":
            return [("sum", self.value, self.cond), ("count", self.value, self.cond)]
        return [(self.how, self.value, self.cond)]


@dataclass
class Query:
    """One statement and what each output column (c0, c1, ...) holds."""

    tree: exp.Select
    dialect: str
    columns: list[tuple[str, str | None]]  # (role, KPI id): period member grouping value ...
    # Output column -> how it decomposes over rows (see :func:`from_partials`), None when it
    # does not (nunique, first/last, percentiles).
    parts: dict[int, Part | None] = field(default_factory=dict)

    @cached_property
    def sql(self) -> str:
        """The statement's text, rendered when first asked for: a query computed from the
        profile's partials (one scan) is never rendered."""
        return self.tree.sql(dialect=self.dialect)


@dataclass
class CompiledPlan:
    queries: list[Query]
    problems: dict[str, Problem]
    grain: str
    fiscal_year_start: int
    by: str | None
    week_keys: bool  # period keys are week start dates (else month ordinals)
    has_target: bool
    measured: list[str] = field(default_factory=list)  # KPI ids computed in SQL
    # KPI id -> role (value, count, rows, target) -> (query index, output column index)
    outputs: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # Long tables whose KPIs read disjoint labels: each KPI's slot (rows grouped by slot)
    slots: dict[str, int] = field(default_factory=dict)
    # When every slot reads one label, the query groups by the label itself (a CASE over the
    # labels per row cost three times the whole aggregation on DuckDB): label -> slot.
    slot_labels: dict[str, int] | None = None
    slot_sets: list[tuple[str, ...]] = field(default_factory=list)  # the labels of each slot


# ------------------------------------------------------------------------------------ helpers


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.Column(this=_ident(name))


_TYPES: dict[str, exp.DataType] = {}


def sql_type(name: str) -> exp.DataType:
    """A fresh node of the SQL type ``name`` (double, date, timestamp, bigint): parsed once,
    then copied (sqlglot's DataType.build parses its text on every call, about a fifth of
    the compile time of a 20-KPI file)."""
    got = _TYPES.get(name)
    if got is None:
        got = _TYPES[name] = exp.DataType.build(name)
    return got.copy()


def _double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=sql_type("double"))


def _num_lit(v: float) -> exp.Expression:
    text = repr(float(v))
    lit = exp.Literal.number(text.lstrip("-"))
    node: exp.Expression = _double(lit)
    return exp.Neg(this=node) if text.startswith("-") else node


def _day(column: str, *, timestamp: bool = False) -> exp.Expression:
    """The day of a date/timestamp column (as a timestamp at midnight with ``timestamp``)."""
    day = exp.Cast(this=_col(column), to=sql_type("date"))
    return exp.Cast(this=day, to=sql_type("timestamp")) if timestamp else day


def _false() -> exp.Expression:
    return exp.false()


def _coalesce_false(e: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=e, expressions=[exp.false()])


def _and(*parts: exp.Expression | None) -> exp.Expression | None:
    got = [p for p in parts if p is not None]
    if not got:
        return None
    out = got[0]
    for p in got[1:]:
        out = exp.And(this=_paren(out), expression=_paren(p))
    return out


def _paren(e: exp.Expression) -> exp.Expression:
    if isinstance(e, (exp.Column, exp.Literal, exp.Boolean, exp.Paren, exp.Func, exp.Null)):
        return e
    return exp.Paren(this=e)


def _case(cond: exp.Expression, then: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=cond, true=then)])


def _is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=_paren(e), expression=exp.Null())


def _not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=_is_null(e))


def numeric_value(name: str, kind: ColumnKind) -> exp.Expression:
    """A numeric (or boolean) column as DOUBLE, NaN as missing (pandas' reading of NaN)."""
    c = _col(name)
    if kind == "bool":
        return exp.Case(
            ifs=[
                exp.If(this=c, true=_num_lit(1.0)),
                exp.If(this=exp.Not(this=c), true=_num_lit(0.0)),
            ]
        )
    if kind == "float":
        return exp.Nullif(this=_double(c), expression=_double(exp.Literal.string("NaN")))
    return _double(c)


def raw_value(name: str, kind: ColumnKind) -> exp.Expression:
    """A column as it is, NaN as missing (what count and nunique see)."""
    if kind == "float":
        return numeric_value(name, kind)
    return _col(name)


# ------------------------------------------------------------------------------ the filter


# "cond" is a boolean that is never NULL (a comparison, and/or/not): no second COALESCE.
_Kind = Literal["number", "text", "date", "bool", "cond", "none"]


class _Refuse(Exception):
    pass


class FilterTranslator:
    """A validated ``where`` syntax tree as a two-valued SQL condition (see the module doc)."""

    def __init__(
        self,
        expression: Any,
        columns: dict[str, ColumnKind],
        names: dict[str, str],
        cap: Capability,
    ) -> None:
        self.expression = expression
        # The parsed tree and backtick placeholders of kpicli.engine.expr.Expression: the same
        # allow-listed tree the pandas evaluator walks (never the text).
        self.tree: ast.Expression = expression.tree
        self.placeholders: Mapping[str, str] = expression.placeholders
        self.columns = columns
        self.names = names  # name as written (incl. reserved _date/_kpi/_value) -> column
        self.cap = cap

    def condition(self) -> exp.Expression:
        e, kind = self.eval(self.tree.body)
        return self.truth(e, kind)

    # -- conversions
    def truth(self, e: exp.Expression, kind: _Kind) -> exp.Expression:
        if kind == "cond":  # already two-valued (never NULL)
            return e
        if kind == "bool":
            return _coalesce_false(e)
        if kind == "number":
            return _coalesce_false(exp.NEQ(this=_paren(e), expression=_num_lit(0.0)))
        if kind == "none":
            return exp.false()
        raise _Refuse(f"{kind} values used as a condition")

    def number(self, e: exp.Expression, kind: _Kind) -> exp.Expression:
        if kind == "number":
            return e
        if kind in ("bool", "cond"):
            return exp.Case(
                ifs=[
                    exp.If(this=e, true=_num_lit(1.0)),
                    exp.If(this=exp.Not(this=_paren(e)), true=_num_lit(0.0)),
                ]
            )
        if kind == "none":
            return exp.Cast(this=exp.Null(), to=sql_type("double"))
        raise _Refuse(f"{kind} values used as numbers")

    # -- dispatch
    def eval(self, node: ast.AST) -> tuple[exp.Expression, _Kind]:
        if isinstance(node, ast.Name):
            name = self.placeholders.get(node.id, node.id)
            column = self.names.get(name)
            if column is None:
                raise _Refuse(f"unknown column {name!r}")
            kind = self.columns[column]
            if kind in _NUMERIC:
                return numeric_value(column, kind), "number"
            if kind == "bool":
                return _col(column), "bool"
            if kind == "text":
                return _col(column), "text"
            if kind in ("date", "timestamp"):
                if name == DATE:
                    # The pandas path keeps the row's day (readers normalise the date column).
                    return _day(column, timestamp=True), "date"
                return _col(column), "date"
            raise _Refuse(f"column {name!r} has a type kpicli cannot filter on")
        if isinstance(node, ast.Constant):
            v = node.value
            if v is None:
                return exp.Null(), "none"
            if isinstance(v, bool):
                return (exp.true() if v else exp.false()), "bool"
            if isinstance(v, (int, float)):
                return _num_lit(float(v)), "number"
            if isinstance(v, str):
                return exp.Literal.string(v), "text"
            raise _Refuse("a constant of an unsupported type")
        if isinstance(node, ast.BinOp):
            return self.binop(node), "number"
        if isinstance(node, ast.UnaryOp):
            e, kind = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return exp.Not(this=_paren(self.truth(e, kind))), "cond"
            n = self.number(e, kind)
            return (exp.Neg(this=_paren(n)) if isinstance(node.op, ast.USub) else n), "number"
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(*self.eval(v)) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                cls = exp.And if isinstance(node.op, ast.And) else exp.Or
                out = cls(this=_paren(out), expression=_paren(p))
            return exp.Paren(this=out), "cond"
        if isinstance(node, ast.Compare):
            return self.compare(node), "cond"
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _Refuse(f"{type(node).__name__}")

    def binop(self, node: ast.BinOp) -> exp.Expression:
        a = self.number(*self.eval(node.left))
        b = self.number(*self.eval(node.right))
        op = node.op
        if isinstance(op, ast.Add):
            return exp.Paren(this=exp.Add(this=_paren(a), expression=_paren(b)))
        if isinstance(op, ast.Sub):
            return exp.Paren(this=exp.Sub(this=_paren(a), expression=_paren(b)))
        if isinstance(op, ast.Mult):
            return exp.Paren(this=exp.Mul(this=_paren(a), expression=_paren(b)))
        if isinstance(op, ast.Div):
            # x/0 is infinity or NaN in numpy: missing in kpicli.
            return exp.Paren(
                this=exp.Div(
                    this=_paren(a),
                    expression=exp.Nullif(this=b, expression=_num_lit(0.0)),
                    typed=False,
                    safe=False,
                )
            )
        if isinstance(op, ast.Pow):
            k = constant_value(node.right)
            power = exp.Pow(this=_paren(a), expression=_num_lit(float(k)))
            guards = []
            if float(k) != int(k):
                guards.append(exp.GTE(this=_paren(a), expression=_num_lit(0.0)))
            if k < 0:
                guards.append(exp.NEQ(this=_paren(a), expression=_num_lit(0.0)))
            cond = _and(*guards)
            return _case(cond, power) if cond is not None else power
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            symbol = "//" if isinstance(op, ast.FloorDiv) else "%"
            raise _Refuse(
                f"'{symbol}' follows numpy's floating-point floor rules, which SQL engines do "
                "not reproduce exactly"
            )
        raise _Refuse(type(op).__name__)

    def compare(self, node: ast.Compare) -> exp.Expression:
        left_node = node.left
        left, lk = self.eval(left_node)
        parts: list[exp.Expression] = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                values = [constant_value(e) for e in right_node.elts]  # type: ignore[attr-defined]
                parts.append(self.membership(left, lk, values, isinstance(op, ast.NotIn)))
                break  # 'in' is always last (validated)
            right, rk = self.eval(right_node)
            parts.append(self.pair(op, left, lk, right, rk, right_node, left_node))
            left, lk, left_node = right, rk, right_node
        return _and(*parts) or exp.true()

    def pair(
        self,
        op: ast.cmpop,
        left: exp.Expression,
        lk: _Kind,
        right: exp.Expression,
        rk: _Kind,
        right_node: ast.AST,
        left_node: ast.AST,
    ) -> exp.Expression:
        eq = isinstance(op, (ast.Eq, ast.Is))
        lk = "bool" if lk == "cond" else lk
        rk = "bool" if rk == "cond" else rk
        if isinstance(op, (ast.Is, ast.IsNot)) or (
            isinstance(op, (ast.Eq, ast.NotEq)) and ("none" in (lk, rk))
        ):
            value = left if rk == "none" else right
            return _is_null(value) if eq else _not_null(value)
        if lk == "bool" and rk == "number":
            left, lk = self.number(left, lk), "number"
        if rk == "bool" and lk == "number":
            right, rk = self.number(right, rk), "number"
        if {lk, rk} == {"date", "text"}:
            # pandas compares dates with date text by parsing the text: only a constant is exact
            text_node = right_node if rk == "text" else left_node
            value = constant_value(text_node)
            if not isinstance(value, str):
                raise _Refuse("a date compared with a text column")
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError):
                raise _Refuse(f"a date compared with {value!r}") from None
            if ts.tzinfo is not None:
                raise _Refuse(f"a date compared with a time-zoned {value!r}")
            lit = exp.Cast(
                this=exp.Literal.string(ts.isoformat(sep=" ")),
                to=sql_type("timestamp"),
            )
            if rk == "text":
                right, rk = lit, "date"
            else:
                left, lk = lit, "date"
        if lk != rk:
            # Values of different kinds are never equal; ordering them is refused by the
            # pandas evaluator too (checked before translation).
            if isinstance(op, ast.Eq):
                return exp.false()
            if isinstance(op, ast.NotEq):
                return exp.Paren(this=_and(_not_null(left), _not_null(right)))
            raise _Refuse(f"comparing {lk} with {rk}")
        cls = {
            ast.Eq: exp.EQ,
            ast.NotEq: exp.NEQ,
            ast.Lt: exp.LT,
            ast.LtE: exp.LTE,
            ast.Gt: exp.GT,
            ast.GtE: exp.GTE,
        }[type(op)]
        if lk == "text" and cls not in (exp.EQ, exp.NEQ) and self.cap.text_collate:
            # Code-point order, as Python and pyarrow compare text (not the locale's order).
            left = exp.Collate(this=_paren(left), expression=_ident(self.cap.text_collate))
        return _coalesce_false(cls(this=_paren(left), expression=_paren(right)))

    def membership(
        self, left: exp.Expression, lk: _Kind, values: list[Any], negate: bool
    ) -> exp.Expression:
        wants_missing = any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)
        values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if lk == "none":
            return exp.true() if wants_missing != negate else exp.false()
        lk = "bool" if lk == "cond" else lk
        lits: list[exp.Expression] = []
        if lk == "text":
            lits = [exp.Literal.string(v) for v in values if isinstance(v, str)]
        elif lk in ("number", "bool"):
            nums = [float(v) for v in values if not isinstance(v, str)]
            if lk == "bool":
                left = self.number(left, lk)
            lits = [_num_lit(v) for v in nums]
        elif lk == "date":
            for v in values:
                if isinstance(v, str):
                    try:
                        ts = pd.Timestamp(v)
                    except (ValueError, TypeError):
                        raise _Refuse(f"a date compared with {v!r}") from None
                    lits.append(
                        exp.Cast(
                            this=exp.Literal.string(ts.isoformat(sep=" ")),
                            to=sql_type("timestamp"),
                        )
                    )
        hits: exp.Expression = (
            _coalesce_false(exp.In(this=_paren(left), expressions=lits)) if lits else exp.false()
        )
        if wants_missing:
            hits = exp.Paren(this=exp.Or(this=_paren(hits), expression=_is_null(left)))
        if negate:
            return exp.Paren(this=_and(exp.Not(this=_paren(hits)), _not_null(left)))
        return hits

    def call(self, node: ast.Call) -> tuple[exp.Expression, _Kind]:
        # What a function is (its kind, what it gives, whether SQL can compute it exactly)
        # comes from the expression language's function table; only its SQL is written here.
        function = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        name = function.name
        if function.kind == "numeric":
            args = [self.number(*self.eval(a)) for a in node.args]
            if function.sql_refusal is not None:
                raise _Refuse(function.sql_refusal)
            return SQL_FUNCTIONS[name](args), "number"
        e, kind = self.eval(node.args[0])
        if function.sql_refusal is not None:
            raise _Refuse(function.sql_refusal)
        render = SQL_FUNCTIONS[name]
        if function.kind == "missing test":
            if kind == "none":  # the function's own answer for a value that is not there
                return (exp.true() if function.implementation(False) else exp.false()), "cond"
            return render(e), "cond"
        if kind == "none":
            if function.kind == "text test":
                return exp.false(), "cond"
            if function.returns == "number":
                return self.number(exp.Null(), "none"), "number"
            return exp.Null(), "none"
        if kind != "text":
            raise _Refuse(f"{name}() of {kind} values")
        if function.kind == "text test":
            needle: str = node.args[1].value  # type: ignore[attr-defined]
            return _coalesce_false(render(e, needle)), "cond"
        return render(e), ("number" if function.returns == "number" else "text")


# ------------------------------------------------------------------ functions in SQL
# One renderer for each function of kpicli.engine.expr.FUNCTIONS that SQL computes exactly
# (a test checks that every function has a renderer or a sql_refusal, never both). By kind:
# numeric (args) -> number; text test (text, needle) -> test; text (text); missing test (x).


def _sql_sqrt(args: list[exp.Expression]) -> exp.Expression:
    x = args[0]
    return _case(exp.GTE(this=_paren(x), expression=_num_lit(0.0)), exp.Sqrt(this=x))


def _sql_log(args: list[exp.Expression]) -> exp.Expression:
    x = args[0]
    if len(args) == 1:
        return _case(exp.GT(this=_paren(x), expression=_num_lit(0.0)), exp.Ln(this=x))
    b = args[1]
    cond = _and(
        exp.GT(this=_paren(x), expression=_num_lit(0.0)),
        exp.GT(this=_paren(b), expression=_num_lit(0.0)),
        exp.NEQ(this=_paren(b), expression=_num_lit(1.0)),
    )
    assert cond is not None
    return _case(cond, exp.Div(this=exp.Ln(this=x), expression=exp.Ln(this=b)))


def _sql_skipping_missing(cls: type[exp.Func]) -> Callable[[list[exp.Expression]], exp.Expression]:
    # fmin/fmax skip a missing argument; LEAST/GREATEST's NULL handling differs by engine,
    # so say it explicitly.
    def render(args: list[exp.Expression]) -> exp.Expression:
        out = args[0]
        for b in args[1:]:
            a = out
            out = exp.Case(
                ifs=[
                    exp.If(this=_is_null(a), true=b),
                    exp.If(this=_is_null(b), true=a),
                ],
                default=cls(this=a, expressions=[b]),
            )
        return out

    return render


def _sql_contains(e: exp.Expression, needle: str) -> exp.Expression:
    lit = exp.Literal.string(needle.lower())
    return exp.GT(
        this=exp.StrPosition(this=exp.Lower(this=e), substr=lit), expression=exp.Literal.number(0)
    )


def _sql_affix(cls: type[exp.Func]) -> Callable[[exp.Expression, str], exp.Expression]:
    def render(e: exp.Expression, needle: str) -> exp.Expression:
        lit = exp.Literal.string(needle.lower())
        n = exp.Literal.number(len(needle))
        return exp.EQ(this=cls(this=exp.Lower(this=e), expression=n), expression=lit)

    return render


SQL_FUNCTIONS: dict[str, Callable[..., exp.Expression]] = {
    "abs": lambda args: exp.Abs(this=args[0]),
    "min": _sql_skipping_missing(exp.Least),
    "max": _sql_skipping_missing(exp.Greatest),
    "log": _sql_log,
    "sqrt": _sql_sqrt,
    "isnull": _is_null,
    "notnull": _not_null,
    "isna": _is_null,
    "notna": _not_null,
    "contains": _sql_contains,
    "startswith": _sql_affix(exp.Left),
    "endswith": _sql_affix(exp.Right),
    "lower": lambda e: exp.Lower(this=e),
    "upper": lambda e: exp.Upper(this=e),
    "len": lambda e: _double(exp.Length(this=e)),
}


def probe_frame(columns: dict[str, ColumnKind], names: dict[str, str]) -> pd.DataFrame:
    """One row with a typical present value per column, typed as the pandas path types it:
    running the pandas evaluator on it reproduces its type errors (text < number ...)."""
    data: dict[str, Any] = {}
    for name, column in names.items():
        kind = columns[column]
        if kind in _NUMERIC:
            data[name] = pd.Series([1.0], dtype="float64")
        elif kind == "bool":
            data[name] = pd.Series([True], dtype="bool")
        elif kind in ("date", "timestamp"):
            data[name] = pd.Series([pd.Timestamp("2020-01-01")], dtype="datetime64[ns]")
        elif kind == "text":
            data[name] = pd.Series(["a"], dtype="str")
        else:
            data[name] = pd.Series([object()], dtype=object)
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- the queries


@dataclass
class _Measured:
    index: int
    kpi_id: str
    how: str
    column: str
    kind: ColumnKind
    label_cond: exp.Expression | None  # long layout: the KPI's rows
    filter_cond: exp.Expression | None
    labels: tuple[str, ...] = ()


def _period_key(rel: Relation, grain: str, fys: int, cap: Capability) -> exp.Expression:
    d = _col(rel.date_column)
    if grain == "week":
        if cap.iso_week:
            trunc: exp.Expression = exp.DateTrunc(unit=exp.Literal.string("WEEK"), this=d)
        else:
            trunc = exp.Anonymous(this="DATE_TRUNC", expressions=[d, exp.var("ISOWEEK")])
        return exp.Cast(this=trunc, to=sql_type("date"))
    if cap.dialect == "postgres":
        # PostgreSQL's EXTRACT returns numeric, whose arithmetic made the period key cost as
        # much as the whole aggregation; DATE_PART is double precision, exact for these.
        year: exp.Expression = exp.Cast(
            this=exp.Anonymous(this="DATE_PART", expressions=[exp.Literal.string("year"), d]),
            to=sql_type("bigint"),
        )
        month: exp.Expression = exp.Cast(
            this=exp.Anonymous(this="DATE_PART", expressions=[exp.Literal.string("month"), d]),
            to=sql_type("bigint"),
        )
    else:
        year = exp.Extract(this=exp.var("YEAR"), expression=d)
        month = exp.Extract(this=exp.var("MONTH"), expression=d)
    m: exp.Expression = exp.Sub(
        this=exp.Add(
            this=exp.Mul(this=year, expression=exp.Literal.number(12)), expression=month
        ),
        expression=exp.Literal.number(1),
    )
    span = {"month": 1, "quarter": 3, "year": 12}[grain]
    if span > 1:
        # First month (as a month ordinal) of the fiscal quarter or year holding the date.
        shifted = exp.Sub(this=exp.Paren(this=m), expression=exp.Literal.number((fys - 1) % span))
        m = exp.Sub(
            this=exp.Paren(this=m),
            expression=exp.Mod(this=exp.Paren(this=shifted), expression=exp.Literal.number(span)),
        )
    return exp.Cast(this=exp.Paren(this=m), to=sql_type("bigint"))


def _aggregate(
    how: str,
    x: exp.Expression,
    raw: exp.Expression,
    cond: exp.Expression | None,
    rel: Relation,
    cap: Capability,
) -> exp.Expression:
    def filtered(agg: exp.Expression, c: exp.Expression | None = cond) -> exp.Expression:
        return exp.Filter(this=agg, expression=exp.Where(this=c)) if c is not None else agg

    if how == "sum":
        return filtered(exp.Sum(this=x))
    if how == "mean":
        return filtered(exp.Avg(this=x))
    if how == "min":
        return filtered(exp.Min(this=x))
    if how == "max":
        return filtered(exp.Max(this=x))
    if how == "count":
        return filtered(exp.Count(this=raw))
    if how == "nunique":
        return filtered(exp.Count(this=exp.Distinct(expressions=[raw])))
    m = _PCT.match(how)
    if how == "median" or m:
        q = 0.5 if how == "median" else int(m.group(1)) / 100.0  # type: ignore[union-attr]
        qlit = exp.Literal.number(repr(q))
        if cap.percentile == "quantile_cont":
            return filtered(exp.Anonymous(this="QUANTILE_CONT", expressions=[x, qlit]))
        if cap.percentile == "percentile":
            return filtered(exp.Anonymous(this="PERCENTILE", expressions=[x, qlit]))
        if cap.percentile == "percentile_cont":
            return filtered(
                exp.WithinGroup(
                    this=exp.Anonymous(this="PERCENTILE_CONT", expressions=[qlit]),
                    expression=exp.Order(expressions=[exp.Ordered(this=x)]),
                )
            )
        raise _Refuse(f"{cap.name} has no exact percentile (only an approximate one)")
    if how in ("first", "last"):
        d = _day(rel.date_column)
        c = _and(cond, _not_null(x))
        order_keys = [d] + ([_col("kpicli_order")] if rel.row_order is not None else [])
        if cap.first_last is None:
            raise _Refuse(f"{cap.name} has no first/last by date aggregate in kpicli yet")
        if cap.first_last == "array_agg":
            desc = how == "last"
            agg = exp.ArrayAgg(
                this=exp.Order(
                    this=x,
                    expressions=[exp.Ordered(this=k, desc=desc, nulls_first=False) for k in order_keys],
                )
            )
            return exp.Bracket(
                this=exp.Paren(this=filtered(agg, c)), expressions=[exp.Literal.number(0)]
            )
        key: exp.Expression = (
            order_keys[0]
            if len(order_keys) == 1
            else (
                exp.Struct(expressions=order_keys)
                if cap.first_last == "min_by"
                else exp.Tuple(expressions=order_keys)
            )
        )
        fn = {"arg_min": ("ARG_MIN", "ARG_MAX"), "min_by": ("MIN_BY", "MAX_BY")}[cap.first_last]
        name = fn[0] if how == "first" else fn[1]
        return filtered(exp.Anonymous(this=name, expressions=[x, key]), c)
    raise _Refuse(f"aggregate {how!r}")


def _measure(
    model: KPIFile, rel: Relation, cap: Capability
) -> tuple[list[_Measured], dict[str, str]]:
    """The KPIs computed in SQL (column or labels, aggregate, filter condition) and the
    ``problems`` of the others (as compute_actuals words them)."""
    from kpicli.engine.expr import ExpressionError, evaluate_filter, parse_expression

    long = rel.layout == "long"
    # The names a filter sees are the pandas path's: the date, KPI, value and target columns
    # only under their reserved names (_date, _kpi, _value, _target).
    renamed = {rel.date_column, rel.kpi_column, rel.value_column, rel.target_column}
    names: dict[str, str] = {c: c for c in rel.columns if c not in renamed}
    names[DATE] = rel.date_column
    if long:
        assert rel.kpi_column and rel.value_column
        names[KPI] = rel.kpi_column
        names[VALUE] = rel.value_column
        if rel.target_column:
            names[TARGET] = rel.target_column
    probe = probe_frame(rel.columns, names)
    norm_labels = [normalise_label(x) for x in rel.labels]
    problems: dict[str, Problem] = {}
    filters: dict[str, exp.Expression | Problem] = {}
    measured: list[_Measured] = []
    for i, kpi in enumerate(model.kpis):
        if kpi.formula is not None:
            continue
        how = default_aggregate(kpi, model)
        label_cond = None
        mine: list[str] = []
        if long:
            wanted = kpi.labels
            mine = [rel.labels[j] for j, u in enumerate(norm_labels) if u in wanted]
            if not mine:
                problems[kpi.id] = Problem(
                    _measure_rule(kpi),
                    f"no rows for {kpi.data_column!r} in the data's KPI column",
                    {"label": kpi.data_column},
                )
                continue
            label_cond = _coalesce_false(
                exp.In(
                    this=_col(rel.kpi_column or ""),
                    expressions=[exp.Literal.string(x) for x in mine],
                )
            )
            column = rel.value_column or ""
        else:
            column = kpi.data_column
            if column not in names:  # the date column is only `_date`, as on the pandas path
                problems[kpi.id] = Problem(
                    _measure_rule(kpi), f"column {column!r} is not in the data", {"column": column}
                )
                continue
            column = names[column]
        where = (kpi.measure.where if kpi.measure else None) or None
        cond = None
        if where is not None:
            if where not in filters:
                try:
                    expression = parse_expression(where, "filter")
                    evaluate_filter(where, probe)  # the pandas evaluator's type errors
                    try:
                        filters[where] = FilterTranslator(
                            expression, rel.columns, names, cap
                        ).condition()
                    except _Refuse as exc:
                        raise Untranslatable(
                            f"KPI {kpi.id!r}: the filter cannot be computed exactly in "
                            f"{cap.name}: {exc}; use data.engine: pandas for this file",
                            kpi.id,
                            i,
                            ("measure", "where"),
                        ) from None
                except ExpressionError as exc:
                    filters[where] = Problem(
                        "E006", f"filter cannot be applied: {exc}", {"filter": where}
                    )
            got = filters[where]
            if isinstance(got, Problem):
                problems[kpi.id] = got
                continue
            cond = got
        kind = rel.columns[column]
        if how not in ("count", "nunique") and kind not in _NUMERIC and kind != "bool":
            raise Untranslatable(
                f"KPI {kpi.id!r}: column {column!r} holds {kind} values in the source, and "
                f"aggregate {how!r} needs numbers; cast it in data.query or count it",
                kpi.id,
                i,
                ("measure", "column") if kpi.measure and kpi.measure.column else (),
            )
        measured.append(_Measured(i, kpi.id, how, column, kind, label_cond, cond, tuple(mine)))
    return measured, problems


class _Texts:
    """The SQL text of a plan's operands and filter conditions, rendered once each: they key
    the select list (equal text, one output) and the partial aggregates (:class:`Part`).
    Rendering every aggregate to compare them took most of a plan's compile time."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._seen: dict[Any, str] = {}

    def operand(self, column: str, kind: str, e: exp.Expression, raw: bool = False) -> str:
        """``e`` is numeric_value (or, with ``raw``, raw_value) of ``column`` of ``kind``."""
        key = ("operand", column, kind, raw)
        got = self._seen.get(key)
        if got is None:
            got = self._seen[key] = e.sql(dialect=self.dialect)
        return got

    def condition(self, cond: exp.Expression | None) -> str:
        """A filter condition; the same ``where`` text is the same object (_measure)."""
        if cond is None:
            return ""
        key = ("condition", id(cond))
        got = self._seen.get(key)
        if got is None:
            got = self._seen[key] = cond.sql(dialect=self.dialect)
        return got


def compile_plan(
    model: KPIFile,
    rel: Relation,
    dialect: str = "duckdb",
    grain: str | None = None,
    by: str | None = None,
) -> CompiledPlan:
    """The SELECT statements that compute every measured KPI per period (and member).

    Raises :class:`Untranslatable` for a KPI the engine cannot compute exactly. KPIs whose
    column or labels are absent, or whose filter the pandas evaluator refuses for the data's
    types, get the same ``problems`` text as ``compute_actuals`` gives them.
    """
    cap = DIALECTS[dialect]
    grain = grain or model.period
    fys = model.fiscal_year_start
    long = rel.layout == "long"
    measured, problems = _measure(model, rel, cap)

    # Long tables: KPIs reading disjoint label sets share one GROUP BY over a slot number
    # (like the pandas path's slots), so each distinct aggregate is computed once per row
    # instead of once per KPI with a label filter.
    slots: dict[str, int] = {}
    slot_sets: list[tuple[str, ...]] = []
    if long and measured:
        distinct = list(dict.fromkeys(mz.labels for mz in measured))
        if all(not set(a) & set(b) for i, a in enumerate(distinct) for b in distinct[i + 1 :]):
            slot_sets = distinct
            slots = {mz.kpi_id: distinct.index(mz.labels) for mz in measured}

    pk = _period_key(rel, grain, fys, cap)
    ordered = rel.row_order is not None and any(mz.how in ("first", "last") for mz in measured)
    source = rel.ordered_source if ordered and rel.ordered_source is not None else rel.source
    inner_cols: list[exp.Expression] = [exp.Star(), pk.as_("kpicli_period")]
    if ordered:
        # Pseudo-columns (ctid, rowid) are not part of *: carry the row order by name.
        assert rel.row_order is not None
        inner_cols.append(rel.row_order.copy().as_("kpicli_order"))
    by_label = (
        bool(slot_sets)
        and rel.columns.get(rel.kpi_column or "") == "text"
        and all(len(labels) == 1 for labels in slot_sets)
    )
    slot_labels = {labels[0]: j for j, labels in enumerate(slot_sets)} if by_label else None
    if by_label:
        inner_cols.append(_col(rel.kpi_column or "").as_("kpicli_slot"))
    elif slot_sets:
        kc = _col(rel.kpi_column or "")
        inner_cols.append(
            exp.Case(
                ifs=[
                    exp.If(
                        this=exp.In(this=kc, expressions=[exp.Literal.string(x) for x in labels]),
                        true=exp.Literal.number(j),
                    )
                    for j, labels in enumerate(slot_sets)
                ]
            ).as_("kpicli_slot")
        )
    member: exp.Expression | None = None
    if by is not None:
        mkind = rel.columns.get(by)
        m = _col(by)
        # Text members are trimmed like the file readers do; numbers are spelled as floats.
        member = exp.Trim(this=m) if mkind == "text" else (_double(m) if mkind in _NUMERIC else m)
        inner_cols.append(member.as_("kpicli_member"))
    where = _not_null(_col(rel.date_column))
    if slot_sets and not (by_label and set(rel.labels) <= set(slot_labels or ())):
        used = [exp.Literal.string(x) for labels in slot_sets for x in labels]
        where = _and(where, exp.In(this=_col(rel.kpi_column or ""), expressions=used))
    inner = exp.select(*inner_cols).from_(source).where(where).subquery("kpicli_rows")
    period_ref = _col("kpicli_period")
    member_ref = _col("kpicli_member")
    slot_ref = _col("kpicli_slot")
    has_target = long and rel.target_column is not None
    outputs: dict[str, dict[str, tuple[int, int]]] = {mz.kpi_id: {} for mz in measured}
    texts = _Texts(cap.dialect)

    def build(qi: int, percentiles: bool) -> Query | None:
        cols: list[tuple[str, str | None]] = [("period", None)]
        select: list[exp.Expression] = [period_ref]
        if by is not None:
            cols += [("member", None), ("grouping", None)]
            select += [member_ref, exp.Anonymous(this="GROUPING", expressions=[member_ref])]
        if slot_sets:
            cols.append(("slot", None))
            select.append(slot_ref)
        seen: dict[Any, int] = {}
        parts: dict[int, Part | None] = {}

        def add(key: Any, e: exp.Expression, part: Part | None = None) -> int:
            # ``key`` names what ``e`` computes (aggregate, operand and condition as SQL
            # text): equal keys are the same expression, computed once.
            if key not in seen:
                seen[key] = len(select)
                parts[len(select)] = part
                select.append(e)
                cols.append(("expr", None))
            return seen[key]

        any_kpi = False
        for mz in measured:
            is_pct = mz.how == "median" or bool(_PCT.match(mz.how))
            x = numeric_value(mz.column, mz.kind) if mz.kind in _NUMERIC | {"bool"} else _col(mz.column)
            raw = raw_value(mz.column, mz.kind)
            x_sql = texts.operand(mz.column, mz.kind, x)
            raw_sql = texts.operand(mz.column, mz.kind, raw, raw=True)
            label_cond = None if slot_sets else mz.label_cond
            cond = _and(label_cond, mz.filter_cond)
            # What the output is over the rows of a group: labels (when the group holds other
            # KPIs' rows too), the aggregate, its value and filter (as SQL text).
            fk = texts.condition(mz.filter_cond)
            own = mz.labels if label_cond is not None else None
            cond_key = (own, fk)
            if is_pct == percentiles:
                part = (
                    Part(mz.how, raw_sql if mz.how == "count" else x_sql, fk, own)
                    if mz.how in DECOMPOSABLE
                    else None
                )
                operand = raw_sql if mz.how in ("count", "nunique") else x_sql
                try:
                    outputs[mz.kpi_id]["value"] = (
                        qi,
                        add(("agg", mz.how, operand, cond_key),
                            _aggregate(mz.how, x, raw, cond, rel, cap), part),
                    )
                except _Refuse as exc:
                    raise Untranslatable(
                        f"KPI {mz.kpi_id!r}: aggregate {mz.how!r} cannot be computed exactly in "
                        f"{cap.name}: {exc}; use data.engine: pandas for this file",
                        mz.kpi_id,
                        mz.index,
                        ("measure", "aggregate"),
                    ) from None
                any_kpi = True
            if percentiles:
                continue
            counted, counted_sql = (
                (raw, raw_sql) if mz.how in ("count", "nunique") else (x, x_sql)
            )
            outputs[mz.kpi_id]["count"] = (
                qi,
                add(
                    ("agg", "count", counted_sql, cond_key),
                    _aggregate("count", counted, counted, cond, rel, cap),
                    Part("count", counted_sql, fk, own),
                ),
            )
            if slot_sets:
                outputs[mz.kpi_id]["rows"] = (
                    qi, add(("rows", None), exp.Count(this=exp.Star()), Part("rows", "", "", None))
                )
            elif mz.label_cond is not None:
                rows = exp.Filter(
                    this=exp.Count(this=exp.Star()), expression=exp.Where(this=mz.label_cond)
                )
                outputs[mz.kpi_id]["rows"] = (
                    qi, add(("rows", mz.labels), rows, Part("rows", "", "", own))
                )
            if has_target:
                t = numeric_value(rel.target_column or "", rel.columns[rel.target_column or ""])
                t_sql = texts.operand(rel.target_column or "", "target", t)
                additive = mz.how in _ADDITIVE
                agg = exp.Sum(this=t) if additive else exp.Avg(this=t)
                target = exp.Filter(this=agg, expression=exp.Where(this=cond)) if cond else agg
                outputs[mz.kpi_id]["target"] = (
                    qi,
                    add(("target", additive, t_sql, cond_key), target,
                        Part("sum" if additive else "mean", t_sql, fk, own)),
                )
            any_kpi = True
        if not any_kpi and percentiles:
            return None
        aliased = [e.as_(f"c{j}") for j, e in enumerate(select)]
        q = exp.select(*aliased).from_(inner)
        keys = [period_ref] + ([slot_ref] if slot_sets else [])
        if by is not None:
            q.set(
                "group",
                exp.Group(
                    grouping_sets=[
                        exp.GroupingSets(
                            expressions=[
                                exp.Tuple(expressions=[k.copy() for k in keys]),
                                exp.Tuple(expressions=[*[k.copy() for k in keys], member_ref]),
                            ]
                        )
                    ]
                ),
            )
        else:
            q = q.group_by(*keys)
        return Query(q, cap.dialect, cols, parts)

    queries = [build(0, False)]
    pct = build(1, True)
    if pct is not None:
        queries.append(pct)
    return CompiledPlan(
        queries=[q for q in queries if q is not None],
        problems=problems,
        grain=grain,
        fiscal_year_start=fys,
        by=by,
        week_keys=grain == "week",
        has_target=has_target,
        measured=[m.kpi_id for m in measured],
        outputs=outputs,
        slots=slots,
        slot_labels=slot_labels,
        slot_sets=slot_sets,
    )


# ------------------------------------------------------------ one scan: per-day partials


def entry_partials(
    model: KPIFile, rel: Relation, dialect: str = "duckdb"
) -> dict[tuple[str, str, str], exp.Expression] | None:
    """The partial aggregates (over the rows of one entry: a day, and a label of a long table)
    from which :func:`from_partials` computes the aggregation query of a plan without
    scanning the rows again; keyed by (sum | count | min | max, value, filter) as SQL text,
    the keys of :class:`Part`. None when some KPI's aggregate does not decompose (nunique,
    first/last) or cannot be compiled: the plan's own queries then run as they are.

    Percentile KPIs keep their own query; their counts (and targets) come from the partials.
    The labels of a long table are not known yet: every KPI is taken as present (the plan
    compiled later measures a subset of these KPIs with the same value and filter SQL)."""
    cap = DIALECTS[dialect]
    if rel.layout == "long":
        wanted = tuple(dict.fromkeys(x for kpi in model.kpis for x in sorted(kpi.labels)))
        rel = replace(rel, labels=wanted)
    try:
        measured, _ = _measure(model, rel, cap)
    except Untranslatable:
        return None  # the plan compiled for the report raises it where it is located
    if not measured:
        return None
    has_target = rel.layout == "long" and rel.target_column is not None
    out: dict[tuple[str, str, str], exp.Expression] = {}
    builders: dict[str, Callable[[exp.Expression], exp.Expression]] = {
        "sum": lambda e: exp.Sum(this=e),
        "count": lambda e: exp.Count(this=e),
        "min": lambda e: exp.Min(this=e),
        "max": lambda e: exp.Max(this=e),
    }
    texts = _Texts(cap.dialect)
    for mz in measured:
        is_pct = mz.how == "median" or bool(_PCT.match(mz.how))
        if not is_pct and mz.how not in DECOMPOSABLE:
            return None
        x = numeric_value(mz.column, mz.kind) if mz.kind in _NUMERIC | {"bool"} else _col(mz.column)
        raw = raw_value(mz.column, mz.kind)
        x_sql = texts.operand(mz.column, mz.kind, x)
        raw_sql = texts.operand(mz.column, mz.kind, raw, raw=True)
        cond = mz.filter_cond
        ck = texts.condition(cond)
        wants: list[tuple[str, exp.Expression, str]] = []
        if not is_pct:
            wants += [
                (base, *((raw, raw_sql) if mz.how == "count" else (x, x_sql)))
                for base in (["sum", "count"] if mz.how == "mean" else [mz.how])
            ]
        wants.append(("count", *((raw, raw_sql) if mz.how in ("count", "nunique") else (x, x_sql))))
        if has_target:
            t = numeric_value(rel.target_column or "", rel.columns[rel.target_column or ""])
            t_sql = texts.operand(rel.target_column or "", "target", t)
            wants.append(("sum", t, t_sql))
            if mz.how not in _ADDITIVE:
                wants.append(("count", t, t_sql))
        for base, e, e_sql in wants:
            key = (base, e_sql, ck)
            if key not in out:
                agg = builders[base](e.copy())
                out[key] = (
                    exp.Filter(this=agg, expression=exp.Where(this=cond.copy()))
                    if cond is not None
                    else agg
                )
    return out


def period_keys(days: np.ndarray, plan: CompiledPlan) -> np.ndarray:
    """The period key the compiled queries give rows of these days (datetime64, none
    missing; ``_period_key``): the week's Monday, or the month ordinal of the first month of
    the (fiscal) month, quarter or year."""
    day = np.asarray(days, dtype="datetime64[ns]").astype("datetime64[D]")  # floors
    if plan.week_keys:
        n = day.astype(np.int64)
        monday = n - (n + 3) % 7  # 1970-01-01, day 0, was a Thursday
        return monday.astype("datetime64[D]").astype("datetime64[ns]")
    m = day.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    span = {"month": 1, "quarter": 3, "year": 12}[plan.grain]
    if span > 1:
        m = m - (m - (plan.fiscal_year_start - 1) % span) % span
    return m


def from_partials(
    plan: CompiledPlan,
    query: Query,
    entries: Mapping[str, np.ndarray],
    partials: Mapping[tuple[str, str, str], str],
) -> pd.DataFrame | None:
    """The rows ``query`` (a plan's aggregation query, without ``--by``) returns, computed
    from the profiling query's per-day (and label) rows instead of scanning the source
    again: ``entries`` holds arrays ``day`` (datetime64, NaT for none), ``label`` (long
    tables), ``n`` (rows) and one float array per partial aggregate (``partials`` maps its
    key to the array's name).

    The same groups (periods, and slots of a long table's labels) and, per group, sums of
    partial sums and counts, minima of minima, maxima of maxima: equal to the query's values
    up to floating-point rounding of the sums. None when the query has an output the
    partials cannot give (the caller runs the query)."""
    if plan.by is not None:
        return None
    roles = [r for r, _ in query.columns]
    needed: list[tuple[int, Part]] = []
    for j, role in enumerate(roles):
        if role != "expr":
            continue
        part = query.parts.get(j)
        if part is None or any(b not in partials for b in part.bases()):
            return None
        needed.append((j, part))
    if roles[0] != "period" or any(r not in ("period", "slot", "expr") for r in roles):
        return None
    dated = ~np.isnat(entries["day"])
    e = {name: values[dated] for name, values in entries.items()}
    keys: dict[str, Any] = {"k0": period_keys(e["day"], plan)}
    # The labels as codes into their few distinct values: slots and label tests are looked
    # up once per distinct label, not per row.
    codes, uniques = (
        pd.factorize(e["label"]) if "label" in e else (np.zeros(0, np.int64), np.array([]))
    )
    if "slot" in roles:
        assert "label" in e
        of = (
            plan.slot_labels
            if plan.slot_labels is not None
            else {x: j for j, labels in enumerate(plan.slot_sets) for x in labels}
        )
        slot_of = np.array([of.get(u, np.nan) for u in uniques], dtype="float64")
        slot = np.where(codes >= 0, slot_of[codes] if len(slot_of) else np.nan, np.nan)
        keep = ~np.isnan(slot)
        # Rows of labels no KPI reads (or no label) have no slot: the query leaves them out.
        e = {name: values[keep] for name, values in e.items()}
        codes = codes[keep]
        keys = {"k0": keys["k0"][keep], "k1": slot[keep]}
        if plan.slot_labels is not None:  # the query's slot column holds the label itself
            keys["k1"] = e["label"]
    n = e["n"]
    cols: dict[str, np.ndarray] = dict(keys)

    def contribution(name: str, labels: tuple[str, ...] | None, empty: float) -> str:
        col = f"{name}|{labels}"
        if col not in cols:
            v = n if name == "n" else e[name]
            if labels is not None:
                wanted = [k for k, u in enumerate(uniques) if u in set(labels)]
                v = np.where(np.isin(codes, wanted), v, empty)
            cols[col] = v
        return col

    how_of: dict[str, str] = {}
    recipe: list[tuple[int, str, str, str | None]] = []  # (j, how, column, count column)
    for j, part in needed:
        if part.how == "rows":
            c = contribution("n", part.labels, 0.0)
            how_of[c] = "sum0"
            recipe.append((j, "sum0", c, None))
            continue
        bases = part.bases()
        c = contribution(partials[bases[0]], part.labels, np.nan)
        base = bases[0][0]
        how_of[c] = {"sum": "sum", "count": "sum0", "min": "min", "max": "max"}[base]
        if part.how == "mean":
            k = contribution(partials[bases[1]], part.labels, np.nan)
            how_of[k] = "sum0"
            recipe.append((j, "mean", c, k))
        else:
            recipe.append((j, how_of[c], c, None))
    frame = pd.DataFrame(cols)
    by = list(keys)
    grouped = frame.groupby(by, sort=False)
    done: dict[str, pd.Series] = {}
    for col, how in how_of.items():
        g = grouped[col]
        if how == "sum":  # no value when no row passed (SQL's SUM over no row is NULL)
            done[col] = g.sum(min_count=1)
        elif how == "sum0":
            done[col] = g.sum()
        elif how == "min":
            done[col] = g.min()
        else:
            done[col] = g.max()
    index = grouped.size().index
    out: dict[str, Any] = {}
    for j, role in enumerate(roles):
        if role == "period":
            out[f"c{j}"] = index.get_level_values(0) if len(by) > 1 else index
        elif role == "slot":
            out[f"c{j}"] = index.get_level_values(1)
    for j, how, c, k in recipe:
        v = done[c].reindex(index).to_numpy(dtype="float64")
        if how == "mean":
            cnt = done[k].reindex(index).to_numpy(dtype="float64")  # type: ignore[index]
            with np.errstate(invalid="ignore", divide="ignore"):
                v = np.where(cnt > 0, v / np.where(cnt > 0, cnt, 1.0), np.nan)
        out[f"c{j}"] = v
    return pd.DataFrame({f"c{j}": np.asarray(out[f"c{j}"]) for j in range(len(roles))})


# ----------------------------------------------------------------------------- the results


def _member_names(values: pd.Series) -> pd.Series:
    """Member names exactly as compute_actuals spells them (text, stripped, '(blank)')."""
    return values.astype("string").fillna("(blank)").str.strip().astype(object)


def period_ordinals(keys: pd.Series, plan: CompiledPlan) -> np.ndarray:
    """Period keys (month ordinals, or week start dates) as pandas Period ordinals."""
    f = P.freq(plan.grain, plan.fiscal_year_start)
    if plan.week_keys:
        return pd.DatetimeIndex(pd.to_datetime(keys)).to_period(f).asi8
    m = keys.to_numpy(dtype=np.int64)
    if plan.grain == "month":
        return m - 1970 * 12  # a monthly Period's ordinal counts months from 1970-01
    starts = pd.to_datetime(
        pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1})
    )
    return pd.DatetimeIndex(starts).to_period(f).asi8


def assemble(
    model: KPIFile,
    plan: CompiledPlan,
    results: Sequence[pd.DataFrame],
    date_range: tuple[Any, Any] | None,
) -> Actuals:
    """The rows of the plan's queries (one DataFrame per query, in output order) as Actuals.

    ``date_range`` is the source's first and last date (all rows), which spans the periods.

    The rows are a few hundred (periods × slots, × members with ``--by``): they are keyed
    and placed with numpy, and each of the three frames is built once (as the pandas path
    builds them: rows sorted overall first, then members, then periods).
    """
    f = P.freq(plan.grain, plan.fiscal_year_start)
    group = period = slot = np.zeros(0)
    data: dict[tuple[int, int], np.ndarray] = {}
    for qi, (query, frame) in enumerate(zip(plan.queries, results, strict=True)):
        column = [frame.iloc[:, j] for j in range(frame.shape[1])]
        roles = [r for r, _ in query.columns]
        n = len(frame)
        q_period = period_ordinals(column[0], plan) if n else np.array([], np.int64)
        if plan.by is not None:
            grouping = column[roles.index("grouping")].to_numpy(dtype=np.int64)
            names = (
                _member_names(column[roles.index("member")])
                if n
                else pd.Series([], dtype=object)
            )
            q_group = np.where(grouping == 1, OVERALL, names.to_numpy(dtype=object))
        else:
            q_group = np.full(n, OVERALL, dtype=object)
        if "slot" in roles and plan.slot_labels is not None:
            # Grouped by the label: its slot (no slot for a label no KPI reads, or none).
            q_slot = (
                column[roles.index("slot")].map(plan.slot_labels).to_numpy(
                    dtype="float64", na_value=np.nan
                )
                if n
                else np.array([], dtype="float64")
            )
        elif "slot" in roles:
            q_slot = pd.to_numeric(column[roles.index("slot")]).to_numpy(
                dtype="float64", na_value=np.nan
            )
        else:
            q_slot = np.full(n, -1.0)
        keep = ~np.isnan(q_slot)  # rows of labels no KPI reads
        q_group, q_period, q_slot = q_group[keep], q_period[keep], q_slot[keep]
        keys = list(zip(q_group.tolist(), q_period.tolist(), q_slot.tolist(), strict=True))
        if len(set(keys)) != len(keys):
            raise ValueError(
                "members of the breakdown column differ only in spaces or type; use "
                "data.engine: pandas"
            )
        exprs = {
            (qi, j): pd.to_numeric(column[j], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )[keep]
            for j, role in enumerate(roles)
            if role == "expr"
        }
        if qi == 0:
            group, period, slot = q_group, q_period, q_slot
            data.update(exprs)
            first = keys
            continue
        # A later query's rows joined to the first query's (left join on group/period/slot).
        at = {key: i for i, key in enumerate(keys)}
        pos = np.array([at.get(key, -1) for key in first], dtype=np.int64)
        found = pos >= 0
        for name, values in exprs.items():
            joined = np.full(len(first), np.nan)
            joined[found] = values[pos[found]]
            data[name] = joined
    values: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    targets: dict[str, np.ndarray] = {}
    where: dict[str, np.ndarray] = {}  # KPI id -> the rows (of the first query) it has
    kpis = {k.id: k for k in model.kpis}
    for kid in plan.measured:
        rows_of = np.flatnonzero(slot == float(plan.slots.get(kid, -1)))
        out = plan.outputs[kid]

        def col(role: str, rows_of: np.ndarray = rows_of, out: dict = out) -> np.ndarray | None:
            return data[out[role]][rows_of] if role in out else None

        rows = col("rows")
        present = rows > 0 if rows is not None else np.ones(len(rows_of), dtype=bool)
        val = col("value")
        assert val is not None
        if default_aggregate(kpis[kid], model) in _ADDITIVE:
            val[np.isnan(val) & present] = 0.0
        cnt = col("count")
        assert cnt is not None
        where[kid] = rows_of[present]
        values[kid] = val[present]
        counts[kid] = np.nan_to_num(cnt[present])
        tv = col("target")
        if plan.has_target and tv is not None:
            targets[kid] = tv[present]
    problems = dict(plan.problems)
    if not values:  # no KPI measured (each one's column or filter refused for the data)
        idx = pd.MultiIndex.from_arrays([[], []], names=["group", "period"])
        vals, cnts, tgts = pd.DataFrame(index=idx), pd.DataFrame(index=idx), pd.DataFrame(index=idx)
    else:
        # The (group, period) rows of any KPI, overall first, then members by name, then
        # periods: as codes (member rank, period) sorted by np.unique.
        used = np.unique(np.concatenate(list(where.values()))) if where else np.zeros(0, int)
        ranks = sorted(set(group[used].tolist()), key=lambda g: (g != OVERALL, str(g)))
        rank_of = {g: r for r, g in enumerate(ranks)}
        rank = np.array([rank_of.get(g, -1) for g in group.tolist()], dtype=np.int64)
        lo_period = int(period[used].min()) if len(used) else 0
        span = (int(period[used].max()) - lo_period + 1) if len(used) else 1
        code = rank * span + (period.astype(np.int64) - lo_period)
        order, position = np.unique(code[used], return_inverse=True)
        row_at = dict(zip(used.tolist(), position.tolist(), strict=True))
        first_row = np.empty(len(order), dtype=np.int64)
        first_row[position] = used
        index = pd.MultiIndex.from_arrays(
            [
                pd.Index(np.asarray(group[first_row], dtype=object), dtype="str"),
                pd.Index(np.asarray(period[first_row], dtype=np.int64), dtype="int64"),
            ],
            names=["group", "period"],
        )

        def placed(columns: dict[str, np.ndarray]) -> pd.DataFrame:
            out = {}
            for kid, got in columns.items():
                full = np.full(len(order), np.nan)
                full[[row_at[r] for r in where[kid].tolist()]] = got
                out[kid] = full
            return pd.DataFrame(out, index=index) if out else pd.DataFrame({}).reindex(index=index)

        vals, cnts, tgts = placed(values), placed(counts), placed(targets)
    vals = _with_formulas(model, vals, problems)
    if date_range is not None and date_range[0] is not None and not pd.isna(date_range[0]):
        lo = pd.Period(pd.Timestamp(date_range[0]), freq=f)
        hi = pd.Period(pd.Timestamp(date_range[1]), freq=f)
        periods = pd.period_range(lo, hi, freq=f)
    else:
        periods = pd.PeriodIndex([], freq=f)
    return Actuals(
        grain=plan.grain,
        fiscal_year_start=plan.fiscal_year_start,
        by=plan.by,
        values=vals,
        counts=cnts.reindex(index=vals.index),
        targets=tgts.reindex(index=vals.index),
        periods=periods,
        problems=problems,
    )


Executor = Callable[[str], pd.DataFrame]
