"""Safe, vectorised evaluator for `measure.where` filters and `formula` KPIs (AST allow-list)."""

# Semantics, in one place (the docstring is one line by house style):
#
# * Text is parsed with ``ast.parse(mode="eval")`` and every node is checked against an
#   allow-list before anything is evaluated; nothing is ever passed to eval/exec and names are
#   looked up only in the namespace the caller gives (never builtins).
# * Names with spaces or symbols are written in backticks, as in ``DataFrame.query``. For
#   formulas, a KPI id containing ``-`` or ``.`` may also be written with ``_`` instead.
# * Arithmetic is done in float64. Any infinity (division by zero, overflow, log(0)) becomes
#   NaN: a KPI value is never infinite, and a missing value is the honest answer.
# * Missing values compare False: every comparison (``==``, ``!=``, ``<``, ``in``, ``not in``
#   ...) involving a missing value is False. ``and``/``or``/``not`` are plain two-valued logic
#   applied after that, so ``not (x > 1)`` includes rows where ``x`` is missing; write
#   ``notnull(x) and not (x > 1)`` to exclude them. ``x == None``/``x is None`` test for missing.
# * Values used as conditions: booleans as they are, numbers are true when non-zero, missing
#   is false; text and dates cannot be conditions (ExpressionError).
# * Comparing text with a number: ``==`` is False and ``!=`` is True (for present values);
#   ordering (``<`` ...) raises ExpressionError naming the column, because it is always a
#   mistake in the definition rather than something the data should decide row by row.
# * ``min``/``max`` skip missing arguments (like Excel); ``round`` rounds half to even (like
#   Python and pandas); ``contains``/``startswith``/``endswith`` are case-insensitive.
#
# The package, one concern a module (imports flow down this list, never up):
#
#   syntax.py     limits, operators, ExpressionError, offsets, constant_value (no pandas)
#   values.py     value kinds and the vectorised helpers (missing, float64, alignment)
#   functions.py  the Function table: name, arity, kind, implementation, static check, SQL
#   checks.py     the allow-list walk over a parsed tree, and the size bounds
#   parser.py     text -> Expression (scan backticks, ast.parse, checks, syntax hints)
#   evaluator.py  Expression over a namespace of columns; formula_namespace
#   filters.py    evaluate_filter: a `where` text over a frame (parser + evaluator)

from __future__ import annotations

from kpicli.engine.expr.evaluator import formula_namespace
from kpicli.engine.expr.filters import evaluate_filter
from kpicli.engine.expr.functions import ALLOWED_FUNCTIONS, FUNCTIONS, Function
from kpicli.engine.expr.parser import Expression, parse_expression
from kpicli.engine.expr.syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    NOT_CONSTANT,
    ExpressionError,
    constant_value,
)

__all__ = [
    "ALLOWED_FUNCTIONS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "NOT_CONSTANT",
    "Expression",
    "ExpressionError",
    "Function",
    "constant_value",
    "evaluate_filter",
    "formula_namespace",
    "parse_expression",
]
