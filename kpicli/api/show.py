"""`kpi show` as a Python function: one KPI looked up by id or name, with its results.

Contract: the lookup takes the first KPI whose id or name matches, ignoring case; an unknown
KPI stops the run (KpiError) and suggests the closest ids. The report behind the view
is the same as ``kpi report`` computes for that period (and ``--by``); the ``kpicli.kpi/1``
document is :meth:`kpicli.model.runs.KpiView.to_json_dict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kpicli.errors import KpiError
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.runs import KpiView, ReportOptions

__all__ = ["find_kpi", "show_kpi"]


def find_kpi(model: KPIFile, kpi_id: str, source: str | Path) -> KPI:
    """The KPI whose id or name is ``kpi_id`` (any case); ``source`` names the file in the error."""
    wanted = kpi_id.strip().casefold()
    match = [k for k in model.kpis if k.id.casefold() == wanted or k.name.casefold() == wanted]
    if not match:
        import difflib

        close = difflib.get_close_matches(kpi_id, [k.id for k in model.kpis], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KpiError(f"no KPI {kpi_id!r} in {source}{hint}")
    return match[0]


def show_kpi(
    kpi_id: str,
    kpis: str | Path = "kpis.yaml",
    data: Sequence[str | Path] | None = None,
    options: ReportOptions | None = None,
    *,
    period: str | None = None,
    by: str | None = None,
    history: int = 12,
    today: dt.date | None = None,
) -> KpiView:
    """One KPI in depth (``kpi show``): its definition, results and findings.

    Scripts pass the report's options as keywords (``period=``, ``by=``, ``history=``,
    ``today=``), as they always could; the CLI passes one ``options`` value instead.
    """
    if options is None:
        options = ReportOptions(period=period, by=by, history=history, today=today)
    elif (period, by, history, today) != (None, None, 12, None):
        raise TypeError("show_kpi: give either options or period/by/history/today, not both")
    from kpicli.api.load import load_kpi_file
    from kpicli.api.report import scorecard

    defs = load_kpi_file(kpis)
    model = defs.model
    assert model is not None
    kpi = find_kpi(model, kpi_id, kpis)  # an unknown KPI stops the run before the data is read
    rep, _ = scorecard(defs, data, options)
    return KpiView(kpi=kpi, report=rep, definition=_definition(kpi, model))


def _definition(kpi: KPI, model: KPIFile) -> dict[str, str]:
    """The definition lines of the terminal view, the measure written out."""
    from kpicli.engine.aggregate import default_aggregate

    if kpi.formula:
        measure = f"formula: {kpi.formula}"
    else:
        col = kpi.data_column
        measure = f"{default_aggregate(kpi, model)}({col})"
        if kpi.measure and kpi.measure.where:
            measure += f" where {kpi.measure.where}"
    return {
        "description": kpi.description or "",
        "objective": kpi.objective or "",
        "owner": kpi.owner or "",
        "unit": kpi.unit or "",
        "direction": f"{kpi.direction} is better",
        "measure": measure,
    }
