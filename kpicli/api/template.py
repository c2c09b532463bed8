"""`kpi template`: plan the data-entry workbook of a KPI file (kpicli.writers.template writes it).

Contract: the plan names where its members came from (``--members``, the data, or the KPIs'
``targets_by`` keys) and every file it was made from (``EntryPlan.inputs``: what the writer
must never overwrite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kpicli.model.template import EntryPlan

__all__ = ["template_plan"]


def template_plan(
    kpis: str | Path = "kpis.yaml",
    *,
    periods: str | None = None,
    by: str | None = None,
    members: Sequence[str] | None = None,
    data: Sequence[str | Path] | None = None,
    today: dt.date | None = None,
) -> EntryPlan:
    """Plan the data-entry workbook of ``kpi template`` (write it with kpicli.writers.template).

    ``by`` defaults to the file's ``breakdown``. Its members are, in this order: ``members``
    as given; else the distinct values of that column in the data (``--data``, else the
    file's ``data.path`` when the file exists); else the keys of the KPIs' ``targets_by`` maps.
    """
    from kpicli.api.load import data_paths, load_kpi_file, read_table
    from kpicli.engine.template import plan_entry

    defs = load_kpi_file(kpis)
    model = defs.model
    assert model is not None
    if by is None and model.breakdown:
        by = model.breakdown[0]
    source = None
    names: list[str] = [m.strip() for m in members or [] if m.strip()]
    if by is not None and names:
        source = "given with --members"
    elif by is not None:
        paths = data_paths(defs, data)
        spec = model.data
        url = spec is not None and bool(getattr(spec, "url", None) or getattr(spec, "url_env", None))
        if data or url or (paths and all(p.is_file() for p in paths)):
            from kpicli.engine.report import check_breakdown

            table = read_table(defs, data)
            check_breakdown(table, by)
            col = table.frame[by].dropna().astype("str").str.strip()
            names = sorted(v for v in col.unique() if v)
            source = "the distinct values in the data (" + ", ".join(
                s.path for s in table.sources
            ) + ")"
        else:
            for kpi in model.kpis:
                for member in (kpi.targets_by or {}).get(by, {}):
                    if member not in names:
                        names.append(member)
            source = f"the keys of targets_by.{by} in {defs.path}"
    plan = plan_entry(
        model,
        periods=periods,
        by=by,
        members=names,
        members_source=source,
        today=today,
        kpi_file=defs.path,
    )
    plan.inputs = [str(kpis), *(str(p) for p in data_paths(defs, data))]
    return plan
