"""`kpi validate` as a Python function: SMART rules over KPI files, findings with file:line:col.

Contract: every file is read before any is checked (a missing file stops the run, exit 2);
every problem inside a file is a Finding placed at its line and column, filtered by
``--select``/``--ignore`` and each KPI's own ``ignore:``, and sorted by position. The data a
file names (or ``--data``) is read once per file for the data-backed rules; a ``data.path``
that cannot be read is the finding M206, ``--data`` that cannot be read stops the run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpicli.definitions.load import Definitions, read_definitions
from kpicli.errors import KpiError
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import Table
from kpicli.model.validation import FileResult, ValidationResult

if TYPE_CHECKING:
    from kpicli.engine.rules import RuleHit

__all__ = ["FileResult", "ValidationResult", "parse_selectors", "validate_files"]

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


# ------------------------------------------------------------------------------------------
# Rule selection

_SPLIT = re.compile(r"[\s,]+")


def parse_selectors(values: Iterable[str] | str | None, option: str = "--select") -> list[str]:
    """``["S,T501", "A3"]`` -> ``["S", "T501", "A3"]``; unknown ids or prefixes are an error."""
    from kpicli.engine.rules import CATALOGUE, is_rule_selector

    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for token in _SPLIT.split(value.strip()):
            if not token:
                continue
            t = token.upper()
            if t == "ALL":
                t = ""
            elif not is_rule_selector(t):
                import difflib

                close = difflib.get_close_matches(t, list(CATALOGUE), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise KpiError(
                    f"{option}: unknown rule or prefix {token!r}{hint}",
                    hint="`kpi rules` lists the rule ids; prefixes such as S or T50 select groups",
                )
            out.append(t)
    return out


def _matches(rule: str, selectors: Sequence[str]) -> bool:
    return any(rule.upper().startswith(s) for s in selectors)


def _rule_filter(select: Sequence[str], ignore: Sequence[str]) -> Callable[[str], bool]:
    def enabled(rule: str) -> bool:
        if select and not _matches(rule, select):
            return False
        return not (ignore and _matches(rule, ignore))

    return enabled


# ------------------------------------------------------------------------------------------
# Validation


def validate_files(
    paths: Sequence[str | Path] | str | Path = ("kpis.yaml",),
    data: Sequence[str | Path] | None = None,
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    strict: bool = False,
    *,
    today: dt.date | None = None,
    with_data: bool = True,
    skip_missing_data: bool = False,
    list_inputs: bool = False,
) -> ValidationResult:
    """Check KPI files against the rule catalogue (SPEC §4).

    ``paths``: KPI files (``-`` reads standard input). ``data``: measurement files that
    override the files' own ``data.path``; with data (given or named in the file) the
    data-backed rules run too. ``select``/``ignore``: rule ids or prefixes (``S``, ``T50``),
    comma-separated or as a list. ``strict``: warnings fail too. ``today``: the date
    T503 ("due period already past") compares against; default ``date.today()``.
    ``with_data=False`` skips the data-backed rules even when the file names its data.
    ``skip_missing_data=True`` skips them (with a note in ``FileResult.notes``) only when no
    file named by the file's own ``data.path`` exists, instead of finding M206: for hooks that
    run where the data is not committed. ``list_inputs=True`` also lists the files an output
    must never overwrite in ``ValidationResult.inputs`` (it loads the data readers, which a
    definitions-only run does without).

    Raises KpiError (exit 2) when a file or the ``--data`` cannot be read at all; every
    problem inside a file is a Finding.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    sel = parse_selectors(select, "--select")
    ign = parse_selectors(ignore, "--ignore")
    enabled = _rule_filter(sel, ign)
    today = today or dt.date.today()
    # Read every file first, so a missing one stops the run before anything is reported.
    loaded = [read_definitions(p) for p in paths]
    result = ValidationResult(strict=strict)
    for defs in loaded:
        result.files.append(
            _validate_one(defs, data, enabled, today, with_data, skip_missing_data)
        )
    if list_inputs:
        result.inputs = _inputs(paths, loaded, data)
    return result


def _inputs(
    paths: Sequence[str | Path], loaded: Sequence[Definitions], data: Sequence[str | Path] | None
) -> list[Path]:
    """The files an output of `kpi validate` must never overwrite: the KPI files and the data
    each names, as opened (a file's data.path is relative to it), not as shown in findings."""
    from kpicli.api.load import data_paths

    inputs = [Path(given) for given in paths if str(given) != "-"]  # stdin names no file
    for given, defs in zip(paths, loaded, strict=True):
        if str(given) != "-" and Path(given).is_file():
            inputs += data_paths(defs, data)
    return inputs


def _validate_one(
    defs: Definitions,
    data: Sequence[str | Path] | None,
    enabled: Callable[[str], bool],
    today: dt.date,
    with_data: bool = True,
    skip_missing_data: bool = False,
) -> FileResult:
    from kpicli.engine import rules as R

    fr = FileResult(path=defs.path)
    raw_findings: list[tuple[Finding, tuple[Any, ...] | None]] = [
        (f, None) for f in defs.findings
    ]
    raw = defs.yaml.data if defs.yaml is not None else None
    if isinstance(raw, dict):
        partial = None if defs.model is not None else R.partial_model(raw)
        ctx = R.make_context(defs.model, raw, today=today, partial=partial)
        fr.kpis = len(raw.get("kpis") or []) if isinstance(raw.get("kpis"), list) else 0
        model = defs.model if defs.model is not None else ctx.settings
        wants = with_data and _wants_data(model, data) and _data_rules_enabled(enabled)
        if wants and skip_missing_data and not data and not _data_present(defs):
            wants = False
            fr.notes.append(
                f"{defs.path}: the data named in data.path is not there; checked the "
                "definitions only (--skip-missing-data)"
            )
        if wants:
            table, problem = _read_table(defs, model, data)
            if problem is not None:
                raw_findings.append((problem, ("data", "path")))
            if table is not None:
                fr.data = [s.path + (f"!{s.sheet}" if s.sheet else "") for s in table.sources]
                ctx.table = table
                ctx.series, ctx.data_problems = R.series_from_table(model, table)
                for f in table.findings:
                    raw_findings.append((f, None))
        for hit in R.run_rules(ctx, enabled):
            raw_findings.append((_finding(defs, hit), hit.path))
    fr.findings = _filter(raw_findings, raw, enabled)
    fr.findings.sort(key=_sort_key)
    return fr


def _wants_data(model: KPIFile | None, data: Sequence[str | Path] | None) -> bool:
    spec = model.data if model is not None else None
    if not data and spec is not None and spec.url:
        from kpicli.model.dataurl import url_problem

        if url_problem(spec.url):  # M207 says why; never connect with a secret in the URL
            return False
    return bool(data) or bool(spec is not None and (spec.path or spec.url or spec.url_env))


def _data_present(defs: Definitions) -> bool:
    """Whether the file's own data.path names at least one existing file (globs expanded)."""
    from kpicli.api.load import data_paths

    return any(p.is_file() for p in data_paths(defs, None))


def _data_rules_enabled(enabled: Callable[[str], bool]) -> bool:
    from kpicli.engine.rules import CATALOGUE

    return any(r.needs_data and enabled(r.id) for r in CATALOGUE.values()) or enabled(
        "M201"
    ) or enabled("D")


def _read_table(
    defs: Definitions, model: KPIFile, data: Sequence[str | Path] | None
) -> tuple[Table | None, Finding | None]:
    """The data table; --data that cannot be read stops the run (exit 2), a file's own
    ``data.path`` that cannot be read is an M206 finding at that node."""
    from kpicli.api.load import read_table

    if data:
        return read_table(defs, data, model), None
    try:
        return read_table(defs, None, model), None
    except KpiError as exc:
        message = (
            f"the data named here cannot be read: {exc.message}; fix data.path (it is relative "
            f"to {defs.path}), or pass --data FILE"
        )
        f = defs.finding_at(("data", "path"), "M206", message)
        return None, f


def _finding(defs: Definitions, hit: RuleHit) -> Finding:
    from kpicli.engine.rules import CATALOGUE

    rule = CATALOGUE[hit.rule]
    message = hit.message
    if hit.related is not None and defs.yaml is not None:
        line, _ = defs.yaml.position(hit.related)
        message = f"{message} ({hit.related_label} at line {line})"
    return defs.finding_at(
        hit.path, rule.id, message, key=hit.key, kpi=hit.kpi_id, context=hit.context
    )


def _kpi_ignores(raw: Any) -> tuple[dict[int, list[str]], dict[str, list[str]]]:
    """Rule selectors in each KPI's ``ignore:``, by index in the file and by KPI id."""
    by_index: dict[int, list[str]] = {}
    by_id: dict[str, list[str]] = {}
    kpis = raw.get("kpis") if isinstance(raw, dict) else None
    if not isinstance(kpis, list):
        return by_index, by_id
    for i, item in enumerate(kpis):
        if not isinstance(item, dict) or not isinstance(item.get("ignore"), list):
            continue
        sel = [str(x).strip().upper() for x in item["ignore"] if isinstance(x, str) and x.strip()]
        by_index[i] = sel
        if item.get("id") is not None:
            by_id.setdefault(str(item["id"]), []).extend(sel)
    return by_index, by_id


def _filter(
    items: list[tuple[Finding, tuple[Any, ...] | None]], raw: Any, enabled: Callable[[str], bool]
) -> list[Finding]:
    by_index, by_id = _kpi_ignores(raw)
    out = []
    for f, path in items:
        if not enabled(f.rule):
            continue
        if path and len(path) >= 2 and path[0] == "kpis" and isinstance(path[1], int):
            silenced = by_index.get(path[1], [])
        else:
            silenced = by_id.get(f.kpi or "", []) if f.kpi else []
        if silenced and _matches(f.rule, silenced):
            continue
        out.append(f)
    return out


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (
        f.line is None,
        f.line or 0,
        f.column or 0,
        _SEVERITY_ORDER.get(f.severity, 3),
        f.rule,
        f.message,
    )


