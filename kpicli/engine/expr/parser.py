"""Parsing: the user's text to a validated, immutable syntax tree (:class:`Expression`).

Contract: :func:`parse_expression` never evaluates anything. Names in backticks become
placeholder identifiers and line breaks spaces (:func:`scan`), ``ast.parse`` builds the tree,
the checks (kpicli/engine/expr/checks.py) bound its size and allow-list every node, and a
syntax error becomes an :class:`~kpicli.engine.expr.syntax.ExpressionError` with the offset
in the user's text and a hint for mistakes from other languages (``&&``, ``=``, ``85%``).
Results are cached: the same ``where`` is parsed once however often it is evaluated.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kpicli.engine.expr.checks import Validator, check_size
from kpicli.engine.expr.evaluator import evaluate
from kpicli.engine.expr.syntax import MAX_LENGTH, ExpressionError, Source

Kind = Literal["filter", "formula"]


def scan(text: str) -> Source:
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
    return Source(code[lead:], placeholders, shifted, lead)


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


def _syntax_error(exc: SyntaxError, text: str, source: Source) -> ExpressionError:
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


@dataclass(frozen=True)
class Expression:
    """A parsed, validated filter or formula; evaluate it against a namespace of values."""

    text: str
    kind: Kind
    names: frozenset[str]
    _tree: ast.Expression = field(repr=False, compare=False)
    _source: Source = field(repr=False, compare=False)

    @property
    def tree(self) -> ast.Expression:
        """The validated syntax tree (never modified): what the SQL compiler translates."""
        return self._tree

    @property
    def placeholders(self) -> Mapping[str, str]:
        """Placeholder identifier in the tree -> the name the user wrote in backticks."""
        return self._source.placeholders

    def evaluate(self, namespace: Mapping[str, Any]) -> Any:
        """Evaluate against ``namespace`` (name -> Series or scalar).

        A filter gives a bool Series (or a bool when no Series is involved); a formula gives a
        float64 Series (or a float). Raises ExpressionError for unknown names (with a
        did-you-mean) and for values of the wrong type.
        """
        return evaluate(self, namespace)


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
    source = scan(text)
    try:
        tree = ast.parse(source.code, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(exc, text, source) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        # Deeply nested input can exhaust the parser; ValueError is null bytes on 3.11.
        reason = "nested too deeply" if not isinstance(exc, ValueError) else str(exc)
        raise ExpressionError(f"the expression cannot be parsed: {reason}", 0, text) from None
    check_size(tree, text, source)
    validator = Validator(text, source)
    validator.visit(tree.body)
    return Expression(text, kind, frozenset(validator.names), tree, source)
