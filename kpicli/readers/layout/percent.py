"""Percent scaling: whether a percent KPI's plain numbers are fractions (0.85) or shares (85),
decided once per KPI over all files read together, and percent-formatted cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kpicli.model.kpifile import KPI, KPIFile
from kpicli.readers.layout.sheet import Fractions, Part, Sheet
from kpicli.readers.layout.vocabulary import norm
from kpicli.readers.numbers import (
    Factorized,
    Numbers,
)


def _percent_targets(kpi: KPI) -> bool | None:
    """Whether the KPI's own numbers say its data are on the 0-100 scale (None: no numbers)."""
    nums: list[float] = []
    t = kpi.target
    if t is not None:
        nums += [x for x in (t.value, t.min, t.max) if x is not None]
        nums += list((t.schedule or {}).values())
    if kpi.baseline is not None and kpi.baseline.value is not None:
        nums.append(kpi.baseline.value)
    if not nums:
        return None
    return any(abs(x) > 1 for x in nums)


def are_fractions(v: np.ndarray, declared: bool | None) -> bool:
    """Whether percent values (not written with a % sign) are fractions to multiply by 100.

    The rule: they are when all of them lie in [0, 1] and they are not all equal to 1 — at
    least one lies strictly between 0 and 1, or both 0 and 1 occur (a 0/1 flag, whose mean
    times 100 is a percentage). A KPI whose own target and baseline are all within [0, 1]
    (``declared`` False) is measured on that scale on purpose, so its data are left alone.
    """
    if declared is False:
        return False
    v = v[~np.isnan(v)]
    if not len(v) or v.min() < 0 or v.max() > 1:
        return False
    inner = ((v > 0) & (v < 1)).any()
    flag = (v == 0).any() and (v == 1).any()
    return bool(inner or flag)


def scale_fractions(values: np.ndarray, mask: np.ndarray, declared: bool | None) -> bool:
    """Multiply the values in ``mask`` by 100, in place, when :func:`are_fractions`; True if so."""
    if not are_fractions(values[mask], declared):
        return False
    sel = mask & ~np.isnan(values)
    values[sel] = values[sel] * 100.0
    return True


def decide_fractions(parts: Sequence[Part]) -> None:
    """Scale percent values stored as fractions: one decision per KPI over all the files.

    Cells with a percent number format or a % sign were converted by the readers already
    and take no part; the remaining values of every file holding the KPI decide together.
    """
    groups: dict[tuple[str, ...], list[tuple[Part, Fractions]]] = {}
    for part in parts:
        for fr in part.fractions:
            groups.setdefault(fr.key, []).append((part, fr))
    for items in groups.values():
        values = np.concatenate(
            [p.frame[fr.column].to_numpy(dtype="float64")[fr.rows] for p, fr in items]
        )
        if not are_fractions(values, items[0][1].declared):
            continue
        for p, fr in items:
            col = p.frame[fr.column].to_numpy(dtype="float64", copy=True)
            sel = fr.rows & ~np.isnan(col)  # decided above, over all the files
            col[sel] = col[sel] * 100.0
            p.frame[fr.column] = col
    for part in parts:
        part.fractions = []


def _format_percent(
    sheet: Sheet, rows: np.ndarray, letters: np.ndarray | str, nums: Numbers
) -> np.ndarray:
    """Cells holding a number shown with a percent format (0.25 shown as 25%)."""
    pc = sheet.percent_cells
    if pc is None or not len(pc) or not len(rows):
        return np.zeros(len(rows), bool)
    if isinstance(letters, str):
        hit = np.isin(rows, pc.loc[pc["letter"] == letters, "row"].to_numpy())
    else:
        keys = pd.MultiIndex.from_arrays([pd.Index(letters, dtype="str"), pd.Index(rows)])
        hit = keys.isin(pd.MultiIndex.from_frame(pc[["letter", "row"]]))
    return np.asarray(hit, bool) & nums.typed


def _percent_columns(model: KPIFile | None) -> dict[str, bool | None]:
    """Records layout: measure column -> declared scale, for percent KPIs."""
    out: dict[str, bool | None] = {}
    for k in model.kpis if model else []:
        if k.is_percent and k.formula is None:
            col = k.data_column
            declared = _percent_targets(k)
            out[col] = False if out.get(col) is False else declared
    return out


def _percent_labels(model: KPIFile | None) -> list[tuple[set[str], bool | None]]:
    """Long layout: the normalised labels a percent KPI's rows may carry, with its scale."""
    out = []
    for k in model.kpis if model else []:
        if k.is_percent and k.formula is None:
            out.append((k.labels, _percent_targets(k)))
    return out


def _scale_long(
    labels: pd.Series,
    columns: list[tuple[str, np.ndarray, Numbers, np.ndarray]],
    wanted: list[tuple[set[str], bool | None]],
    extra: np.ndarray | None = None,
    made: Factorized | None = None,
) -> list[Fractions]:
    """Percent KPIs in a long table: the rows whose values (and targets) may be fractions.

    ``columns`` holds (frame column, values, numbers, format-scaled) for _value/_target/
    _baseline; ``extra`` marks rows a Unit column calls percent; ``made`` is the labels' own
    factorisation when the caller has one (the long layout's KPI codes: the column is not
    factorised again). Whether a KPI's values are fractions is decided over all files
    together (decide_fractions).
    """
    if not wanted and (extra is None or not extra.any()):
        return []  # no percent KPIs: nothing to scale
    if made is not None:
        codes, uniques = made.codes, made.uniques
    else:
        codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    normed = np.array([norm(u) for u in uniques] + [""], dtype=object)
    groups: list[tuple[tuple[str, ...], np.ndarray, bool | None]] = [
        (("kpi", *sorted(ws)), np.isin(normed, list(ws))[codes], declared)
        for ws, declared in wanted
    ]
    if extra is not None and extra.any():
        row_norm = normed[codes]
        for u in np.unique(row_norm[extra]):
            groups.append((("unit", str(u)), row_norm == u, None))
    out: list[Fractions] = []
    for key, mask, declared in groups:
        if not mask.any():
            continue
        for name, _values, nums, fmt in columns:
            if (fmt & mask).any():
                continue  # the cells' own percent format already decided
            out.append(Fractions((*key, name), name, mask & ~nums.text_percent, declared))
    return out
