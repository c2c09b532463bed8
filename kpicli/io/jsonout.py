"""JSON writer: the ``kpicli.report/1`` contract, a dump of the Report model."""

from __future__ import annotations

import json
import math
from typing import Any

from kpicli.model.results import Report


def _tidy(obj: Any) -> Any:
    # 12 significant digits: exact to the user's eye, free of float noise like 0.30000000000000004.
    if isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            return None
        return float(f"{obj:.12g}")
    if isinstance(obj, dict):
        return {k: _tidy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_tidy(v) for v in obj]
    return obj


def report_dict(report: Report) -> dict[str, Any]:
    return _tidy(report.to_json_dict())  # type: ignore[no-any-return]


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
