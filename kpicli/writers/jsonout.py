"""JSON writer: the ``kpicli.report/1`` contract, a dump of the Report model.

``dumps`` writes indented JSON in one pass and rounds floats while it writes (12 significant
digits; NaN and infinities become ``null``), each distinct float and key text made once per
document (the key texts of dicts with the same keys at the same depth joined once). Its output is byte-identical to
``json.dumps(_tidy(obj), indent=2, ensure_ascii=False)``, which is slower because the standard
library's indented encoder is pure Python and the rounding needed a pass of its own.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring  # the C implementation of string escaping
from typing import Any

from kpicli.model.results import Report


def _round(x: float) -> float | None:
    # 12 significant digits: exact to the user's eye, free of float noise like 0.30000000000000004.
    if math.isnan(x) or math.isinf(x):
        return None
    return float(f"{x:.12g}")


def _tidy(obj: Any) -> Any:
    """The same rounding as ``dumps``, for writers that need the values rather than text."""
    if isinstance(obj, float):
        return _round(obj)
    if isinstance(obj, dict):
        return {k: _tidy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_tidy(v) for v in obj]
    return obj


def _float_text(x: float) -> str:
    if x != x or x in (math.inf, -math.inf):
        return "null"
    return float.__repr__(float(f"{x:.12g}"))


def dumps(obj: Any) -> str:
    """Indented JSON (2 spaces, UTF-8 text kept as is), floats rounded as in ``_tidy``."""
    parts: list[str] = []
    append = parts.append
    esc = encode_basestring
    # A report repeats many floats (a target in every history point) and every key at the
    # same depth: each is written once per document and looked up after that. Zero is never
    # kept: 0.0 and -0.0 are equal keys but different texts.
    floats: dict[float, str] = {}

    def float_text(x: float) -> str:
        text = floats.get(x)
        if text is None:
            text = _float_text(x)
            if x:
                floats[x] = text
        return text

    def leaf(value: Any) -> str:
        # Order matters: bool is an int, and str/float/int are the common leaves.
        if isinstance(value, str):
            return esc(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, float):
            return float_text(value)
        if isinstance(value, int):
            return int.__repr__(value)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    # Per (keys of a dict, depth): the text before each value ("{", the newline and indent,
    # the key) and after the last one. A report has thousands of dicts with the same keys
    # (a KPI result, a history point): their key texts are joined once, not per dict.
    shapes: dict[tuple[tuple[Any, ...], int], tuple[list[str], str] | None] = {}

    def shape(keys: tuple[Any, ...], level: int) -> tuple[list[str], str] | None:
        if not all(type(k) is str for k in keys):
            return None  # numbers or None as keys: written one by one
        inner = "\n" + "  " * (level + 1)
        heads = [("{" if i == 0 else ",") + inner + esc(k) + ": " for i, k in enumerate(keys)]
        return heads, "\n" + "  " * level + "}"

    def write(value: Any, level: int) -> None:
        kind = type(value)
        if kind is dict:
            if not value:
                append("{}")
                return
            sig = (tuple(value), level)
            plan = shapes.get(sig, False)
            if plan is False:
                plan = shapes[sig] = shape(sig[0], level)
            if plan is None:
                write_keyed(value, level)
                return
            heads, close = plan
            for head, item in zip(heads, value.values(), strict=True):
                append(head)
                # The common leaves inline: a report has tens of thousands of them.
                kind = type(item)
                if kind is str:
                    append(esc(item))
                elif kind is float:
                    text = floats.get(item)
                    append(text if text is not None else float_text(item))
                elif item is None:
                    append("null")
                else:
                    write(item, level + 1)
            append(close)
        elif kind is list or kind is tuple:
            if not value:
                append("[]")
                return
            inner = "\n" + "  " * (level + 1)
            sep = "," + inner
            append("[")
            first = True
            for item in value:
                append(inner if first else sep)
                first = False
                write(item, level + 1)
            append("\n" + "  " * level + "]")
        elif isinstance(value, dict):
            write(dict(value), level)
        elif isinstance(value, list | tuple):
            write(list(value), level)
        else:
            append(leaf(value))

    def write_keyed(value: dict[Any, Any], level: int) -> None:
        inner = "\n" + "  " * (level + 1)
        sep = "," + inner
        append("{")
        first = True
        for key, item in value.items():
            head = esc(key) if type(key) is str else esc(_key(key))
            append(inner if first else sep)
            first = False
            append(head + ": ")
            write(item, level + 1)
        append("\n" + "  " * level + "}")

    write(obj, 0)
    return "".join(parts)


def _key(key: Any) -> str:
    # json.dumps' rules for non-string keys, for the rare dict keyed by numbers or None.
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return _float_text(key)
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def report_dict(report: Report) -> dict[str, Any]:
    return _tidy(report.to_json_dict())  # type: ignore[no-any-return]


def render_json(report: Report) -> str:
    return dumps(report.to_json_dict()) + "\n"


def render_document(doc: dict[str, Any]) -> str:
    """Any other JSON document of kpicli (``kpi show``'s ``kpicli.kpi/1``), rounded the same way."""
    import json

    return json.dumps(_tidy(doc), indent=2, ensure_ascii=False) + "\n"
