"""`where` filters over a frame: parse the text, evaluate it over the frame's columns.

Contract: :func:`evaluate_filter` gives a bool Series on the frame's index (a filter with no
column in it gives the same value for every row); errors are ExpressionError, as from the
parser and the evaluator. Here, not in the evaluator, because it needs both: the parser
imports the evaluator, so the evaluator cannot import the parser back.
"""

from __future__ import annotations

import pandas as pd

from kpicli.engine.expr.evaluator import ColumnNamespace, evaluate
from kpicli.engine.expr.parser import parse_expression

__all__ = ["evaluate_filter"]


def evaluate_filter(text: str, frame: pd.DataFrame) -> pd.Series:
    """Rows of ``frame`` that pass the filter ``text``: a bool Series on frame.index."""
    expression = parse_expression(text, "filter")
    result = evaluate(expression, ColumnNamespace(frame))
    if not isinstance(result, pd.Series):
        return pd.Series(bool(result), index=frame.index, dtype=bool)
    if not result.index.equals(frame.index):
        result = result.reindex(frame.index, fill_value=False)
    return result.astype(bool).rename(None)
