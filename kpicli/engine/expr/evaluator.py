"""Evaluation: a validated syntax tree computed over whole columns (vectorised, no row loop).

Contract: :func:`evaluate` walks an :class:`~kpicli.engine.expr.parser.Expression` once,
computing a whole Series (or a scalar) at each node; names are looked up only in the namespace
the caller gives (never builtins), with a did-you-mean for unknown ones. A filter gives a bool
Series, a formula a float64 Series, with the semantics the package docstring states. Function
calls are prepared by the function's kind and computed by its implementation in the function
table. :func:`formula_namespace` maps the accepted spellings of KPI ids to the ids. The parser
imports this module (``Expression.evaluate``), never the other way round.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpicli.engine.expr.functions import FUNCTIONS
from kpicli.engine.expr.syntax import BINOPS, CMPOPS, IDENT_RE, ExpressionError, constant_value
from kpicli.engine.expr.values import (
    BOOL,
    DATE,
    KIND_WORDS,
    MIXED,
    NONE,
    NUMBER,
    OP_ERRORS,
    OTHER,
    TEXT,
    align,
    all_missing,
    as_bools,
    as_floats,
    broadcast,
    comparable,
    first_index,
    is_missing,
    kind_of,
    logical_not,
    no_inf,
    prepare,
    scalar_kind,
    series_kind,
    where_present,
)

if TYPE_CHECKING:
    from kpicli.engine.expr.parser import Expression


def evaluate(expression: Expression, namespace: Mapping[str, Any]) -> Any:
    """``expression`` over ``namespace``: see :meth:`Expression.evaluate`."""
    evaluator = Evaluator(expression, namespace)
    tree = expression._tree
    with np.errstate(all="ignore"):
        value = evaluator.eval(tree.body)
        if expression.kind == "filter":
            return evaluator.truth(value, tree.body, what="a filter")
        return evaluator.formula_result(value, tree.body)


def formula_namespace(ids: Iterable[str]) -> dict[str, str]:
    """Map every accepted spelling of each KPI id (the id; '-' and '.' as '_') to the id.

    An exact id always wins over another id's underscore spelling; an underscore spelling
    shared by two ids and matching neither exactly is left out (it would be ambiguous).
    """
    ids = list(dict.fromkeys(ids))
    mapping: dict[str, str] = {i: i for i in ids}
    alternates: dict[str, set[str]] = {}
    for kpi_id in ids:
        alt = _underscored(kpi_id)
        if alt != kpi_id and alt not in mapping:
            alternates.setdefault(alt, set()).add(kpi_id)
    for alt, owners in alternates.items():
        if len(owners) == 1:
            mapping[alt] = next(iter(owners))
    return mapping


def _underscored(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


class ColumnNamespace(Mapping[str, Any]):
    """A frame's columns by (string) name, fetched only when the expression uses them."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.columns = {str(c): c for c in frame.columns}

    def __getitem__(self, name: str) -> Any:
        return self.frame[self.columns[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self.columns


class Evaluator:
    """Walks a validated tree once, computing whole Series at each node."""

    def __init__(self, expression: Expression, namespace: Mapping[str, Any]) -> None:
        self.expression = expression
        self.source = expression._source
        self.namespace = namespace
        self.cache: dict[str, Any] = {}

    # -- errors and names

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, self.source.node_offset(node), self.expression.text)

    def describe(self, node: ast.AST) -> str:
        """How the user wrote ``node``, quoted and shortened for a message."""
        if isinstance(node, ast.Name):
            name = self.source.placeholders.get(node.id, node.id)
            return f"'{name}'"
        text = ast.unparse(node)
        for ident, name in self.source.placeholders.items():
            text = text.replace(ident, f"`{name}`")
        return text if len(text) <= 40 else text[:37] + "..."

    def lookup(self, node: ast.Name) -> Any:
        name = self.source.placeholders.get(node.id, node.id)
        if name in self.cache:
            return self.cache[name]
        value = self.namespace[self.resolve(name, node)]
        if isinstance(value, pd.DataFrame):
            raise self.fail(f"'{name}' names more than one column; rename them apart", node)
        if isinstance(value, pd.Series):
            value = prepare(value)
        elif scalar_kind(value) == OTHER:
            raise self.fail(
                f"'{name}' is a {type(value).__name__}, not a column or a single value", node
            )
        self.cache[name] = value
        return value

    def resolve(self, name: str, node: ast.AST) -> str:
        """The namespace key ``name`` refers to, or ExpressionError with a did-you-mean."""
        namespace = self.namespace
        if name in namespace:
            return name
        candidates = [unicodedata.normalize("NFKC", name)]  # the parser NFKC-normalises names
        if self.expression.kind == "formula":
            # KPI ids may contain '-' and '.': accept the underscore spelling either way round.
            candidates.append(_underscored(name))
            spellings = formula_namespace(str(k) for k in namespace)
            candidates += [spellings[c] for c in (name, _underscored(name)) if c in spellings]
        for candidate in candidates:
            if candidate in namespace:
                return candidate
        normalized = {unicodedata.normalize("NFKC", str(k)): k for k in namespace}
        if candidates[0] in normalized:
            return normalized[candidates[0]]
        raise self.fail(self.unknown_message(name), node)

    def unknown_message(self, name: str) -> str:
        what = "column" if self.expression.kind == "filter" else "KPI"
        message = f"unknown {what} '{name}'"
        if name.lower() in ("true", "false", "none", "null"):
            constant = {"true": "True", "false": "False"}.get(name.lower(), "None")
            return f"{message}: write {constant} with a capital letter"
        keys = [str(k) for k in self.namespace]
        matches = [k for k in keys if k.lower() == name.lower()]
        matches += difflib.get_close_matches(name, keys, n=3, cutoff=0.6)
        # 'resolution-time' written bare parses as 'resolution - time'.
        matches += [k for k in keys if re.match(rf"{re.escape(name)}[-. ]", k)]
        matches = list(dict.fromkeys(matches))[:3]
        if matches:
            shown = " or ".join(m if IDENT_RE.fullmatch(m) else f"`{m}`" for m in matches)
            return f"{message}; did you mean {shown}?"
        return f"{message} (names with spaces or symbols go in backticks: `First response`)"

    # -- dispatch

    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self.lookup(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"{type(node).__name__} is not allowed", node)  # validated away

    # -- conversions

    def number(self, value: Any, node: ast.AST, what: str) -> Any:
        """``value`` as float64 Series or float, or ExpressionError saying ``what`` needs one."""
        kind = kind_of(value)
        if isinstance(value, pd.Series):
            if kind in (NUMBER, BOOL):
                return as_floats(value)
            if all_missing(value):
                return pd.Series(np.nan, index=value.index, dtype="float64")
        elif kind in (NUMBER, BOOL):
            try:
                return float(value)
            except OverflowError:  # a Python int beyond float64 from the namespace
                return math.inf if value > 0 else -math.inf
        elif kind == NONE and value is not None:
            return math.nan  # a missing value from the namespace (NaN, pd.NA)
        raise self.fail(
            f"{what} needs numbers, but {self.describe(node)} is {KIND_WORDS[kind]}", node
        )

    def truth(self, value: Any, node: ast.AST, what: str = "'and', 'or' and 'not'") -> Any:
        """``value`` as a condition: bools as they are, numbers non-zero, missing False."""
        kind = kind_of(value)
        if isinstance(value, pd.Series):
            if kind == BOOL:
                return as_bools(value)
            if kind == NUMBER:
                data = value.to_numpy(dtype="float64", na_value=np.nan)
                return pd.Series((data != 0) & ~np.isnan(data), index=value.index)
            if all_missing(value):
                return pd.Series(False, index=value.index, dtype=bool)
        elif kind in (BOOL, NUMBER):
            return bool(value)
        elif kind == NONE:
            return False
        raise self.fail(
            f"{what} needs a condition, but {self.describe(node)} is {KIND_WORDS[kind]}; "
            "compare it, e.g. channel == 'email'",
            node,
        )

    def formula_result(self, value: Any, node: ast.AST) -> Any:
        result = self.number(value, node, "a formula")
        if isinstance(result, pd.Series):
            return no_inf(result).rename(None)
        return no_inf(result)

    # -- operators

    def binop(self, node: ast.BinOp) -> Any:
        symbol = BINOPS[type(node.op)]
        left = self.number(self.eval(node.left), node.left, f"'{symbol}'")
        right = self.number(self.eval(node.right), node.right, f"'{symbol}'")
        left, right = align(left, right)
        try:
            result = _ARITHMETIC[symbol](left, right)
        except OP_ERRORS as exc:
            raise self.fail(f"cannot compute {self.describe(node)}: {exc}", node) from None
        if isinstance(result, pd.Series):
            return no_inf(result)
        return no_inf(float(result))

    def unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return logical_not(self.truth(operand, node.operand))
        minus = isinstance(node.op, ast.USub)
        number = self.number(operand, node.operand, "'-'" if minus else "'+'")
        return -number if minus else number

    def boolop(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        values = [self.truth(self.eval(v), v) for v in node.values]
        series = [v for v in values if isinstance(v, pd.Series)]
        scalars = [v for v in values if not isinstance(v, pd.Series)]
        decided = all(scalars) if is_and else any(scalars)
        if not series:
            return decided
        if decided != is_and:  # a constant False in 'and' or True in 'or' decides every row
            return pd.Series(decided, index=series[0].index, dtype=bool)
        result = series[0]
        for other in series[1:]:
            result, other = align(result, other)
            # alignment of different indexes may introduce missing values: as_bools drops them
            result = as_bools((result & other) if is_and else (result | other))
        return result

    def compare(self, node: ast.Compare) -> Any:
        left_node: ast.AST = node.left
        left = self.eval(left_node)
        result: Any = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                values = [constant_value(e) for e in right_node.elts]  # type: ignore[attr-defined]
                step = self.membership(left, values, negate=isinstance(op, ast.NotIn))
                right: Any = values
            else:
                right = self.eval(right_node)
                step = self.compare_pair(
                    CMPOPS[type(op)], left, right, left_node, right_node, node
                )
            result = step if result is None else self.both(result, step)
            left, left_node = right, right_node
        return result

    @staticmethod
    def both(left: Any, right: Any) -> Any:
        """Element-wise 'and' of two comparison results (chained comparisons)."""
        if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
            return left and right
        if not isinstance(left, pd.Series):
            return right if left else pd.Series(False, index=right.index, dtype=bool)
        if not isinstance(right, pd.Series):
            return left if right else pd.Series(False, index=left.index, dtype=bool)
        left, right = align(left, right)
        return as_bools(left & right)

    def membership(self, left: Any, values: list[Any], *, negate: bool) -> Any:
        """``left in values`` / ``not in``; missing is in neither unless None is listed."""
        wants_missing = any(is_missing(v) for v in values)
        values = [v for v in values if not is_missing(v)]
        if not isinstance(left, pd.Series):
            if is_missing(left):
                return wants_missing != negate
            return (left in values) != negate
        kind = series_kind(left)
        # Keep only values of a comparable kind: pyarrow refuses mixed-type lookups, and
        # 'EU' can never equal a number anyway.
        if kind == TEXT:
            values = [v for v in values if isinstance(v, str)]
        elif kind in (NUMBER, BOOL):
            values = [v for v in values if not isinstance(v, str)]
        elif kind == DATE:
            try:
                values = list(pd.to_datetime([v for v in values if isinstance(v, str)]))
            except OP_ERRORS:
                values = []
        present = left.notna().to_numpy(dtype=bool)
        try:
            hits = left.isin(values).to_numpy(dtype=bool, na_value=False) & present
        except OP_ERRORS:
            hits = np.zeros(len(left), dtype=bool)
        if wants_missing:
            hits = hits | ~present
        if negate:
            hits = ~hits & present
        return pd.Series(hits, index=left.index)

    def compare_pair(
        self,
        symbol: str,
        left: Any,
        right: Any,
        left_node: ast.AST,
        right_node: ast.AST,
        node: ast.AST,
    ) -> Any:
        if symbol in ("is", "is not") or (
            symbol in ("==", "!=") and (left is None or right is None)
        ):
            # 'x is None' and 'x == None' both ask whether x is missing.
            value = left if right is None else right
            missing = (
                pd.Series(~where_present(value), index=value.index)
                if isinstance(value, pd.Series)
                else is_missing(value)
            )
            return missing if symbol in ("is", "==") else logical_not(missing)
        left, right = align(left, right)
        index = first_index(left, right)
        left_kind, right_kind = kind_of(left), kind_of(right)
        both = where_present(left) & where_present(right)
        if not comparable(left_kind, right_kind):
            if symbol in ("==", "!=") or all_missing(left) or all_missing(right):
                # Values of different kinds are never equal; missing values compare False.
                return broadcast(both if symbol == "!=" else False, index)
            raise self.fail(
                f"cannot compare {self.describe(left_node)} ({KIND_WORDS[left_kind]}) with "
                f"{self.describe(right_node)} ({KIND_WORDS[right_kind]}) using '{symbol}'",
                node,
            )
        try:
            raw = _COMPARISONS[symbol](left, right)
        except OP_ERRORS as exc:
            raise self.fail(
                f"cannot compare {self.describe(left_node)} with {self.describe(right_node)} "
                f"using '{symbol}': {exc}",
                node,
            ) from None
        if index is None:
            return not is_missing(raw) and bool(raw)
        return pd.Series(as_bools(raw).to_numpy() & both, index=index)

    # -- functions

    def call(self, node: ast.Call) -> Any:
        function = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        name = function.name
        if function.kind == "text test":
            needle: str = node.args[1].value  # type: ignore[attr-defined]
            value = self.eval(node.args[0])
            text = self.text_value(value, node.args[0], name)
            if text is None:
                return broadcast(False, first_index(value))
            return function.implementation(text, needle)
        args = [self.eval(a) for a in node.args]
        if function.kind == "missing test":
            return function.implementation(broadcast(where_present(args[0]), first_index(args[0])))
        if function.kind == "text":
            text = self.text_value(args[0], node.args[0], name)
            if text is None:
                index = first_index(args[0])
                return None if index is None else pd.Series(np.nan, index=index, dtype="float64")
            return function.implementation(text)
        numbers = [self.number(a, n, f"{name}()") for a, n in zip(args, node.args, strict=True)]
        try:
            result = function.implementation(*numbers)
        except OP_ERRORS as exc:
            raise self.fail(f"cannot compute {self.describe(node)}: {exc}", node) from None
        if isinstance(result, pd.Series):
            return no_inf(as_floats(result))
        return no_inf(float(result))

    def text_value(self, value: Any, node: ast.AST, name: str) -> Any:
        """``value`` as text (Series or str), or None when it is entirely missing."""
        kind = kind_of(value)
        if kind in (TEXT, MIXED):
            return value
        if all_missing(value):
            return None
        raise self.fail(
            f"{name}() needs text, but {self.describe(node)} is {KIND_WORDS[kind]}", node
        )


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "//": np.floor_divide,
    "%": np.mod,  # np.mod follows Python: the result takes the sign of the divisor
    "**": np.power,
}

_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
