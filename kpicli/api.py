"""The Python twins of the commands: what the CLI calls, and what scripts and tests call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kpicli.errors import DefinitionError, KpiError
from kpicli.io.definitions import Definitions
from kpicli.io.definitions import load_kpi_file as _load_definitions
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Report
from kpicli.model.table import Table

__all__ = ["build_report", "data_paths", "load_kpi_file", "read_table", "validate_files"]


def load_kpi_file(path: str | Path) -> Definitions:
    """Read a KPI file that must be usable; raise DefinitionError listing its errors if not.

    Besides YAML and schema errors, a ``formula`` or ``where`` filter the safe evaluator
    refuses (``__import__``, attribute access, lambdas, huge powers ...) is an error here (E006
    at its line and column): a report never runs with a definition that cannot be evaluated.
    """
    defs = _load_definitions(path)
    assert defs.model is not None and defs.yaml is not None
    from kpicli.engine import rules

    ctx = rules.make_context(defs.model, defs.yaml.data)
    errors = [
        defs.finding_at(hit.path, hit.rule, "error", hit.message, kpi=hit.kpi_id)
        for hit in rules.check_expressions(ctx)
    ]
    if errors:
        lines = [f"{f.location}: {f.rule} {f.message}" for f in errors[:5]]
        if len(errors) > 5:
            lines.append(f"... and {len(errors) - 5} more (run `kpi validate {path}`)")
        head = f"{path} has {len(errors)} error{'s' if len(errors) != 1 else ''}:\n  "
        raise DefinitionError(head + "\n  ".join(lines), errors)
    return defs


def data_paths(defs: Definitions, data: Sequence[str | Path] | None = None) -> list[Path]:
    """The files :func:`read_table` reads, as paths to open (globs expanded, ``data.path``
    relative to the KPI file): what an output must never overwrite. Never raises."""
    from kpicli.io.readers import expand_paths

    try:
        if data:
            return [p for _, p in expand_paths(list(data), Path.cwd())]
        spec: object = defs.model.data if defs.model is not None else None
        given = getattr(spec, "path", None)
        if spec is None and defs.yaml is not None and isinstance(defs.yaml.data, dict):
            raw = defs.yaml.data.get("data")
            given = raw.get("path") if isinstance(raw, dict) else None  # a file with errors
        if not given:
            return []
        paths = [given] if isinstance(given, str) else [str(g) for g in given]
        return [p for _, p in expand_paths(paths, defs.base_dir)]
    except (KpiError, OSError, TypeError, ValueError):
        return []


def read_table(
    defs: Definitions, data: Sequence[str | Path] | None = None, model: KPIFile | None = None
) -> Table:
    """Read the measurements named by ``--data`` or, failing that, by the file's ``data.path``.

    ``model`` stands in for ``defs.model`` when the file as a whole did not validate
    (``kpi validate`` still checks its valid parts against the data).
    """
    from kpicli.io.readers import read_data

    model = model or defs.model
    assert model is not None
    spec = model.data
    sql_table, notes = _read_through_engine(defs, model, data)
    if sql_table is not None:
        return sql_table
    if data:
        return _noted(read_data(list(data), spec, model, base_dir=Path.cwd()), notes)
    if spec is None or not spec.path:
        raise KpiError(
            f"no data given: pass --data FILE, or name it in {defs.path} under data: path:"
        )
    paths = [spec.path] if isinstance(spec.path, str) else list(spec.path)
    return _noted(read_data(paths, spec, model, base_dir=defs.base_dir), notes)


def _noted(table: Table, notes: list[str]) -> Table:
    from kpicli.model.results import Finding

    table.findings.extend(
        Finding(rule="D600", severity="info", letter="D", message=n, location="data")
        for n in notes
    )
    return table


def _read_through_engine(
    defs: Definitions, model: KPIFile, data: Sequence[str | Path] | None
) -> tuple[Table | None, list[str]]:
    """A database URL or Parquet files read through DuckDB/PostgreSQL (the aggregation runs
    there; kpicli.io.sql_source), or None for the pandas path."""
    from kpicli.io.sql_source import Request, read_sql_table, wants_sql

    spec = model.data
    request, notes = wants_sql(spec, data, defs.base_dir)
    if request is None:
        return None, notes
    assert isinstance(request, Request)

    def locate(index: int, field: tuple[str, ...]) -> str:
        path: tuple[str | int, ...] = ("kpis", index, *field)
        line, col = defs.yaml.position(path) if defs.yaml is not None else (1, 1)
        return f"{defs.path}:{line}:{col}"

    return read_sql_table(request, spec, model, locate=locate), notes


def build_report(
    kpis: str | Path = "kpis.yaml",
    data: Sequence[str | Path] | None = None,
    *,
    period: str | None = None,
    by: str | None = None,
    history: int = 12,
    today: dt.date | None = None,
) -> Report:
    """Load definitions and data and compute the scorecard (``kpi report``)."""
    from kpicli.engine.report import build_report as _build

    defs = load_kpi_file(kpis)
    assert defs.model is not None
    table = read_table(defs, data)
    return _build(defs.model, table, period=period, by=by, history=history, today=today)


def validate_files(*args: object, **kwargs: object) -> object:
    """Run the SMART rules over KPI files (``kpi validate``); see kpicli.validation."""
    from kpicli import validation

    return validation.validate_files(*args, **kwargs)  # type: ignore[arg-type]
