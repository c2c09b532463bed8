"""`kpi diff`: pair two KPI files by id and two reports by (KPI, member).

Contract:
* :func:`diff` is the command: it loads both files (the old one from git with ``git``),
  reads the data once with the NEW file's settings and computes both reports over it for
  the same period.
* :func:`compare_definitions` compares the *validated* models (so ``85`` and ``"85%"``, or
  ``target: 12.5`` and ``target: {value: 12.5}``, are the same) and places every changed field
  at its line in each file from the YAML positions the loader kept (the field's own line,
  else its nearest written parent, e.g. the ``target:`` line for a scalar target).
* :func:`compare_reports` lists every (KPI, member) whose status or score differs, and the
  overall, objective and member scores that moved. It reads no files and computes no status:
  both reports were built by the engine over the same table and period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kpicli.definitions.load import Definitions
from kpicli.errors import KpiError
from kpicli.model.diff import (
    DefinitionDiff,
    FieldChange,
    ItemChange,
    ScoreChange,
    StatusChange,
    status_change,
)
from kpicli.model.results import KPIResult, Report, ScoreLine

__all__ = ["compare_definitions", "compare_reports", "diff", "flatten"]

# Settings compared as one item (the top-level keys that are not objectives or KPIs).
_SETTINGS = ("title", "period", "fiscal_year_start", "data", "defaults", "breakdown")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"target": {"min": 85}}`` -> ``{"target.min": 85}``; lists are compared whole."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _dump(model: Any) -> dict[str, Any]:
    return flatten(model.model_dump(mode="json", exclude_none=True))


def _kpi_fields(kpi: Any) -> dict[str, Any]:
    out = _dump(kpi)
    # `schedule:` is shorthand merged into target.schedule by the model: compare it there once.
    return {k: v for k, v in out.items() if not k.startswith("schedule.") and k != "schedule"}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):  # True == 1 in Python, not in a KPI file
        return type(a) is type(b) and a == b
    return bool(a == b)


def _line(defs: Definitions, base: tuple[str | int, ...], dotted: str | None) -> int | None:
    """Line of ``base + dotted`` in the file (key line), or of its nearest parent written."""
    if defs.yaml is None:
        return None
    parts: tuple[str | int, ...] = tuple(dotted.split(".")) if dotted else ()
    candidates = [base + parts]
    if parts[:2] == ("target", "schedule"):
        candidates.insert(0, base + ("schedule",) + parts[2:])  # written as the shorthand
    for path in candidates:
        if path in defs.yaml.key_positions or path in defs.yaml.positions:
            return defs.yaml.position(path, key=True)[0]
    return defs.yaml.position(candidates[-1], key=True)[0]


def _fields(
    old: dict[str, Any],
    new: dict[str, Any],
    old_defs: Definitions,
    new_defs: Definitions,
    old_base: tuple[str | int, ...],
    new_base: tuple[str | int, ...],
) -> list[FieldChange]:
    out = []
    for key in dict.fromkeys([*new, *old]):  # new file's order, then keys only OLD has
        a, b = old.get(key), new.get(key)
        if _same(a, b):
            continue
        out.append(
            FieldChange(
                field=key,
                old=a,
                new=b,
                old_line=_line(old_defs, old_base, key),
                new_line=_line(new_defs, new_base, key),
            )
        )
    return out


def _items(
    kind: str,
    key: str,
    old_defs: Definitions,
    new_defs: Definitions,
) -> list[ItemChange]:
    """Pair the ``key`` list (kpis or objectives) of both files by id."""
    assert old_defs.model is not None and new_defs.model is not None
    olds = {x.id: (i, x) for i, x in enumerate(getattr(old_defs.model, key))}
    news = {x.id: (i, x) for i, x in enumerate(getattr(new_defs.model, key))}
    dump = _kpi_fields if kind == "kpi" else _dump
    out: list[ItemChange] = []
    for id_ in dict.fromkeys([*news, *olds]):
        o, n = olds.get(id_), news.get(id_)
        name = getattr((n or o)[1], "name", None) or getattr((n or o)[1], "title", None)  # type: ignore[index]
        if o is None or n is None:
            defs, (i, _) = (new_defs, n) if o is None else (old_defs, o)  # type: ignore[misc]
            line = _line(defs, (key, i), None)
            out.append(
                ItemChange(
                    kind=kind,  # type: ignore[arg-type]
                    id=id_,
                    name=name,
                    change="added" if o is None else "removed",
                    old_line=None if o is None else line,
                    new_line=line if o is None else None,
                )
            )
            continue
        fields = _fields(dump(o[1]), dump(n[1]), old_defs, new_defs, (key, o[0]), (key, n[0]))
        if fields:
            out.append(
                ItemChange(
                    kind=kind,  # type: ignore[arg-type]
                    id=id_,
                    name=name,
                    change="changed",
                    old_line=_line(old_defs, (key, o[0]), None),
                    new_line=_line(new_defs, (key, n[0]), None),
                    fields=fields,
                )
            )
    return out


def compare_definitions(old_defs: Definitions, new_defs: Definitions) -> list[ItemChange]:
    """Settings, objectives and KPIs that were added, removed or changed, with their lines."""
    assert old_defs.model is not None and new_defs.model is not None
    old_set = {k: v for k, v in _dump(old_defs.model).items() if k.split(".")[0] in _SETTINGS}
    new_set = {k: v for k, v in _dump(new_defs.model).items() if k.split(".")[0] in _SETTINGS}
    out: list[ItemChange] = []
    fields = _fields(old_set, new_set, old_defs, new_defs, (), ())
    if fields:
        out.append(ItemChange(kind="settings", id="file", change="changed", fields=fields))
    out += _items("objective", "objectives", old_defs, new_defs)
    out += _items("kpi", "kpis", old_defs, new_defs)
    return out


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def compare_reports(old: Report, new: Report) -> tuple[list[StatusChange], list[ScoreChange]]:
    """(KPI, member) results whose status or score differ, then the scores that moved."""
    olds: dict[tuple[str, str | None], KPIResult] = {(r.id, r.group): r for r in old.kpis}
    news: dict[tuple[str, str | None], KPIResult] = {(r.id, r.group): r for r in new.kpis}
    statuses: list[StatusChange] = []
    for key in dict.fromkeys([*news, *olds]):
        o, n = olds.get(key), news.get(key)
        if o is not None and n is not None and o.status == n.status and _close(o.score, n.score):
            continue
        ref = n or o
        assert ref is not None
        statuses.append(
            StatusChange(
                id=ref.id,
                name=ref.name,
                group=ref.group,
                old_status=o.status if o else None,
                new_status=n.status if n else None,
                old_score=o.score if o else None,
                new_score=n.score if n else None,
                old_target=o.target if o else None,
                new_target=n.target if n else None,
                old_why=o.why if o else None,
                new_why=n.why if n else None,
                change=status_change(o.status if o else None, n.status if n else None),  # type: ignore[arg-type]
            )
        )
    scores = [ScoreChange(kind="overall", id="overall", old=old.score, new=new.score)]
    scores += _lines("objective", old.objectives, new.objectives)
    scores += _lines("group", old.groups, new.groups)
    return statuses, scores


def _lines(kind: str, old: list[ScoreLine], new: list[ScoreLine]) -> list[ScoreChange]:
    olds = {s.id: s.score for s in old}
    news = {s.id: s.score for s in new}
    return [
        ScoreChange(kind=kind, id=id_, old=olds.get(id_), new=news.get(id_))  # type: ignore[arg-type]
        for id_ in dict.fromkeys([*news, *olds])
        if not _close(olds.get(id_), news.get(id_)) or id_ not in olds or id_ not in news
    ]


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
    from kpicli.api.load import load_kpi_file, load_kpi_text, read_table

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
