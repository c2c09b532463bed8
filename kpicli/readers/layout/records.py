"""The records layout: one row per date (or event), one column per measure."""

from __future__ import annotations

from kpicli.model.kpifile import DataSpec, KPIFile
from kpicli.model.table import DATE
from kpicli.readers.layout.columns import (
    _date_codes,
    _dates_and_drops,
    _numeric_or_text,
    find_date_column,
)
from kpicli.readers.layout.percent import _percent_columns
from kpicli.readers.layout.sheet import (
    Fractions,
    Part,
    Sheet,
    _base,
    _source,
    _uncalculated_findings,
)
from kpicli.readers.layout.vocabulary import _lookup


def _records(sheet: Sheet, spec: DataSpec | None, model: KPIFile | None, fys: int) -> Part:
    findings = [*sheet.findings, *_uncalculated_findings(sheet)]
    date_name, dates = find_date_column(sheet, spec, fys)
    keep = _dates_and_drops(sheet, date_name, dates, findings)
    every = bool(keep.all())  # the usual case: no copies of the sheet's columns
    sub = sheet.frame if every else sheet.frame.loc[keep]
    rows = sheet.rows if every else sheet.rows[keep]
    letters = dict(zip(sheet.names, sheet.letters, strict=True))
    date_parts = set(date_name.split("+")) if date_name not in sheet.names else {date_name}
    percent = _percent_columns(model)
    pending: list[Fractions] = []
    out: dict[str, object] = {DATE: dates.values if every else dates.values[keep]}
    codes = _date_codes(dates, keep, every)
    for name in sheet.names:
        if name in date_parts:
            continue
        out[name] = _numeric_or_text(
            sheet,
            spec,
            name,
            sub[name].reset_index(drop=True),
            rows,
            letters[name],
            findings,
            percent,
            fys,
            pending,
            codes,
        ).array
    frame = _base(out, rows, len(rows))
    for name in sheet.names:
        if name in frame and frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    target = None
    if spec is not None and spec.target_column:
        target = _lookup(sheet.names, spec.target_column, sheet.where, "data.target_column")
    return Part(
        frame,
        "records",
        _source(sheet, "records"),
        findings,
        dates.grain,
        target_label=target,
        date_label=date_name,
        fractions=pending,
        codes=codes,
    )
