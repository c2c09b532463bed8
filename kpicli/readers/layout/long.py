"""The long layout: one row per KPI and period, with KPI and value columns (and optional targets)."""

from __future__ import annotations

import numpy as np

from kpicli.errors import DataError
from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import BASELINE, DATE, TARGET, VALUE
from kpicli.model.table import KPI as KPI_COL
from kpicli.readers.layout.columns import (
    _date_codes,
    _dates_and_drops,
    _numbers_column,
    _numeric_or_text,
    find_date_column,
)
from kpicli.readers.layout.percent import _percent_labels, _scale_long
from kpicli.readers.layout.sheet import (
    Part,
    Sheet,
    _base,
    _cell_refs,
    _places,
    _source,
    _uncalculated_findings,
)
from kpicli.readers.layout.vocabulary import (
    _BASELINE_NAMES,
    _KPI_NAMES,
    _TARGET_NAMES,
    _VALUE_NAMES,
    _by_name,
    _lookup,
)
from kpicli.readers.numbers import (
    Numbers,
    text_column,
    to_numbers,
)


def _long(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    names = sheet.names
    kpi_col = (
        _lookup(names, spec.kpi_column, sheet.where, "data.kpi_column")
        if spec and spec.kpi_column
        else _by_name(names, _KPI_NAMES)
    )
    value_col = (
        _lookup(names, spec.value_column, sheet.where, "data.value_column")
        if spec and spec.value_column
        else _by_name(names, _VALUE_NAMES, [kpi_col])
    )
    if kpi_col is None or value_col is None:
        raise DataError(
            f"{sheet.where} is not in the long layout: it needs a KPI column and a value column "
            "(name them with data.kpi_column and data.value_column); columns: "
            + ", ".join(repr(n) for n in names)
        )
    target_col = (
        _lookup(names, spec.target_column, sheet.where, "data.target_column")
        if spec and spec.target_column
        else _by_name(names, _TARGET_NAMES, [kpi_col, value_col])
    )
    baseline_col = _by_name(names, _BASELINE_NAMES, [kpi_col, value_col, target_col])
    date_name, dates = find_date_column(
        sheet, spec, fys, [kpi_col, value_col, target_col, baseline_col]
    )
    keep = _dates_and_drops(sheet, date_name, dates, findings)
    letters = dict(zip(names, sheet.letters, strict=True))
    # The KPI column factorised once: the labels, the rows without one, percent scaling
    # and the engine's KPI codes all come from it.
    labels_all, label_codes = text_column(sheet.frame[kpi_col], sheet.factorized(kpi_col))
    no_label = label_codes.codes < 0
    if (keep & no_label).any():
        vals = to_numbers(sheet.frame[value_col])
        lost = np.flatnonzero(keep & no_label & ~vals.empty)
        if len(lost):
            findings.append(
                sheet.finding(
                    "D610",
                    f"{len(lost)} row{'s' if len(lost) != 1 else ''} with a value but no KPI name "
                    f"in column {kpi_col!r} skipped "
                    f"({_places(sheet, sheet.rows[lost], letters[kpi_col], None)}); name the KPI "
                    "in that column or delete the row",
                    int(sheet.rows[lost[0]]),
                    letters[kpi_col],
                    context={
                        "rows": len(lost),
                        "skipped": "no_kpi_name",
                        "column": kpi_col,
                        "locations": _cell_refs(sheet, sheet.rows[lost], letters[kpi_col]),
                    },
                )
            )
        keep = keep & ~no_label
    every = bool(keep.all())  # the usual case: no copies of the sheet's columns
    sub = sheet.frame if every else sheet.frame.loc[keep].reset_index(drop=True)
    rows = sheet.rows if every else sheet.rows[keep]
    labels = labels_all if every else labels_all[keep].reset_index(drop=True)
    out: dict[str, object] = {
        DATE: dates.values if every else dates.values[keep],
        KPI_COL: labels.array,
    }
    scaled: list[tuple[str, np.ndarray, Numbers, np.ndarray]] = []
    for col, reserved in ((value_col, VALUE), (target_col, TARGET), (baseline_col, BASELINE)):
        if col is not None:
            vals, nums, fmt = _numbers_column(
                sheet, spec, col, sub[col], rows, letters[col], findings
            )
            scaled.append((reserved, vals, nums, fmt))
            out[reserved] = vals
    if not every:
        label_codes = label_codes.take(keep)
    pending = _scale_long(labels, scaled, _percent_labels(model), made=label_codes)
    used = {kpi_col, value_col, target_col, baseline_col} | set(date_name.split("+"))
    codes = _date_codes(dates, keep, every)
    codes[KPI_COL] = label_codes
    for name in names:
        if name in used:
            continue
        out[name] = _numeric_or_text(
            sheet, spec, name, sub[name], rows, letters[name], findings, {}, fys, codes=codes
        ).array
    frame = _base(out, rows, len(rows))
    frame[KPI_COL] = frame[KPI_COL].astype("str")
    for name in names:
        if name in frame and frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    source = _source(sheet, "long")
    for name, reserved in (
        (date_name, DATE),
        (kpi_col, KPI_COL),
        (value_col, VALUE),
        (target_col, TARGET),
        (baseline_col, BASELINE),
    ):
        if name in letters:
            source.columns[reserved] = letters[name]
    return Part(
        frame,
        "long",
        source,
        findings,
        dates.grain,
        value_label=value_col,
        target_label=target_col,
        date_label=date_name,
        fractions=pending,
        codes=codes,
    )
