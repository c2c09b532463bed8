"""The kpi_rows layout: the classic tracker, one row per KPI and one column per period (with
Target | Actual sub-columns, sections by a column, several grains), melted into the long shape."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.results import Finding
from kpicli.model.table import BASELINE, COL, DATE, TARGET, VALUE
from kpicli.model.table import KPI as KPI_COL
from kpicli.model.units import PERCENT_WORDS
from kpicli.readers.headers import (
    ROLE_TARGET,
    header_name,
)
from kpicli.readers.layout.columns import _numbers_column, _numeric_or_text
from kpicli.readers.layout.detect import _column_periods, _mostly_text, period_columns
from kpicli.readers.layout.percent import _format_percent, _percent_labels, _scale_long
from kpicli.readers.layout.sheet import (
    Part,
    Sheet,
    _base,
    _cell_refs,
    _non_numeric_finding,
    _places,
    _source,
    _uncalculated_findings,
)
from kpicli.readers.layout.vocabulary import (
    _BASELINE_NAMES,
    _KPI_NAMES,
    _TARGET_NAMES,
    _UNIT_NAMES,
    _by_name,
    _lookup,
    norm,
)
from kpicli.readers.numbers import (
    Numbers,
    finest,
    refine_day_grain,
    text_values,
    to_numbers,
)
from kpicli.readers.sections import check_section_used


def _kpi_rows(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    """The tracker layout: one row per KPI, one column per period, melted to long."""
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    names = sheet.names
    every_period = _column_periods(sheet, fys)
    periods = period_columns(sheet, fys)
    if not periods:
        raise DataError(
            f"{sheet.where} has no period columns for the kpi_rows layout: the header should hold "
            "periods such as Jan 2026, 2026-02, Q3 2026 or dates; header: "
            + ", ".join(repr(n) for n in names)
        )
    periods, dropped = _one_grain(periods, model)
    if dropped:
        sheet.notes.append(f"{sheet.where}: {dropped}")
    others = [n for n in names if n not in every_period]
    if spec is not None and spec.kpi_column:
        label_col = _lookup(names, spec.kpi_column, sheet.where, "data.kpi_column")
    else:
        label_col = (
            _by_name(others, _KPI_NAMES)
            or _column_naming_kpis(sheet, others, model)
            or next((n for n in others if _mostly_text(sheet.frame[n])), None)
        )
    if label_col is None:
        raise DataError(
            f"{sheet.where} looks like a KPI tracker (periods across the header) but has no column "
            "of KPI names; name it with data.kpi_column"
        )
    sheet = _section_by_column(sheet, label_col, others, spec)
    check_section_used(spec.section if spec else None, sheet.sectioned, sheet.where)
    target_col = (
        _lookup(names, spec.target_column, sheet.where, "data.target_column")
        if spec and spec.target_column
        else _by_name(others, _TARGET_NAMES, [label_col])
    )
    baseline_col = _by_name(others, _BASELINE_NAMES, [label_col, target_col])
    unit_col = _by_name(others, _UNIT_NAMES, [label_col, target_col, baseline_col])
    letters = dict(zip(names, sheet.letters, strict=True))
    frame = sheet.frame
    pnames = list(periods)
    p = len(pnames)
    n = len(frame)
    grains = {g for g, _ in periods.values()}
    grain = finest({"year" if g == "fiscal_year" else g for g in grains})
    starts = np.array([np.datetime64(d, "ns") for _, d in periods.values()], dtype="datetime64[ns]")
    if grain == "day":
        grain = finest({refine_day_grain(starts)} | (grains - {"day"}))
    # Sub-columns named Target under each period: the period's target, cell by cell.
    role_targets = {
        (g, d): name for name, (g, d, role) in every_period.items() if role == ROLE_TARGET
    }
    target_of = [role_targets.get(periods[c]) for c in pnames]
    if target_col is None and any(target_of):
        target_col = None  # per-period targets come from the sub-columns below

    labels = text_values(frame[label_col]).to_numpy(dtype=object)
    block = pd.Series(frame[pnames].to_numpy(dtype=object).ravel(), dtype=object)
    cell_rows = np.repeat(sheet.rows, p)
    cell_letters = np.tile(np.array([letters[c] for c in pnames], dtype=object), n)
    nums = to_numbers(block, spec.decimal if spec else None, sheet.decimal_hint)
    row_label = np.repeat(labels, p)
    no_label = pd.isna(row_label)
    lost = np.flatnonzero(no_label & ~nums.empty)
    if len(lost):
        unnamed = np.unique(cell_rows[lost])
        k = len(unnamed)
        findings.append(
            sheet.finding(
                "D610",
                f"{k} row{'s' if k != 1 else ''} with values but no KPI name in column "
                f"{label_col!r} skipped "
                f"({_places(sheet, unnamed, letters[label_col], None)}); name the KPI in "
                "that column or delete the row",
                int(unnamed[0]),
                letters[label_col],
                context={
                    "rows": k,
                    "skipped": "no_kpi_name",
                    "column": label_col,
                    "locations": _cell_refs(sheet, unnamed, letters[label_col]),
                },
            )
        )
    keep = ~no_label & ~nums.empty  # an empty tracker cell is not a measurement
    values = nums.values.copy()
    fmt = _format_percent(sheet, cell_rows, cell_letters, nums)
    values[fmt] *= 100.0

    sub_targets = _sub_column_targets(sheet, spec, frame, target_of, keep, findings)
    raw = block.to_numpy(dtype=object)
    bad_keep = nums.bad & keep
    if bad_keep.any():
        codes, uniques = pd.factorize(pd.Series(row_label[bad_keep], dtype=object))
        idx = np.flatnonzero(bad_keep)
        for i, label in enumerate(uniques):  # one finding per KPI row with stray text
            sel = idx[codes == i]
            part = Numbers(
                values[sel],
                np.ones(len(sel), bool),
                np.zeros(len(sel), bool),
                nums.text_percent[sel],
                nums.typed[sel],
                nums.decimal,
            )
            f = _non_numeric_finding(
                sheet,
                str(label),
                part,
                raw[sel],
                cell_rows[sel],
                cell_letters[sel],
                f"KPI row {label!r}",
                {"kpi_label": str(label)},
            )
            if f:
                findings.append(f)

    out: dict[str, object] = {
        DATE: np.tile(starts, n)[keep],
        KPI_COL: row_label[keep],
        VALUE: values[keep],
    }
    kept_rows = cell_rows[keep]
    kept_letters = cell_letters[keep]
    scaled: list[tuple[str, np.ndarray, Numbers, np.ndarray]] = [
        (VALUE, out[VALUE], _subset(nums, keep), fmt[keep])  # type: ignore[list-item]
    ]
    if sub_targets is not None:
        out[TARGET] = sub_targets[0]
        scaled.append(sub_targets[1:])
    for col, reserved in ((target_col, TARGET), (baseline_col, BASELINE)):
        if col is None or (reserved == TARGET and sub_targets is not None):
            continue
        vals, tnums, tfmt = _numbers_column(
            sheet, spec, col, frame[col], sheet.rows, letters[col], findings
        )
        rep = np.repeat(vals, p)[keep]
        out[reserved] = rep
        scaled.append((reserved, rep, _subset(_repeat(tnums, p), keep), np.repeat(tfmt, p)[keep]))
    unit_pct = None
    if unit_col is not None:
        units = text_values(frame[unit_col]).str.strip().str.lower().isin(PERCENT_WORDS)
        unit_pct = np.repeat(units.to_numpy(dtype=bool), p)[keep]
    pending = _scale_long(
        pd.Series(out[KPI_COL], dtype=object), scaled, _percent_labels(model), unit_pct
    )
    for name in others:
        if name in (label_col, target_col, baseline_col):
            continue
        col = _numeric_or_text(
            sheet, spec, name, frame[name], sheet.rows, letters[name], findings, {}, fys
        )
        out[name] = np.repeat(col.to_numpy(), p)[keep]
    result = _base(out, kept_rows, int(keep.sum()))
    result[COL] = pd.array(kept_letters, dtype="str")
    result[KPI_COL] = result[KPI_COL].astype("str")
    for name in others:
        if name in result and result[name].dtype == object:
            result[name] = result[name].astype("str")
    source = _source(sheet, "kpi_rows")
    source.columns[KPI_COL] = letters[label_col]
    if sub_targets is not None:
        target_col = next(t for t in target_of if t)
    if target_col:
        source.columns[TARGET] = letters[target_col]
    if baseline_col:
        source.columns[BASELINE] = letters[baseline_col]
    return Part(result, "long", source, findings, grain, target_label=target_col, fractions=pending)


def _one_grain(
    periods: dict[str, tuple[str, dt.date]], model: KPIFile | None
) -> tuple[dict[str, tuple[str, dt.date]], str | None]:
    """Never the same time twice: where a year has both quarter columns and a column for
    the whole year (statistics tables do), the columns of the report's grain are read
    (else the finer ones) and the others left out, with a note."""

    def grain_of(g: str) -> str:
        return "year" if g == "fiscal_year" else g

    grains = {grain_of(g) for g, _ in periods.values()}
    if len(grains) < 2:
        return periods, None
    order = ["day", "week", "month", "quarter", "year"]
    freq = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
    spans = {}
    for n, (g, d) in periods.items():
        span = pd.Period(d, freq=freq[grain_of(g)])
        spans[n] = (span.start_time, span.end_time, grain_of(g))
    wanted = model.period if model is not None else None
    drop = set()
    for a, (a0, a1, ga) in spans.items():
        for b, (b0, b1, gb) in spans.items():
            if ga == gb or order.index(ga) <= order.index(gb) or not (a0 <= b0 and b1 <= a1):
                continue
            # a (coarser) contains b (finer): keep the report's grain, else the finer one.
            drop.add(b if wanted == ga else a)
    if not drop:
        return periods, None
    kept = {n: v for n, v in periods.items() if n not in drop}
    left = [n for n in periods if n in drop]
    shown = ", ".join(repr(n) for n in left[:4]) + (
        f" and {len(left) - 4} more" if len(left) > 4 else ""
    )
    return kept, (
        f"the header has {' and '.join(g for g in order if g in grains)} columns for the same "
        f"time; {len(left)} left out so nothing is counted twice ({shown})"
    )


def _column_naming_kpis(sheet: Sheet, others: list[str], model: KPIFile | None) -> str | None:
    """The text column whose cells name the KPIs of the KPI file (by id or name)."""
    if model is None or not model.kpis:
        return None
    wanted = set().union(*(k.labels for k in model.kpis))
    best, best_hits = None, 0
    for name in others:
        values = text_values(sheet.frame[name]).dropna().unique()[:5000]
        hits = len({norm(v) for v in values} & wanted)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _section_by_column(
    sheet: Sheet, label_col: str, others: list[str], spec: DataSpec | None
) -> Sheet:
    """KPI labels repeated in blocks told apart by another column (an age group beside
    the region): the blocks are sections; one is read (data.section, default the first)."""
    from kpicli.readers.sections import pick_value

    labels = text_values(sheet.frame[label_col]).map(norm, na_action="ignore")
    if sheet.sectioned or not labels.duplicated().any():
        return sheet
    blank = {n for n, h in zip(sheet.names, sheet.header, strict=True) if not header_name(h)}
    for name in others:
        # A named column (Team, Region) is a dimension to break down by (--by); an unnamed
        # one that tells repeated KPI rows apart (an age group beside the region, as a
        # statistics office exports) splits the sheet into sections.
        if name == label_col or name not in blank:
            continue
        col = text_values(sheet.frame[name])
        if col.isna().all():
            continue
        pairs = pd.DataFrame({"k": labels, "g": col.map(norm, na_action="ignore")})
        if pairs.dropna().duplicated().any() or col.nunique() < 2:
            continue
        titles = [str(t) for t in col.dropna().unique()]
        index = pick_value(titles, spec.section if spec else None, sheet.where, name)
        keep = (col == titles[index]).to_numpy(dtype=bool)
        how = (
            "data.section"
            if spec is not None and spec.section is not None
            else "the first; choose another with data.section"
        )
        listing = ", ".join(f"{i + 1} {t!r}" for i, t in enumerate(titles[:6]))
        note = (
            f"{sheet.where} repeats its KPI rows for each {name!r} ({listing}); reading "
            f"section {index + 1} {titles[index]!r} — {how}"
        )
        sheet.notes.append(note)  # the list is shared with the copy: normalise reports it
        return dataclasses.replace(
            sheet,
            frame=sheet.frame.loc[keep].reset_index(drop=True),
            rows=sheet.rows[keep],
            sectioned=True,
        )
    return sheet


def _sub_column_targets(
    sheet: Sheet,
    spec: DataSpec | None,
    frame: pd.DataFrame,
    target_of: list[str | None],
    keep: np.ndarray,
    findings: list[Finding],
) -> tuple[np.ndarray, Numbers, np.ndarray] | None:
    """Each period's Target sub-column, aligned with the melted value cells."""
    if not any(target_of):
        return None
    n = len(frame)
    letters = dict(zip(sheet.names, sheet.letters, strict=True))
    cols = []
    for t in target_of:
        cols.append(frame[t].to_numpy(dtype=object) if t else np.full(n, None, dtype=object))
    block = pd.Series(np.column_stack(cols).ravel(), dtype=object)
    nums = to_numbers(block, spec.decimal if spec else None, sheet.decimal_hint)
    cell_rows = np.repeat(sheet.rows, len(target_of))
    cell_letters = np.tile(
        np.array([letters.get(t, "") if t else "" for t in target_of], dtype=object), n
    )
    values = nums.values.copy()
    fmt = _format_percent(sheet, cell_rows, cell_letters, nums)
    values[fmt] *= 100.0
    f = _non_numeric_finding(
        sheet, "targets", nums, block, cell_rows, cell_letters, "the target sub-columns",
        {"part": "target"},
    )
    if f:
        findings.append(f)
    return values[keep], _subset(nums, keep), fmt[keep]


def _subset(nums: Numbers, mask: np.ndarray) -> Numbers:
    return Numbers(
        nums.values[mask],
        nums.bad[mask],
        nums.empty[mask],
        nums.text_percent[mask],
        nums.typed[mask],
        nums.decimal,
    )


def _repeat(nums: Numbers, k: int) -> Numbers:
    return Numbers(
        np.repeat(nums.values, k),
        np.repeat(nums.bad, k),
        np.repeat(nums.empty, k),
        np.repeat(nums.text_percent, k),
        np.repeat(nums.typed, k),
        nums.decimal,
    )
