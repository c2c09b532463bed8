"""The syntax of the expression language: limits, operators, errors, offsets, constants.

Contract: nothing here imports pandas or numpy. :class:`ExpressionError` is the one error the
package raises for a user's text (with the offset of the offending character);
:class:`Source` maps offsets in the code handed to ``ast.parse`` back to the user's text;
:func:`constant_value` reads a (signed) constant node, the one walk the checks, the evaluator
and the SQL compiler share.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 2000
MAX_NODES = 300
MAX_DEPTH = 50
MAX_EXPONENT = 10

# The operators the language has, with their spelling in messages.
BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
CMPOPS: dict[type[ast.cmpop], str] = {
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


@dataclass(frozen=True)
class Source:
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


IDENT_RE = re.compile(r"[^\W\d]\w*")


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

