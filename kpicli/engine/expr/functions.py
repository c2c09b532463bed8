"""The function table of the expression language: one :class:`Function` entry per function.

Contract: :data:`FUNCTIONS` is the only place that knows the functions. The checks read a
function's name and arity from it and run its static ``check`` while parsing; the evaluator
prepares the arguments by the function's ``kind`` and calls its vectorised
``implementation``; the SQL compiler (kpicli/engine/sqlplan.py) renders every function whose
``sql_refusal`` is None and refuses the others with that reason; docs/expressions.md is
:func:`functions_markdown` (a test keeps the committed copy, and the SQL compiler's coverage,
in step with the table).

Kinds, i.e. what the evaluator hands the implementation and what comes back:

* ``numeric``: every argument as float64 numbers (a Series or a float); the result is a
  number, and an infinity becomes missing.
* ``text``: the first argument as text (a Series or a str); an argument that is entirely
  missing gives missing without calling the implementation.
* ``text test``: the first argument as text and the second, quoted text; the result is a
  condition, False where the text is missing.
* ``missing test``: whether the argument is present (a bool ndarray-backed Series or a bool);
  the result is a condition.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from kpicli.engine.expr.syntax import MAX_NODES, ExpressionError, constant_value
from kpicli.engine.expr.values import align, as_bools, as_floats, logical_not

FunctionKind = Literal["numeric", "text", "text test", "missing test"]
Returns = Literal["number", "text", "condition"]
# How a check reports a problem: the message and the node it is about (for the caret).
Fail = Callable[[str, ast.AST], ExpressionError]

VARIADIC = MAX_NODES  # max_args of a function that takes any number of arguments


@dataclass(frozen=True)
class Function:
    """One function of the expression language: everything kpicli knows about it."""

    name: str
    params: tuple[str, ...]  # argument names, for the documentation
    min_args: int
    max_args: int  # VARIADIC: any number
    kind: FunctionKind
    returns: Returns
    implementation: Callable[..., Any]  # vectorised: Series in, Series out (scalars too)
    check: Callable[[ast.Call, Fail], None]  # static check of a call, after the arity
    doc: str  # one line for docs/expressions.md
    example: str  # a `where` filter using it, over columns channel (text), score, handled
    sql_refusal: str | None = None  # why SQL engines cannot compute it exactly; None: they can

    def signature(self) -> str:
        """How the documentation writes a call: ``round(x[, digits])``, ``min(a, b, ...)``."""
        required = ", ".join(self.params[: self.min_args])
        optional = "".join(f"[, {p}]" for p in self.params[self.min_args : self.max_args])
        more = ", ..." if self.max_args == VARIADIC else ""
        return f"{self.name}({required}{optional}{more})"

    def arity_problem(self, count: int) -> str | None:
        """The message for a call with ``count`` arguments, or None when the count is right."""
        low, high = self.min_args, self.max_args
        if low <= count <= high:
            return None
        wanted = str(low) if low == high else f"{low} to {high}"
        if high == VARIADIC:
            wanted = f"at least {low}"
        return f"{self.name}() takes {wanted} argument(s), got {count}"


# ------------------------------------------------------------------------ static checks


def any_values(node: ast.Call, fail: Fail) -> None:
    """No static constraint: argument kinds are checked against the data when evaluated."""


def quoted_second_argument(node: ast.Call, fail: Fail) -> None:
    # The text searched for is part of the definition, never a column: it keeps the SQL
    # translation to a literal and the pandas path free of regex or per-row needles.
    second = node.args[1]
    if not (isinstance(second, ast.Constant) and isinstance(second.value, str)):
        raise fail(f"the second argument of {node.func.id}() must be quoted text", second)  # type: ignore[attr-defined]


def whole_digits(node: ast.Call, fail: Fail) -> None:
    if len(node.args) == 2:
        digits = constant_value(node.args[1])
        if isinstance(digits, bool) or not isinstance(digits, int) or abs(digits) > 15:
            raise fail(
                "the digits of round() must be a whole number between -15 and 15", node.args[1]
            )


# ---------------------------------------------------------------------- implementations


def _log(x: Any, base: Any = None) -> Any:
    return np.log(x) if base is None else np.log(x) / np.log(base)


def _round(x: Any, digits: float = 0) -> Any:
    return np.round(x, int(digits))


def _reduce(ufunc: np.ufunc) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        result = args[0]
        for arg in args[1:]:
            result, arg = align(result, arg)
            result = ufunc(result, arg)
        return result

    return apply


def _absent(present: Any) -> Any:
    return logical_not(present)


def _present(present: Any) -> Any:
    return present


def _contains(text: Any, needle: str) -> Any:
    if isinstance(text, pd.Series):
        return as_bools(text.str.contains(needle, case=False, regex=False, na=False))
    return needle.lower() in text.lower()


def _startswith(text: Any, needle: str) -> Any:
    if isinstance(text, pd.Series):
        return as_bools(text.str.lower().str.startswith(needle.lower(), na=False))
    return text.lower().startswith(needle.lower())


def _endswith(text: Any, needle: str) -> Any:
    if isinstance(text, pd.Series):
        return as_bools(text.str.lower().str.endswith(needle.lower(), na=False))
    return text.lower().endswith(needle.lower())


def _lower(text: Any) -> Any:
    return text.str.lower() if isinstance(text, pd.Series) else text.lower()


def _upper(text: Any) -> Any:
    return text.str.upper() if isinstance(text, pd.Series) else text.upper()


def _length(text: Any) -> Any:
    return as_floats(text.str.len()) if isinstance(text, pd.Series) else len(text)


# ---------------------------------------------------------------------------- the table

_ROUND_IN_SQL = (
    "round() rounds half to even in kpicli (like Python and pandas); SQL engines round half "
    "away from zero"
)


def _table(*functions: Function) -> Mapping[str, Function]:
    return MappingProxyType({f.name: f for f in functions})  # read-only: one table for all


# The order is the order messages and the documentation list the functions in.
FUNCTIONS: Mapping[str, Function] = _table(
    Function("abs", ("x",), 1, 1, "numeric", "number", np.abs, any_values,
             "the absolute value of x", "abs(handled - 5) <= 2"),
    Function("round", ("x", "digits"), 1, 2, "numeric", "number", _round, whole_digits,
             "x rounded to a whole number, or to `digits` decimals (a whole number from -15 to "
             "15); halves go to the even neighbour, like Python and pandas (round(2.5) is 2)",
             "round(score) > 2", sql_refusal=_ROUND_IN_SQL),
    # fmin/fmax skip NaN, like Excel's MIN/MAX skip blanks
    Function("min", ("a", "b"), 2, VARIADIC, "numeric", "number", _reduce(np.fmin), any_values,
             "the smallest of its arguments; a missing argument is skipped, like a blank in "
             "Excel's MIN", "min(score, handled) >= 2"),
    Function("max", ("a", "b"), 2, VARIADIC, "numeric", "number", _reduce(np.fmax), any_values,
             "the largest of its arguments; a missing argument is skipped, like a blank in "
             "Excel's MAX", "max(score, handled) < 6"),
    Function("log", ("x", "base"), 1, 2, "numeric", "number", _log, any_values,
             "the natural logarithm of x, or the logarithm to `base`; missing where x is zero "
             "or negative", "log(handled, 2) >= 1"),
    Function("sqrt", ("x",), 1, 1, "numeric", "number", np.sqrt, any_values,
             "the square root of x; missing where x is negative", "sqrt(handled - 3) > 1"),
    Function("isnull", ("x",), 1, 1, "missing test", "condition", _absent, any_values,
             "true where x is missing (the same as x is None)", "isnull(channel)"),
    Function("notnull", ("x",), 1, 1, "missing test", "condition", _present, any_values,
             "true where x is present (the same as x is not None)", "notnull(score)"),
    Function("isna", ("x",), 1, 1, "missing test", "condition", _absent, any_values,
             "the same as isnull(x), as pandas spells it", "isna(score)"),
    Function("notna", ("x",), 1, 1, "missing test", "condition", _present, any_values,
             "the same as notnull(x), as pandas spells it", "notna(channel)"),
    Function("contains", ("text", "'part'"), 2, 2, "text test", "condition", _contains,
             quoted_second_argument,
             "true where text contains the quoted part, ignoring case", "contains(channel, 'MA')"),
    Function("startswith", ("text", "'part'"), 2, 2, "text test", "condition", _startswith,
             quoted_second_argument,
             "true where text starts with the quoted part, ignoring case",
             "startswith(channel, 'PH')"),
    Function("endswith", ("text", "'part'"), 2, 2, "text test", "condition", _endswith,
             quoted_second_argument,
             "true where text ends with the quoted part, ignoring case",
             "endswith(channel, 'mail')"),
    Function("lower", ("text",), 1, 1, "text", "text", _lower, any_values,
             "the text in lower case", "lower(channel) == 'email'"),
    Function("upper", ("text",), 1, 1, "text", "text", _upper, any_values,
             "the text in upper case", "upper(channel) == 'EMAIL'"),
    Function("len", ("text",), 1, 1, "text", "number", _length, any_values,
             "the number of characters of the text", "len(channel) > 4"),
)
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(FUNCTIONS)
FUNCTION_LIST = ", ".join(ALLOWED_FUNCTIONS)


def functions_markdown() -> str:
    """docs/expressions.md, generated from the table (a test checks the committed copy)."""
    lines = [
        "# Functions in `where` filters and formulas",
        "",
        "<!-- Generated from the function table in kpicli/engine/expr/functions.py by "
        "functions_markdown(); do not edit by hand. -->",
        "",
        "`measure.where` filters and `formula` KPIs may call these functions and no others. "
        "A missing value compares False and stays missing through arithmetic; text tests "
        "ignore case. On database sources (DuckDB, PostgreSQL) the filter runs as SQL: a "
        "function SQL engines cannot compute exactly is refused there, naming the KPI, and "
        "`data.engine: pandas` computes it.",
        "",
        "| function | kind | gives | what it does | example | on database sources |",
        "|---|---|---|---|---|---|",
    ]
    for f in FUNCTIONS.values():
        sql = "computed in SQL" if f.sql_refusal is None else f"refused: {f.sql_refusal}"
        lines.append(
            f"| `{f.signature()}` | {f.kind} | {f.returns} | {f.doc} | `{f.example}` | {sql} |"
        )
    return "\n".join(lines) + "\n"
