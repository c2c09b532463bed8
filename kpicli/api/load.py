"""Loading for every command: KPI files that must be usable, and the measurements they name.

Contract: :func:`load_kpi_file` returns definitions the engine can run (schema errors and
formulas or filters the safe evaluator refuses raise DefinitionError); :func:`read_table`
reads ``--data`` or, failing that, the file's ``data.path`` (relative to the KPI file) into
the normalised Table, through DuckDB/PostgreSQL when the source asks for it;
:func:`data_paths` names the files an output must never overwrite.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kpicli.definitions.load import Definitions
from kpicli.definitions.load import load_kpi_file as _load_definitions
from kpicli.errors import DefinitionError, KpiError
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Table

__all__ = ["data_paths", "load_kpi_file", "load_kpi_text", "read_table"]


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
        defs.finding_at(hit.path, hit.rule, hit.message, kpi=hit.kpi_id, context=hit.context)
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
    defs: Definitions,
    data: Sequence[str | Path] | None = None,
    model: KPIFile | None = None,
    *,
    by: str | None = None,
) -> Table:
    """Read the measurements named by ``--data`` or, failing that, by the file's ``data.path``.

    ``model`` stands in for ``defs.model`` when the file as a whole did not validate
    (``kpi validate`` still checks its valid parts against the data). ``by`` is the report's
    breakdown column: an engine source then skips the one-scan partials it could not use.
    """
    from kpicli.readers.files import read_data

    model = model or defs.model
    assert model is not None
    spec = model.data
    sql_table, notes = _read_through_engine(defs, model, data, by)
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
    defs: Definitions, model: KPIFile, data: Sequence[str | Path] | None, by: str | None
) -> tuple[Table | None, list[str]]:
    """A database URL or Parquet files read through DuckDB/PostgreSQL (the aggregation runs
    there; kpicli.readers.sql_source), or None for the pandas path."""
    # The choice imports no engine code: sql_source and its drivers load only for a request.
    from kpicli.readers.engine_choice import wants_sql

    spec = model.data
    request, notes = wants_sql(spec, data, defs.base_dir)
    if request is None:
        return None, notes
    from kpicli.readers.sql_source import CsvFallback, read_sql_table

    request.by = by
    if request.files:
        from kpicli.paths import shown_path

        # As on the pandas path: findings name the files from the working directory
        # (team/data.parquet, not data.parquet), which editors and CI annotations can open.
        request.files = [(shown_path(path), path) for _, path in request.files]

    def locate(index: int, field: tuple[str, ...]) -> str:
        path: tuple[str | int, ...] = ("kpis", index, *field)
        line, col = defs.yaml.position(path) if defs.yaml is not None else (1, 1)
        return f"{defs.path}:{line}:{col}"

    try:
        table = read_sql_table(request, spec, model, locate=locate)
    except CsvFallback as exc:
        # A large CSV DuckDB cannot read as kpicli does: the pandas path reads it, and says so.
        notes.append(f"{request.shown}: read by pandas, not DuckDB: {exc}")
        return None, notes
    table.notes.extend(notes)
    return table, notes
