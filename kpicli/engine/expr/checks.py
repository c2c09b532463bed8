"""The allow-list: every node of a parsed tree is checked before anything is evaluated.

Contract: :class:`Validator` walks the tree ``ast.parse`` made of the user's text and raises
:class:`~kpicli.engine.expr.syntax.ExpressionError` (message and offset) for the first node the
language does not have: operators, containers and calls outside the allow-list, unknown
functions, wrong arities and each function's own static check (read from the function table),
exponents beyond the bound. :func:`check_size` bounds terms and nesting first, without
recursion, so that the validator and the evaluator may recurse.
"""

from __future__ import annotations

import ast
import math

from kpicli.engine.expr.functions import FUNCTION_LIST, FUNCTIONS
from kpicli.engine.expr.syntax import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_NODES,
    NOT_CONSTANT,
    ExpressionError,
    Source,
    constant_value,
)

_ALLOWED_SUMMARY = (
    "allowed are names, numbers, 'text', True/False/None, + - * / // % **, comparisons "
    "(== != < <= > >=, in [...], is None), and/or/not, parentheses and the functions "
    f"{FUNCTION_LIST}"
)

# Operators Python parses but we refuse, with the spelling the user probably meant.
_REFUSED_BINOPS: dict[type[ast.operator], str] = {
    ast.BitAnd: "'&' is not allowed: use 'and'",
    ast.BitOr: "'|' is not allowed: use 'or'",
    ast.BitXor: "'^' is not allowed: use '**' for powers",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.MatMult: "'@' is not allowed",
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


class Validator:
    """Checks a parsed tree against the allow-list; raises ExpressionError for the first problem.

    Recursion here is safe: the depth was bounded before this runs.
    """

    def __init__(self, text: str, source: Source) -> None:
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
                f"{FUNCTION_LIST} are not allowed",
                node,
            )
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            raise self.fail(
                f"function calls other than {FUNCTION_LIST} are not allowed (got {name}())",
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
        problem = function.arity_problem(len(node.args))
        if problem is not None:
            raise self.fail(problem, node)
        function.check(node, self.fail)
        for arg in node.args:
            self.visit(arg)


def check_size(tree: ast.AST, text: str, source: Source) -> None:
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
