"""`kpi validate` as a Python function: SMART rules over KPI files, findings with file:line:col."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpicli.definitions.load import Definitions, read_definitions
from kpicli.errors import KpiError
from kpicli.model.results import Finding

__all__ = [
    "FileResult",
    "ValidationResult",
    "kpi_json_schema",
    "parse_selectors",
    "validate_files",
]

FINDINGS_SCHEMA = "kpicli.findings/1"
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class FileResult:
    """The findings of one KPI file (and of the data it was checked against)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    kpis: int = 0
    data: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices, for stderr

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def infos(self) -> int:
        return self.count("info")


@dataclass
class ValidationResult:
    """Findings per file and the exit status they imply (0 clean, 1 failing findings)."""

    files: list[FileResult] = field(default_factory=list)
    strict: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [f for fr in self.files for f in fr.findings]

    @property
    def errors(self) -> int:
        return sum(fr.errors for fr in self.files)

    @property
    def warnings(self) -> int:
        return sum(fr.warnings for fr in self.files)

    @property
    def infos(self) -> int:
        return sum(fr.infos for fr in self.files)

    def is_failing(self, finding: Finding) -> bool:
        """Errors fail; warnings fail too with --strict; infos never do."""
        return finding.severity == "error" or (self.strict and finding.severity == "warning")

    @property
    def failed(self) -> bool:
        return any(self.is_failing(f) for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "strict": self.strict,
            "failed": self.failed,
            "exit_code": self.exit_code,
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The ``kpicli.findings/1`` document of ``kpi validate --format json``."""
        return {
            "schema": FINDINGS_SCHEMA,
            "files": [
                {
                    "path": fr.path,
                    "kpis": fr.kpis,
                    "data": fr.data,
                    "errors": fr.errors,
                    "warnings": fr.warnings,
                    "infos": fr.infos,
                }
                for fr in self.files
            ],
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "letter": f.letter,
                    "message": f.message,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "kpi": f.kpi,
                    "location": f.location,
                }
                for f in self.findings
            ],
            "summary": self.summary(),
        }


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
    run where the data is not committed.

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
    return result


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
        (_with_letter(f), None) for f in defs.findings
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
                    raw_findings.append((_with_letter(f), None))
        for hit in R.run_rules(ctx, enabled):
            raw_findings.append((_finding(defs, hit), hit.path))
    fr.findings = _filter(raw_findings, raw, enabled)
    fr.findings.sort(key=_sort_key)
    return fr


def _wants_data(model: Any, data: Sequence[str | Path] | None) -> bool:
    spec = model.data if model is not None else None
    if not data and spec is not None and spec.url:
        from kpicli.model.dataurl import url_problem

        if url_problem(spec.url):  # M207 says why; never connect with a secret in the URL
            return False
    return bool(data) or bool(spec is not None and (spec.path or spec.url or spec.url_env))


def _data_present(defs: Definitions) -> bool:
    """Whether the file's own data.path names at least one existing file (globs expanded)."""
    from kpicli.api import data_paths

    return any(p.is_file() for p in data_paths(defs, None))


def _data_rules_enabled(enabled: Callable[[str], bool]) -> bool:
    from kpicli.engine.rules import CATALOGUE

    return any(r.needs_data and enabled(r.id) for r in CATALOGUE.values()) or enabled(
        "M201"
    ) or enabled("D")


def _read_table(
    defs: Definitions, model: Any, data: Sequence[str | Path] | None
) -> tuple[Any, Finding | None]:
    """The data table; --data that cannot be read stops the run (exit 2), a file's own
    ``data.path`` that cannot be read is an M206 finding at that node."""
    from kpicli.api import read_table

    if data:
        return read_table(defs, data, model), None
    try:
        return read_table(defs, None, model), None
    except KpiError as exc:
        message = (
            f"the data named here cannot be read: {exc.message}; fix data.path (it is relative "
            f"to {defs.path}), or pass --data FILE"
        )
        f = defs.finding_at(("data", "path"), "M206", "error", message, letter="M")
        return None, f


def _with_letter(f: Finding) -> Finding:
    if f.letter:
        return f
    from kpicli.engine.rules import CATALOGUE

    rule = CATALOGUE.get(f.rule)
    letter = rule.letter if rule else (f.rule[:1] if f.rule else None)
    return f.model_copy(update={"letter": letter})


def _finding(defs: Definitions, hit: Any) -> Finding:
    from kpicli.engine.rules import CATALOGUE

    rule = CATALOGUE[hit.rule]
    message = hit.message
    if hit.related is not None and defs.yaml is not None:
        line, _ = defs.yaml.position(hit.related)
        message = f"{message} ({hit.related_label} at line {line})"
    return defs.finding_at(
        hit.path, rule.id, rule.severity, message, key=hit.key, kpi=hit.kpi_id, letter=rule.letter
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


# ------------------------------------------------------------------------------------------
# JSON Schema


def kpi_json_schema() -> dict[str, Any]:
    """JSON Schema of kpis.yaml (``kpi schema``), from the pydantic model.

    The model accepts friendlier input than its types say: numbers written as ``"85%"``,
    ``"1.2M"`` or ``"-20%"``, periods written as ``2026`` or a date, and ``target: 42`` /
    ``baseline: 78`` as scalars. A schema generator widens those spots so editors do not flag
    valid files.
    """
    from pydantic.json_schema import GenerateJsonSchema

    from kpicli.model import kpifile

    number = {
        "anyOf": [
            {"type": "number"},
            {
                "type": "string",
                "pattern": r"^\s*[+-]?\s*[\d.,_]+\s*(k|K|m|M|mn|b|B|bn|%)?\s*$",
            },
        ]
    }
    period = {
        "anyOf": [
            {"type": "string", "examples": ["2026-10", "2026-Q3", "2026-W07", "FY2026", "Oct 2026"]},
            {"type": "integer", "minimum": 1000, "maximum": 9999},
        ]
    }
    special = {
        getattr(kpifile, "_number", None): number,
        getattr(kpifile, "_change", None): number,
        getattr(kpifile, "_period", None): period,
    }
    special.pop(None, None)

    class Generator(GenerateJsonSchema):
        def function_before_schema(self, schema: Any) -> Any:
            fn = schema.get("function", {}).get("function")
            if fn in special:
                return dict(special[fn])
            return super().function_before_schema(schema)

    schema = kpifile.KPIFile.model_json_schema(schema_generator=Generator)
    defs = schema.get("$defs", {})
    scalar = {
        "Target": "a level to reach, such as 42, \"85%\" or \"1.2M\"",
        "Baseline": "the starting value, such as 78",
    }
    for name, what in scalar.items():
        if name in defs:
            obj = defs[name]
            defs[name] = {
                "description": obj.get("description", ""),
                "anyOf": [{**number, "description": f"Shorthand: {what}."}, obj],
            }
    _tighten(schema)
    ordered = {"$schema": schema.pop("$schema", None), "$id": SCHEMA_ID}
    ordered = {k: v for k, v in ordered.items() if v is not None}
    ordered["title"] = schema.pop("title", "kpicli KPI definitions (kpis.yaml)")
    ordered["description"] = (
        "KPI definitions for kpicli (kpis.yaml): objectives, KPIs with their measures, "
        "formulas, baselines and targets, and where the measurements are. Check a file with "
        "`kpi validate`."
    )
    schema.pop("description", None)
    return {**ordered, **schema}


SCHEMA_ID = "urn:kpicli:schema:kpis:1"


def _any_case(word: str) -> str:
    """A regex for ``word`` in any letter case (JSON Schema patterns have no ``(?i)``)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def aggregate_schema() -> dict[str, Any]:
    """What ``aggregate:`` accepts, as kpicli.model.kpifile.check_aggregate does: the names
    (offered by editors), and the same in any case with spaces around, ``avg``/``average``
    and ``p1``..``p99`` (and ``p100``)."""
    from kpicli.model.kpifile import AGGREGATES

    words = "|".join(_any_case(w) for w in (*AGGREGATES, "average", "avg"))
    pct = f"{_any_case('p')}(?:[1-9][0-9]?|100)"
    return {
        "anyOf": [
            {"enum": list(AGGREGATES)},
            {"type": "string", "pattern": rf"^\s*(?:{words}|{pct})\s*$"},
            {"type": "null"},
        ]
    }


def rule_selector_schema() -> dict[str, Any]:
    """What ``ignore:`` accepts, as kpicli.engine.rules.is_rule_selector does: a rule id of
    the catalogue (offered by editors) or a prefix of one (``S``, ``T50``, ``D6``), in any
    case."""
    from kpicli.engine.rules import CATALOGUE, is_rule_selector

    ids = sorted(CATALOGUE)
    prefixes = sorted(
        {rid[:n] for rid in ids for n in range(1, len(rid) + 1) if is_rule_selector(rid[:n])}
    )
    alternatives = "|".join(_any_case(p) for p in prefixes)
    return {
        "anyOf": [
            {"enum": ids},
            {"type": "string", "pattern": rf"^\s*(?:{alternatives})\s*$"},
        ]
    }


def _tighten(schema: dict[str, Any]) -> None:
    """Enumerate what validation enumerates, so editors flag and complete the same values."""
    defs = schema.get("$defs", {})
    for model in ("Measure", "Defaults"):
        prop = defs.get(model, {}).get("properties", {}).get("aggregate")
        if prop is not None:
            prop.pop("anyOf", None)
            prop.pop("type", None)
            prop.update(aggregate_schema())
    ignore = defs.get("KPI", {}).get("properties", {}).get("ignore")
    if ignore is not None:
        ignore["items"] = rule_selector_schema()


def schema_text() -> str:
    """The schema as committed in schema/kpis.schema.json."""
    import json

    return json.dumps(kpi_json_schema(), indent=2, ensure_ascii=False) + "\n"
