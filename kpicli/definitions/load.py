"""Load ``kpis.yaml``: YAML with positions, then the pydantic model, errors as findings."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kpicli.definitions.yamlfile import LoadedYaml, YamlError, load_yaml_file, load_yaml_text

# The catalogue is data (light at import, no pandas): a Finding's severity and letter come
# from it here as everywhere else.
from kpicli.engine.rules.catalogue import finding
from kpicli.errors import DefinitionError, KpiError
from kpicli.model.kpifile import KPIFile
from kpicli.model.results import Finding


@dataclass
class Definitions:
    """A loaded KPI file: the model (None when it has errors), its YAML and the findings."""

    path: str
    model: KPIFile | None
    yaml: LoadedYaml | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent if self.path not in ("-", "<stdin>") else Path(".")

    def finding_at(
        self,
        path: tuple[str | int, ...],
        rule: str,
        message: str,
        *,
        key: bool = False,
        kpi: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding of catalogue rule ``rule`` at the YAML node ``path`` (its key with
        ``key``), placed at its file:line:col."""
        line, col = self.yaml.position(path, key=key) if self.yaml else (1, 1)
        return _positioned(self, rule, message, line, col, kpi=kpi, context=context)


def _fields_of(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (and aliases) allowed at ``loc`` inside ``model``, for did-you-mean."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _model_in(info.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[Any, ...], kpi: str | None) -> str:
    """``kpis[1] (csat).target`` — list indexes in brackets, the KPI's id beside its index."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if i == 1 and loc[0] == "kpis" and kpi and kpi != "None":
                out += f" ({kpi})"
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict[str, Any], allowed: list[str], loc: tuple[Any, ...], kpi: str | None) -> str:
    kind = err["type"]
    where = _dotted(loc, kpi) or "file"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = (
            f" (did you mean {close[0]!r}?)"
            if close
            else (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        )
        return f"unknown key {key!r} in {_dotted(loc[:-1], kpi) or 'the top level'}{hint}"
    if kind == "missing":
        return f"missing required key {where!r}"
    if kind in _EXPECTED:
        return f"{where}: expected {_EXPECTED[kind]}, got {_shown(err.get('input'))}"
    if kind in ("literal_error", "enum"):
        choices = (err.get("ctx") or {}).get("expected")
        if choices:
            return f"{where}: {_shown(err.get('input'))} is not one of {choices}"
    # Our own validators raise ValueError with a message written for the user; pydantic only
    # prefixes it. Other pydantic wording is a last resort for types not mapped above.
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{where}: {msg}"


def _context(err: dict[str, Any], allowed: list[str], loc: tuple[Any, ...]) -> dict[str, Any]:
    """E002's facts in kpicli's own words: the YAML path, what is wrong, the did-you-mean."""
    path = [p if isinstance(p, int) else str(p) for p in loc]
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        return {"path": path, "problem": "unknown_key", "key": str(loc[-1]),
                "did_you_mean": close[0] if close else None}
    if kind == "missing":
        return {"path": path, "problem": "missing_key"}
    if kind in _EXPECTED:
        return {"path": path, "problem": "wrong_type", "expected": _EXPECTED[kind]}
    return {"path": path, "problem": "invalid_value"}


# kpicli's own words for pydantic's type errors, so messages (and tests) do not depend on the
# wording of a pydantic release.
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}


def _shown(value: Any) -> str:
    """A short description of the value the user wrote, for a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def schema_findings(defs: Definitions, exc: ValidationError) -> list[Finding]:
    out = []
    for err in exc.errors():
        # Drop pydantic's internal union/validator branch labels from the path. The last part
        # of an unknown-key error is the user's own key, kept as written even when it holds a
        # bracket ("a[b") or looks like a label.
        raw = tuple(err["loc"])
        own = raw[-1:] if err["type"] == "extra_forbidden" else ()
        loc = tuple(p for p in raw[: len(raw) - len(own)]
                    if isinstance(p, int) or "[" not in str(p))
        loc = tuple(p for p in loc if not str(p).startswith("function-")) + own
        allowed = _fields_of(KPIFile, loc[:-1]) if err["type"] == "extra_forbidden" else []
        kpi = None
        if defs.yaml and len(loc) >= 2 and loc[0] == "kpis" and isinstance(loc[1], int):
            data = defs.yaml.data
            try:
                kpi = str(data["kpis"][loc[1]].get("id")) if isinstance(data, dict) else None
            except (IndexError, KeyError, AttributeError, TypeError):
                kpi = None
        out.append(
            defs.finding_at(
                loc,
                "E002",
                _message(err, allowed, loc, kpi),
                key=err["type"] == "extra_forbidden",
                kpi=kpi,
                context=_context(err, allowed, loc),
            )
        )
    return out


def parse_definitions(text: str, source: str) -> Definitions:
    """Parse KPI definitions from text. Never raises for bad content: see ``findings``."""
    defs = Definitions(path=source, model=None, yaml=None)
    try:
        defs.yaml = load_yaml_text(text, source)
    except YamlError as exc:
        return parse_definitions_error(defs, exc)
    return _validate(defs)


def _validate(defs: Definitions) -> Definitions:
    assert defs.yaml is not None
    data = defs.yaml.data
    if data is None:
        defs.findings.append(
            defs.finding_at((), "E002", "the file is empty; start with `kpi init`")
        )
        return defs
    if not isinstance(data, dict):
        defs.findings.append(
            defs.finding_at(
                (),
                "E002",
                f"the top level must be a mapping with keys like title and kpis, "
                f"not a {type(data).__name__}",
            )
        )
        return defs
    for path, line, col in defs.yaml.duplicate_keys:
        defs.findings.append(
            _positioned(
                defs,
                "E002",
                f"key {path[-1]!r} appears twice; the later one would win silently",
                line,
                col,
                context={
                    "path": [p if isinstance(p, int) else str(p) for p in path],
                    "problem": "duplicate_key",
                    "key": str(path[-1]),
                },
            )
        )
    try:
        defs.model = KPIFile.model_validate(data)
    except ValidationError as exc:
        defs.findings.extend(schema_findings(defs, exc))
    return defs


def read_definitions(path: str | Path) -> Definitions:
    """Read a KPI file from disk (``-`` reads standard input)."""
    source = str(path)
    if source == "-":
        import sys

        from kpicli import limits

        # Bounded: one character past the limit is enough for the size error (no `< /dev/zero`).
        limit = limits.current().kpi_file_size
        return parse_definitions(sys.stdin.read(-1 if limit is None else limit + 1), "<stdin>")
    p = Path(path)
    if not p.exists():
        raise KpiError(
            f"KPI file not found: {source}",
            hint="run `kpi init` to create one, or pass the path of your kpis.yaml",
        )
    if p.is_dir():
        raise KpiError(
            f"{source} is a folder; pass the path of a KPI file such as {p / 'kpis.yaml'}"
        )
    defs = Definitions(path=source, model=None, yaml=None)
    try:
        defs.yaml = load_yaml_file(p)
    except OSError as exc:
        raise KpiError(f"cannot read {source}: {exc.strerror or exc}") from None
    except YamlError as exc:
        return parse_definitions_error(defs, exc)
    return _validate(defs)


def _positioned(
    defs: Definitions,
    rule: str,
    message: str,
    line: int,
    col: int,
    *,
    kpi: str | None = None,
    context: dict[str, Any] | None = None,
) -> Finding:
    return finding(
        rule,
        message,
        location=f"{defs.path}:{line}:{col}",
        file=defs.path,
        line=line,
        column=col,
        kpi=kpi,
        context=context,
    )


def parse_definitions_error(defs: Definitions, exc: YamlError) -> Definitions:
    defs.findings.append(
        _positioned(
            defs, "E001", f"YAML syntax error: {exc.message}", exc.line or 1, exc.column or 1
        )
    )
    return defs


def load_kpi_file(path: str | Path) -> Definitions:
    """Read a KPI file that must be usable; raise DefinitionError listing its errors if not."""
    return raise_on_errors(read_definitions(path), path)


def raise_on_errors(defs: Definitions, path: str | Path) -> Definitions:
    """``defs`` when it has a model and no error finding; else DefinitionError listing them."""
    errors = [f for f in defs.findings if f.severity == "error"]
    if defs.model is None or errors:
        shown = errors[:5]
        lines = [f"{f.location}: {f.rule} {f.message}" for f in shown]
        more = len(errors) - len(shown)
        if more > 0:
            lines.append(f"... and {more} more (run `kpi validate {path}`)")
        head = f"{path} has {len(errors)} error{'s' if len(errors) != 1 else ''}:\n  "
        raise DefinitionError(head + "\n  ".join(lines), errors)
    return defs
