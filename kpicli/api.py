"""The Python twins of the commands: what the CLI calls, and what scripts and tests call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kpicli.definitions.load import Definitions
from kpicli.definitions.load import load_kpi_file as _load_definitions
from kpicli.errors import DefinitionError, KpiError
from kpicli.model.diff import DefinitionDiff
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Report
from kpicli.model.table import Table
from kpicli.model.template import EntryPlan

__all__ = [
    "build_report",
    "data_paths",
    "diff",
    "load_kpi_file",
    "load_kpi_text",
    "read_table",
    "template_plan",
    "validate_files",
]


def load_kpi_file(path: str | Path) -> Definitions:
    """Read a KPI file that must be usable; raise DefinitionError listing its errors if not.

    Besides YAML and schema errors, a ``formula`` or ``where`` filter the safe evaluator
    refuses (``__import__``, attribute access, lambdas, huge powers ...) is an error here (E006
    at its line and column): a report never runs with a definition that cannot be evaluated.
    """
    return _checked(_load_definitions(path), path)


def _checked(defs: Definitions, path: str | Path) -> Definitions:
    """Refuse definitions whose formulas or filters the safe evaluator would not run (E006)."""
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


def load_kpi_text(text: str, source: str) -> Definitions:
    """Like :func:`load_kpi_file` for text read elsewhere (``git show``); ``source`` names it."""
    from kpicli.definitions.load import parse_definitions, raise_on_errors

    return _checked(raise_on_errors(parse_definitions(text, source), source), source)


def data_paths(defs: Definitions, data: Sequence[str | Path] | None = None) -> list[Path]:
    """The files :func:`read_table` reads, as paths to open (globs expanded, ``data.path``
    relative to the KPI file): what an output must never overwrite. Never raises."""
    from kpicli.readers.files import expand_paths

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
    from kpicli.readers.files import read_data

    model = model or defs.model
    assert model is not None
    spec = model.data
    sql_table, notes = _read_through_engine(defs, model, data)
    if sql_table is not None:
        return sql_table
    if data:
        return _noted(read_data(_from_cwd(data), spec, model, base_dir=Path.cwd()), notes)
    if spec is None or not spec.path:
        raise KpiError(
            f"no data given: pass --data FILE, or name it in {defs.path} under data: path:"
        )
    paths = [spec.path] if isinstance(spec.path, str) else list(spec.path)
    # data.path is relative to the KPI file; findings name the files from the working
    # directory (team/data.csv, not data.csv), which editors and CI annotations can open.
    return _noted(
        read_data(_from_cwd(paths, defs.base_dir), spec, model, base_dir=Path.cwd()), notes
    )


def _from_cwd(paths: Sequence[str | Path], base: Path | None = None) -> list[str]:
    """Paths (or globs) as seen from the working directory: relative inside it, else absolute."""
    import os

    from kpicli.paths import shown_path

    out = []
    for p in paths:
        text = os.path.expanduser(os.fspath(p))
        if "://" in text:  # a URL names no file: left to the reader as it is
            out.append(text)
            continue
        out.append(shown_path(Path(base, text) if base is not None else text))
    return out


def _noted(table: Table, notes: list[str]) -> Table:
    table.notes.extend(notes)  # the engine choice (e.g. Parquet read by pandas)
    return table


def _read_through_engine(
    defs: Definitions, model: KPIFile, data: Sequence[str | Path] | None
) -> tuple[Table | None, list[str]]:
    """A database URL or Parquet files read through DuckDB/PostgreSQL (the aggregation runs
    there; kpicli.readers.sql_source), or None for the pandas path."""
    from kpicli.readers.sql_source import Request, read_sql_table, wants_sql

    spec = model.data
    request, notes = wants_sql(spec, data, defs.base_dir)
    if request is None:
        return None, notes
    assert isinstance(request, Request)
    if request.files:
        from kpicli.paths import shown_path

        # As on the pandas path: findings name the files from the working directory
        # (team/data.parquet, not data.parquet), which editors and CI annotations can open.
        request.files = [(shown_path(path), path) for _, path in request.files]

    def locate(index: int, field: tuple[str, ...]) -> str:
        path: tuple[str | int, ...] = ("kpis", index, *field)
        line, col = defs.yaml.position(path) if defs.yaml is not None else (1, 1)
        return f"{defs.path}:{line}:{col}"

    table = read_sql_table(request, spec, model, locate=locate)
    table.notes.extend(notes)
    return table, notes


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


def diff(
    old: str | Path | None,
    new: str | Path = "kpis.yaml",
    data: Sequence[str | Path] | None = None,
    *,
    git: str | None = None,
    use_data: bool = True,
    period: str | None = None,
    by: str | None = None,
    today: dt.date | None = None,
) -> DefinitionDiff:
    """Compare two KPI files (``kpi diff``): changed definitions and the statuses they flip.

    ``old`` is a file, or None with ``git`` naming a revision: then the old file is ``new`` as
    it was at that revision (``git show REV:path``). The data (``--data``, else the NEW file's
    ``data.path``; none with ``use_data=False``) is read once, with the NEW file's data
    settings, and both reports are computed over it for the same period: ``period``, else the
    new report's default period.
    """
    from kpicli.compare import compare_definitions, compare_reports
    from kpicli.model.diff import DefinitionDiff

    new_defs = load_kpi_file(new)
    if git is not None:
        from kpicli.definitions.gitfile import read_at_revision

        text, shown = read_at_revision(new, git)
        old_defs = load_kpi_text(text, shown)
    else:
        if old is None:
            raise KpiError("kpi diff needs OLD.yaml and NEW.yaml, or --git REV and one file")
        old_defs = load_kpi_file(old)
    assert old_defs.model is not None and new_defs.model is not None
    result = DefinitionDiff(
        old=old_defs.path, new=new_defs.path, items=compare_definitions(old_defs, new_defs)
    )
    spec = new_defs.model.data
    # A file path or a database URL (its rows stay there: both reports push down to it).
    has_source = spec is not None and bool(
        spec.path or getattr(spec, "url", None) or getattr(spec, "url_env", None)
    )
    if not use_data or (not data and not has_source):
        return result
    from kpicli.engine.report import build_report as _build

    table = read_table(new_defs, data)
    if by is None and new_defs.model.breakdown:
        by = new_defs.model.breakdown[0]
    new_rep = _build(new_defs.model, table, period=period, by=by, history=1, today=today)
    # The same period for both (the old file may lack the KPI that makes a later one latest).
    old_rep = _build(
        old_defs.model, table, period=new_rep.period, by=by, history=1, today=today
    )
    statuses, scores = compare_reports(old_rep, new_rep)
    result.with_data = True
    result.period = new_rep.period
    result.group_by = new_rep.group_by
    result.sources = new_rep.sources
    result.statuses = statuses
    result.scores = scores
    result.findings = new_rep.findings
    return result


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
