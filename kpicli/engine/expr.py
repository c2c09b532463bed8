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

from __future__ import annotations

import ast
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "ALLOWED_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Expression",
    "ExpressionError",
    "evaluate_filter",
    "formula_namespace",
    "parse_expression",
]

Kind = Literal["filter", "formula"]

MAX_LENGTH = 2000
MAX_NODES = 300
MAX_DEPTH = 50
MAX_EXPONENT = 10

# name -> (min args, max args)
_FUNCTIONS: dict[str, tuple[int, int]] = {
    "abs": (1, 1),
    "round": (1, 2),
    "min": (2, MAX_NODES),
    "max": (2, MAX_NODES),
    "log": (1, 2),
    "sqrt": (1, 1),
    "isnull": (1, 1),
    "notnull": (1, 1),
    "isna": (1, 1),
    "notna": (1, 1),
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "lower": (1, 1),
    "upper": (1, 1),
    "len": (1, 1),
}
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(_FUNCTIONS)
_FUNCTION_LIST = ", ".join(ALLOWED_FUNCTIONS)
_ALLOWED_SUMMARY = (
    "allowed are names, numbers, 'text', True/False/None, + - * / // % **, comparisons "
    "(== != < <= > >=, in [...], is None), and/or/not, parentheses and the functions "
    f"{_FUNCTION_LIST}"
)

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
# Operators Python parses but we refuse, with the spelling the user probably meant.
_REFUSED_BINOPS: dict[type[ast.operator], str] = {
    ast.BitAnd: "'&' is not allowed: use 'and'",
    ast.BitOr: "'|' is not allowed: use 'or'",
    ast.BitXor: "'^' is not allowed: use '**' for powers",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.MatMult: "'@' is not allowed",
}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.{attr}') is not allowed",
    ast.Subscript: "indexing and slicing ('x[...]') are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed: use plain quotes",
    ast.FormattedValue: "f-strings are not allowed: use plain quotes",
    ast.NamedExpr: "assignment expressions (':=') are not allowed",
    ast.Starred: "starred arguments ('*x') are not allowed",
    ast.Dict: "dict displays ('{...: ...}') are not allowed",
    ast.Set: "set displays ('{...}') are not allowed: write a list, e.g. x in ['a', 'b']",
    ast.IfExp: "conditional expressions ('a if c else b') are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "slices are not allowed",
}
# Containers and operator tokens are not counted towards MAX_NODES: only things a user
# would call a term (names, constants, operations, calls) are.
_UNCOUNTED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)

# pandas/numpy/pyarrow raise these for type problems in vectorised ops; pyarrow's errors
# subclass them (ArrowInvalid is a ValueError, ArrowNotImplementedError a NotImplementedError).
_OP_ERRORS = (TypeError, ValueError, ArithmeticError, NotImplementedError)


class ExpressionError(ValueError):
    """A filter or formula that is not allowed, cannot be parsed, or cannot be evaluated."""

    def __init__(self, message: str, offset: int | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.text = text

    def __str__(self) -> str:
        return self.message

    def caret(self) -> str:
        """The expression with a '^' under the offending character ('' when unknown)."""
        if self.text is None or self.offset is None:
            return ""
        return f"{self.text}\n{' ' * self.offset}^"


# --------------------------------------------------------------------------- preprocessing


@dataclass(frozen=True)
class _Source:
    """The text as handed to ast.parse, and how to map its offsets back to the user's text."""

    code: str  # backticks replaced by placeholder names, line breaks by spaces
    placeholders: dict[str, str]  # placeholder identifier -> name written in backticks
    # (code start, code end, original start, original end) of each replaced span, in order
    spans: tuple[tuple[int, int, int, int], ...]
    lead: int  # leading whitespace removed from the code (eval mode refuses an indent)

    def original_offset(self, code_offset: int) -> int:
        shift = self.lead
        for cstart, cend, ostart, oend in self.spans:
            if code_offset < cstart:
                break
            if code_offset < cend:
                return ostart
            shift = oend - cend
        return code_offset + shift

    def node_offset(self, node: ast.AST) -> int | None:
        col = getattr(node, "col_offset", None)
        if col is None:
            return None
        # ast offsets are UTF-8 byte offsets; the code is always a single line.
        chars = len(self.code.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return self.original_offset(chars)


_IDENT_RE = re.compile(r"[^\W\d]\w*")


def _scan(text: str) -> _Source:
    """Replace `backticked names` with identifiers and line breaks with spaces.

    Walks the text once, skipping over string literals so that backticks and line breaks
    inside quotes are left alone (a line break inside quotes is refused: it cannot parse).
    """
    prefix = "_bt_"
    while prefix in text:  # placeholders must not collide with anything the user wrote
        prefix = "_" + prefix
    out: list[str] = []
    placeholders: dict[str, str] = {}
    spans: list[tuple[int, int, int, int]] = []
    code_len = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\" and j + 1 < n and text[j + 1] not in "\r\n":
                    j += 2  # an escaped character, possibly the quote itself
                    continue
                if text[j] in "\r\n":
                    raise ExpressionError("a line break inside quoted text is not allowed", j, text)
                j += 1
            j = min(n, j + len(quote))  # an unterminated string is left for ast.parse
            out.append(text[i:j])
            code_len += j - i
            i = j
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ExpressionError(
                    "unclosed backtick: write names with spaces as `First response`", i, text
                )
            name = text[i + 1 : end]
            if not name.strip():
                raise ExpressionError("empty name in backticks", i, text)
            if any(c in name for c in "\r\n"):
                raise ExpressionError("a line break inside backticks is not allowed", i, text)
            ident = f"{prefix}{len(placeholders)}"
            placeholders[ident] = name
            piece = f" {ident} "  # spaces keep it from fusing with neighbouring tokens
            spans.append((code_len, code_len + len(piece), i, end + 1))
            out.append(piece)
            code_len += len(piece)
            i = end + 1
        elif ch == "#":
            # Python would silently drop the rest of the line as a comment.
            raise ExpressionError(
                "'#' is only allowed inside quotes or backticks, e.g. `Ticket #` > 5", i, text
            )
        else:
            if ch in "\r\n\t":
                ch = " "  # YAML block scalars may keep line breaks; Python needs one line
            out.append(ch)
            code_len += 1
            i += 1
    code = "".join(out)
    lead = len(code) - len(code.lstrip())
    shifted = tuple((cs - lead, ce - lead, os, oe) for cs, ce, os, oe in spans)
    return _Source(code[lead:], placeholders, shifted, lead)


# Mistakes from other languages (SQL, Excel, JS) that Python reports only as "invalid syntax".
_SYNTAX_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"&&"), "use 'and' instead of '&&'"),
    (re.compile(r"\|\|"), "use 'or' instead of '||'"),
    (re.compile(r"!(?!=)"), "use 'not' instead of '!'"),
    (re.compile(r"<>"), "use '!=' instead of '<>'"),
    (re.compile(r"(?<![=!<>])=(?![=])"), "use '==' to compare, not '='"),
    (re.compile(r"\b(AND|OR|NOT)\b"), "write 'and', 'or', 'not' in lower case"),
    (re.compile(r"\d%"), "write percentages as plain numbers: 85, not 85%"),
)
_BACKTICK_HINT = "put names with spaces or symbols in backticks, e.g. `First response` < 4"


def _blank_strings(code: str) -> str:
    """The code with the insides of string literals blanked, for hint matching."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: " " * len(m.group()), code)


def _syntax_error(exc: SyntaxError, text: str, source: _Source) -> ExpressionError:
    msg = exc.msg or "invalid syntax"
    # Python's suggestion mentions ':=', which we do not allow; replace it with our own hint.
    msg = re.sub(r"\.?\s*Maybe you meant .*$", "", msg)
    if exc.offset is None or exc.offset <= 0 or (exc.lineno or 1) > 1:
        offset = len(text)  # Python reports 0 when the text ends too early
        if msg == "invalid syntax":
            msg = "the expression is incomplete"
    else:
        offset = min(source.original_offset(exc.offset - 1), len(text))
    hints = [hint for pattern, hint in _SYNTAX_HINTS if pattern.search(_blank_strings(source.code))]
    if not hints and msg.startswith("invalid syntax"):
        hints = [_BACKTICK_HINT]
    suffix = f" ({'; '.join(hints)})" if hints else ""
    return ExpressionError(f"syntax error: {msg}{suffix}", offset, text)


# --------------------------------------------------------------------------- validation


class _Validator:
    """Checks a parsed tree against the allow-list; raises ExpressionError for the first problem.

    Recursion here is safe: the depth was bounded before this runs.
    """

    def __init__(self, text: str, source: _Source) -> None:
        self.text = text
        self.source = source
        self.names: set[str] = set()

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, self.source.node_offset(node), self.text)

    def visit(self, node: ast.AST, *, in_list_ok: bool = False) -> None:
        if isinstance(node, ast.Name):
            self.names.add(self.source.placeholders.get(node.id, node.id))
        elif isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.BinOp):
            self.binop(node)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                raise self.fail("'~' is not allowed: use 'not'", node)
            self.visit(node.operand)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.visit(value)
        elif isinstance(node, ast.Compare):
            self.compare(node)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, (ast.List, ast.Tuple)):
            if not in_list_ok:
                raise self.fail(
                    "a list or tuple is only allowed after 'in', e.g. region in ['EU', 'UK']",
                    node,
                )
            for elt in node.elts:
                if constant_value(elt) is NOT_CONSTANT:
                    raise self.fail(
                        "a list after 'in' may hold only numbers, 'text', True/False/None", elt
                    )
        elif type(node) in _REFUSED_NODES:
            message = _REFUSED_NODES[type(node)].replace("{attr}", getattr(node, "attr", ""))
            raise self.fail(f"{message}; {_ALLOWED_SUMMARY}", node)
        else:
            raise self.fail(f"{type(node).__name__} is not allowed; {_ALLOWED_SUMMARY}", node)

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if value is None or isinstance(value, (bool, str)):
            return
        if isinstance(value, (int, float)):
            try:
                # Refuse numbers beyond float64 now (1e999 parses as inf), not mid-evaluation.
                too_large = math.isinf(float(value))
            except OverflowError:
                too_large = True
            if too_large:
                raise self.fail("number too large", node)
            return
        kind = {
            bytes: "bytes literals are",
            complex: "complex numbers are",
        }.get(type(value), "'...' is")
        raise self.fail(f"{kind} not allowed; {_ALLOWED_SUMMARY}", node)

    def binop(self, node: ast.BinOp) -> None:
        if type(node.op) in _REFUSED_BINOPS:
            raise self.fail(_REFUSED_BINOPS[type(node.op)], node)
        if isinstance(node.op, ast.Pow):
            # A non-constant or huge exponent is how '10**10**10' style bombs are built; with
            # a small constant exponent every power is a single bounded float operation.
            exponent = constant_value(node.right)
            if (
                isinstance(exponent, bool)
                or not isinstance(exponent, (int, float))
                or not abs(exponent) <= MAX_EXPONENT
            ):
                raise self.fail(
                    f"the exponent of '**' must be a number between -{MAX_EXPONENT} and "
                    f"{MAX_EXPONENT}",
                    node.right,
                )
        self.visit(node.left)
        self.visit(node.right)

    def compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        last = len(node.ops) - 1
        for i, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.List, ast.Tuple)) or i != last:
                    raise self.fail(
                        "'in' needs a list of values in brackets, e.g. region in ['EU', 'UK']"
                        " (to search inside text use contains(column, 'text'))",
                        right,
                    )
                self.visit(right, in_list_ok=True)
                continue
            if isinstance(op, (ast.Is, ast.IsNot)) and not (
                isinstance(right, ast.Constant) and right.value is None
            ):
                raise self.fail("'is' only works with None (x is None); use '==' otherwise", right)
            self.visit(right)

    def call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id in self.source.placeholders:
            what = ast.unparse(node.func)
            for ident, name in self.source.placeholders.items():
                what = what.replace(ident, f"`{name}`")
            if len(what) > 40:
                what = what[:37] + "..."
            raise self.fail(
                f"calling {what}(...) is not allowed: function calls other than "
                f"{_FUNCTION_LIST} are not allowed",
                node,
            )
        name = node.func.id
        if name not in _FUNCTIONS:
            raise self.fail(
                f"function calls other than {_FUNCTION_LIST} are not allowed (got {name}())",
                node,
            )
        if node.keywords:
            raise self.fail(
                f"keyword arguments are not allowed in {name}(); pass values by position",
                node.keywords[0].value,
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(_REFUSED_NODES[ast.Starred], arg)
        low, high = _FUNCTIONS[name]
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            if high == MAX_NODES:
                wanted = f"at least {low}"
            raise self.fail(f"{name}() takes {wanted} argument(s), got {len(node.args)}", node)
        if name in ("contains", "startswith", "endswith") and not (
            isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
        ):
            raise self.fail(f"the second argument of {name}() must be quoted text", node.args[1])
        if name == "round" and len(node.args) == 2:
            digits = constant_value(node.args[1])
            if isinstance(digits, bool) or not isinstance(digits, int) or abs(digits) > 15:
                raise self.fail(
                    "the digits of round() must be a whole number between -15 and 15",
                    node.args[1],
                )
        for arg in node.args:
            self.visit(arg)


class _NotConstant:
    pass


NOT_CONSTANT = _NotConstant()


def constant_value(node: ast.AST) -> Any:
    """The value of a constant or a signed number constant, else NOT_CONSTANT."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if not isinstance(node, ast.Constant):
        return NOT_CONSTANT
    value = node.value
    if sign == -1:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return NOT_CONSTANT
        return -value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return NOT_CONSTANT


def _check_size(tree: ast.AST, text: str, source: _Source) -> None:
    """Bound node count and nesting depth without recursion (the tree may be very deep)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _UNCOUNTED):
            continue
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                f"the expression is too long: more than {MAX_NODES} terms; split it into "
                "several KPIs",
                source.node_offset(node),
                text,
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested more than {MAX_DEPTH} levels deep (each operator "
                "in a chain like a + b + c adds a level); split it into several KPIs",
                source.node_offset(node),
                text,
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class Expression:
    """A parsed, validated filter or formula; evaluate it against a namespace of values."""

    text: str
    kind: Kind
    names: frozenset[str]
    _tree: ast.Expression = field(repr=False, compare=False)
    _source: _Source = field(repr=False, compare=False)

    def evaluate(self, namespace: Mapping[str, Any]) -> Any:
        """Evaluate against ``namespace`` (name -> Series or scalar).

        A filter gives a bool Series (or a bool when no Series is involved); a formula gives a
        float64 Series (or a float). Raises ExpressionError for unknown names (with a
        did-you-mean) and for values of the wrong type.
        """
        evaluator = _Evaluator(self, namespace)
        with np.errstate(all="ignore"):
            value = evaluator.eval(self._tree.body)
            if self.kind == "filter":
                return evaluator.truth(value, self._tree.body, what="a filter")
            return evaluator.formula_result(value, self._tree.body)


def parse_expression(text: str, kind: Kind = "filter") -> Expression:
    """Parse and validate ``text``; raises ExpressionError saying what is wrong and where."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}", None)
    if kind not in ("filter", "formula"):
        raise ValueError(f"kind must be 'filter' or 'formula', not {kind!r}")
    return _parse_cached(text, kind)


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str, kind: Kind) -> Expression:
    # Cached: the same `where` is evaluated once per group and per file, and Expression is
    # immutable (the tree is never modified after validation).
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
            MAX_LENGTH,
            text,
        )
    if not text.strip():
        raise ExpressionError("the expression is empty", 0, text)
    source = _scan(text)
    try:
        tree = ast.parse(source.code, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(exc, text, source) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        # Deeply nested input can exhaust the parser; ValueError is null bytes on 3.11.
        reason = "nested too deeply" if not isinstance(exc, ValueError) else str(exc)
        raise ExpressionError(f"the expression cannot be parsed: {reason}", 0, text) from None
    _check_size(tree, text, source)
    validator = _Validator(text, source)
    validator.visit(tree.body)
    return Expression(text, kind, frozenset(validator.names), tree, source)


def evaluate_filter(text: str, frame: pd.DataFrame) -> pd.Series:
    """Rows of ``frame`` that pass the filter ``text``: a bool Series on frame.index."""
    expression = parse_expression(text, "filter")
    result = expression.evaluate(_ColumnNamespace(frame))
    if not isinstance(result, pd.Series):
        return pd.Series(bool(result), index=frame.index, dtype=bool)
    if not result.index.equals(frame.index):
        result = result.reindex(frame.index, fill_value=False)
    return result.astype(bool).rename(None)


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


class _ColumnNamespace(Mapping[str, Any]):
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


# --------------------------------------------------------------------------- evaluation

_TEXT, _NUMBER, _BOOL, _DATE, _MIXED, _NONE, _OTHER = (
    "text",
    "number",
    "boolean",
    "date",
    "mixed",
    "none",
    "other",
)
_KIND_WORDS = {
    _TEXT: "text",
    _NUMBER: "a number",
    _BOOL: "true/false",
    _DATE: "a date",
    _MIXED: "mixed values",
    _NONE: "None (missing)",
    _OTHER: "a value of an unsupported type",
}

try:
    # pandas >= 2.3: the NaN-semantics string dtype that pandas 3 uses by default for text.
    _TEXT_DTYPE: Any = pd.StringDtype(na_value=np.nan)
except TypeError:  # pragma: no cover - older pandas keeps text as object
    _TEXT_DTYPE = None


def _series_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return _BOOL
    if ptypes.is_numeric_dtype(dtype):
        return _NUMBER
    if ptypes.is_datetime64_any_dtype(dtype):
        return _DATE
    if ptypes.is_object_dtype(dtype):
        # Only reached for columns _prepare could not convert, or on older pandas.
        inferred = ptypes.infer_dtype(series, skipna=True)
        return _TEXT if inferred in ("string", "empty") else _MIXED
    if ptypes.is_string_dtype(dtype):
        return _TEXT
    return _OTHER


def _scalar_kind(value: Any) -> str:
    if _is_missing(value):
        return _NONE
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, float, np.number)):
        return _NUMBER
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, (datetime, date, np.datetime64)):
        return _DATE
    return _OTHER


def _kind(value: Any) -> str:
    return _series_kind(value) if isinstance(value, pd.Series) else _scalar_kind(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _prepare(series: pd.Series) -> pd.Series:
    """Give a column a dtype the evaluator understands, once, when it is looked up."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Decode to plain values; integer categories with missing values need floats.
        categories = series.cat.categories.dtype
        numeric = ptypes.is_numeric_dtype(categories) and not ptypes.is_bool_dtype(categories)
        series = series.astype("float64" if numeric else object)
    if not ptypes.is_object_dtype(series.dtype):
        return series
    inferred = ptypes.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return pd.Series(np.nan, index=series.index, dtype="float64", name=series.name)
    if inferred == "string" and _TEXT_DTYPE is not None:
        return series.astype(_TEXT_DTYPE)
    if inferred == "boolean":
        return series.astype("boolean")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return series.astype("float64")
    if inferred in ("datetime", "datetime64", "date"):
        try:
            return pd.to_datetime(series)
        except _OP_ERRORS:
            return series
    return series


def _floats(series: pd.Series) -> pd.Series:
    """A numeric or boolean Series as float64 with NaN for missing."""
    if series.dtype == np.float64:
        return series
    return pd.Series(
        series.to_numpy(dtype="float64", na_value=np.nan), index=series.index, name=series.name
    )


def _no_inf(value: Any) -> Any:
    """Infinity (x/0, overflow, log(0)) becomes NaN: a KPI value is never infinite."""
    if isinstance(value, pd.Series):
        return value.mask(np.isinf(value.to_numpy()))
    return math.nan if math.isinf(value) else value


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    if (
        isinstance(left, pd.Series)
        and isinstance(right, pd.Series)
        and not left.index.equals(right.index)
    ):
        left, right = left.align(right, join="outer")
    return left, right


def _present(value: Any) -> Any:
    """Where a value is present: a bool ndarray for a Series, else a bool."""
    if isinstance(value, pd.Series):
        return value.notna().to_numpy(dtype=bool)
    return not _is_missing(value)


def _bools(value: pd.Series) -> pd.Series:
    """A bool-like Series as plain numpy bool, missing -> False."""
    if value.dtype == bool:
        return value
    return pd.Series(value.to_numpy(dtype=bool, na_value=False), index=value.index)


def _all_missing(value: Any) -> bool:
    if isinstance(value, pd.Series):
        return bool(value.isna().all())
    return _is_missing(value)


def _first_index(*values: Any) -> pd.Index | None:
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def _broadcast(value: Any, index: pd.Index | None) -> Any:
    """A bool, or bool ndarray, as a bool Series on ``index`` (a bool when there is none)."""
    if index is None:
        return bool(value)
    if isinstance(value, np.ndarray):
        return pd.Series(value, index=index)
    return pd.Series(bool(value), index=index, dtype=bool)


def _negate(value: Any) -> Any:
    return ~value if isinstance(value, pd.Series) else not value


def _comparable(left: str, right: str) -> bool:
    if left == right:
        return True
    pair = {left, right}
    if pair <= {_NUMBER, _BOOL}:
        return True
    # pandas compares dates with date text ("2026-01-01"); mixed columns are left to pandas.
    return pair == {_DATE, _TEXT} or _MIXED in pair


class _Evaluator:
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
            value = _prepare(value)
        elif _scalar_kind(value) == _OTHER:
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
            shown = " or ".join(m if _IDENT_RE.fullmatch(m) else f"`{m}`" for m in matches)
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
        kind = _kind(value)
        if isinstance(value, pd.Series):
            if kind in (_NUMBER, _BOOL):
                return _floats(value)
            if _all_missing(value):
                return pd.Series(np.nan, index=value.index, dtype="float64")
        elif kind in (_NUMBER, _BOOL):
            try:
                return float(value)
            except OverflowError:  # a Python int beyond float64 from the namespace
                return math.inf if value > 0 else -math.inf
        elif kind == _NONE and value is not None:
            return math.nan  # a missing value from the namespace (NaN, pd.NA)
        raise self.fail(
            f"{what} needs numbers, but {self.describe(node)} is {_KIND_WORDS[kind]}", node
        )

    def truth(self, value: Any, node: ast.AST, what: str = "'and', 'or' and 'not'") -> Any:
        """``value`` as a condition: bools as they are, numbers non-zero, missing False."""
        kind = _kind(value)
        if isinstance(value, pd.Series):
            if kind == _BOOL:
                return _bools(value)
            if kind == _NUMBER:
                data = value.to_numpy(dtype="float64", na_value=np.nan)
                return pd.Series((data != 0) & ~np.isnan(data), index=value.index)
            if _all_missing(value):
                return pd.Series(False, index=value.index, dtype=bool)
        elif kind in (_BOOL, _NUMBER):
            return bool(value)
        elif kind == _NONE:
            return False
        raise self.fail(
            f"{what} needs a condition, but {self.describe(node)} is {_KIND_WORDS[kind]}; "
            "compare it, e.g. channel == 'email'",
            node,
        )

    def formula_result(self, value: Any, node: ast.AST) -> Any:
        result = self.number(value, node, "a formula")
        if isinstance(result, pd.Series):
            return _no_inf(result).rename(None)
        return _no_inf(result)

    # -- operators

    def binop(self, node: ast.BinOp) -> Any:
        symbol = _BINOPS[type(node.op)]
        left = self.number(self.eval(node.left), node.left, f"'{symbol}'")
        right = self.number(self.eval(node.right), node.right, f"'{symbol}'")
        left, right = _align(left, right)
        try:
            result = _ARITHMETIC[symbol](left, right)
        except _OP_ERRORS as exc:
            raise self.fail(f"cannot compute {self.describe(node)}: {exc}", node) from None
        if isinstance(result, pd.Series):
            return _no_inf(result)
        return _no_inf(float(result))

    def unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return _negate(self.truth(operand, node.operand))
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
            result, other = _align(result, other)
            # alignment of different indexes may introduce missing values: _bools drops them
            result = _bools((result & other) if is_and else (result | other))
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
                    _CMPOPS[type(op)], left, right, left_node, right_node, node
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
        left, right = _align(left, right)
        return _bools(left & right)

    def membership(self, left: Any, values: list[Any], *, negate: bool) -> Any:
        """``left in values`` / ``not in``; missing is in neither unless None is listed."""
        wants_missing = any(_is_missing(v) for v in values)
        values = [v for v in values if not _is_missing(v)]
        if not isinstance(left, pd.Series):
            if _is_missing(left):
                return wants_missing != negate
            return (left in values) != negate
        kind = _series_kind(left)
        # Keep only values of a comparable kind: pyarrow refuses mixed-type lookups, and
        # 'EU' can never equal a number anyway.
        if kind == _TEXT:
            values = [v for v in values if isinstance(v, str)]
        elif kind in (_NUMBER, _BOOL):
            values = [v for v in values if not isinstance(v, str)]
        elif kind == _DATE:
            try:
                values = list(pd.to_datetime([v for v in values if isinstance(v, str)]))
            except _OP_ERRORS:
                values = []
        present = left.notna().to_numpy(dtype=bool)
        try:
            hits = left.isin(values).to_numpy(dtype=bool, na_value=False) & present
        except _OP_ERRORS:
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
                pd.Series(~_present(value), index=value.index)
                if isinstance(value, pd.Series)
                else _is_missing(value)
            )
            return missing if symbol in ("is", "==") else _negate(missing)
        left, right = _align(left, right)
        index = _first_index(left, right)
        left_kind, right_kind = _kind(left), _kind(right)
        both = _present(left) & _present(right)
        if not _comparable(left_kind, right_kind):
            if symbol in ("==", "!=") or _all_missing(left) or _all_missing(right):
                # Values of different kinds are never equal; missing values compare False.
                return _broadcast(both if symbol == "!=" else False, index)
            raise self.fail(
                f"cannot compare {self.describe(left_node)} ({_KIND_WORDS[left_kind]}) with "
                f"{self.describe(right_node)} ({_KIND_WORDS[right_kind]}) using '{symbol}'",
                node,
            )
        try:
            raw = _COMPARISONS[symbol](left, right)
        except _OP_ERRORS as exc:
            raise self.fail(
                f"cannot compare {self.describe(left_node)} with {self.describe(right_node)} "
                f"using '{symbol}': {exc}",
                node,
            ) from None
        if index is None:
            return not _is_missing(raw) and bool(raw)
        return pd.Series(_bools(raw).to_numpy() & both, index=index)

    # -- functions

    def call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("contains", "startswith", "endswith"):
            needle: str = node.args[1].value  # type: ignore[attr-defined]
            return self.text_test(name, self.eval(node.args[0]), needle, node.args[0])
        args = [self.eval(a) for a in node.args]
        if name in ("isnull", "isna", "notnull", "notna"):
            present = _broadcast(_present(args[0]), _first_index(args[0]))
            return present if name in ("notnull", "notna") else _negate(present)
        if name in ("lower", "upper", "len"):
            return self.text_function(name, args[0], node.args[0])
        numbers = [self.number(a, n, f"{name}()") for a, n in zip(args, node.args, strict=True)]
        try:
            result = _NUMERIC_FUNCTIONS[name](*numbers)
        except _OP_ERRORS as exc:
            raise self.fail(f"cannot compute {self.describe(node)}: {exc}", node) from None
        if isinstance(result, pd.Series):
            return _no_inf(_floats(result))
        return _no_inf(float(result))

    def text_value(self, value: Any, node: ast.AST, name: str) -> Any:
        """``value`` as text (Series or str), or None when it is entirely missing."""
        kind = _kind(value)
        if kind in (_TEXT, _MIXED):
            return value
        if _all_missing(value):
            return None
        raise self.fail(
            f"{name}() needs text, but {self.describe(node)} is {_KIND_WORDS[kind]}", node
        )

    def text_test(self, name: str, value: Any, needle: str, node: ast.AST) -> Any:
        text = self.text_value(value, node, name)
        if text is None:
            return _broadcast(False, _first_index(value))
        if not isinstance(text, pd.Series):
            folded = text.lower()
            if name == "contains":
                return needle.lower() in folded
            return (
                folded.startswith(needle.lower())
                if name == "startswith"
                else (folded.endswith(needle.lower()))
            )
        if name == "contains":
            return _bools(text.str.contains(needle, case=False, regex=False, na=False))
        lowered = text.str.lower().str
        test = lowered.startswith if name == "startswith" else lowered.endswith
        return _bools(test(needle.lower(), na=False))

    def text_function(self, name: str, value: Any, node: ast.AST) -> Any:
        text = self.text_value(value, node, name)
        if text is None:
            index = _first_index(value)
            return None if index is None else pd.Series(np.nan, index=index, dtype="float64")
        if isinstance(text, pd.Series):
            if name == "len":
                return _floats(text.str.len())
            return text.str.lower() if name == "lower" else text.str.upper()
        if name == "len":
            return len(text)
        return text.lower() if name == "lower" else text.upper()


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


def _log(x: Any, base: Any = None) -> Any:
    return np.log(x) if base is None else np.log(x) / np.log(base)


def _round(x: Any, digits: float = 0) -> Any:
    return np.round(x, int(digits))


def _reduce(ufunc: np.ufunc) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        result = args[0]
        for arg in args[1:]:
            result, arg = _align(result, arg)
            result = ufunc(result, arg)
        return result

    return apply


_NUMERIC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "round": _round,
    "min": _reduce(np.fmin),  # fmin/fmax skip NaN, like Excel's MIN/MAX skip blanks
    "max": _reduce(np.fmax),
    "log": _log,
    "sqrt": np.sqrt,
}
