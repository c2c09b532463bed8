"""Data-quality findings from the engine (D602–D606, D611): rule id, exact location text and
the facts of each finding (its context)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kpicli.engine.report import build_report
from kpicli.model.kpifile import KPIFile
from kpicli.readers.files import read_data
from tests.helpers import write_csv

TODAY = dt.date(2026, 11, 22)


def report_for(tmp_path: Path, csv_text: str, kpis: list[dict], **kw: object):
    path = write_csv(tmp_path, csv_text)
    model = KPIFile.model_validate({"kpis": kpis, **kw})
    table = read_data([path], model.data, model, base_dir=tmp_path)
    return build_report(model, table, today=TODAY), path


def by_rule(rep, rule: str) -> list:
    return [f for f in rep.findings if f.rule == rule]


def test_duplicate_long_rows_name_their_lines(tmp_path: Path) -> None:
    csv = "month,kpi,value\n2026-09,Revenue,10\n2026-10,Revenue,11\n2026-10,Revenue,12\n"
    rep, path = report_for(tmp_path, csv, [{"id": "rev", "name": "Revenue", "target": 5}],
                           data={"layout": "long", "kpi_column": "kpi", "value_column": "value"})
    (f,) = by_rule(rep, "D602")
    assert f.severity == "warning"
    assert f.location == f"{path}:3 (column 'value'), {path}:4 (column 'value')"
    assert f.context == {"duplicate_groups": 1, "duplicate_rows": 2}


def test_gap_stale_future_and_impossible_values(tmp_path: Path) -> None:
    csv = (
        "date,csat,tickets\n"
        "2026-06-03,80,5\n"
        "2026-07-03,120,-1\n"  # percent above 100 (fine), negative count
        "2026-09-03,85,\n"  # August missing for both: a gap
        "2026-10-03,86,\n"
        "2027-01-05,84,3\n"  # in the future
    )
    kpis = [
        {"id": "csat", "name": "CSAT", "unit": "percent", "target": 80},
        {"id": "tickets", "name": "Tickets", "unit": "count", "measure": {"aggregate": "sum"},
         "target": 4},
    ]
    rep, path = report_for(tmp_path, csv, kpis)
    # A percentage above 100 (or below 0) is legitimate without a range: (SPEC §3 "Values").
    assert not [f for f in by_rule(rep, "D606") if f.kpi == "csat"]
    (imp_cnt,) = [f for f in by_rule(rep, "D606") if f.kpi == "tickets"]
    assert imp_cnt.location == f"{path}:3 (column 'tickets')"
    assert imp_cnt.context == {"column": "tickets", "cells": 1, "example": -1.0, "negative": True}
    (fut,) = by_rule(rep, "D604")
    assert fut.location == f"{path}:6 (column 'date')"
    assert fut.context == {"future_rows": 1, "latest_date": "2027-01-05", "today": "2026-11-22",
                           "column": "date"}
    gaps = {f.kpi: f for f in by_rule(rep, "D603")}
    # Between 2026-06 and the future row in 2027-01: August, November and December are empty.
    assert gaps["csat"].context == {"missing_periods": 3,
                                    "periods": ["2026-08", "2026-11", "2026-12"]}
    assert gaps["csat"].location == "csat"
    # The latest period with data is 2027-01 (the future row); ask for 2026-12: nothing there.
    rep2 = build_report(
        KPIFile.model_validate({"kpis": kpis}),
        read_data([path], None, KPIFile.model_validate({"kpis": kpis})),
        period="2026-12",
        today=TODAY,
    )
    stale = {f.kpi for f in by_rule(rep2, "D605")}
    assert stale == {"csat", "tickets"}


def test_outlier_is_info(tmp_path: Path) -> None:
    rows = "".join(f"2026-{m:02d}-01,{v}\n" for m, v in
                   zip(range(1, 11), [50, 51, 49, 50, 52, 48, 50, 51, 500, 50], strict=True))
    rep, _ = report_for(tmp_path, "date,x\n" + rows, [{"id": "x", "name": "X value", "target": 40}])
    (f,) = by_rule(rep, "D611")
    assert f.severity == "info"
    assert f.location == "x@2026-09"
    # median 50, median absolute deviation 1: z = 0.6745 * (500 - 50) / 1
    assert f.context == {"period": "2026-09", "value": 500.0,
                         "z_score": pytest.approx(303.525, abs=0.006)}


def test_missing_column_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    rep, _ = report_for(tmp_path, "date,x\n2026-10-01,1\n",
                        [{"id": "x", "name": "X value", "target": 1},
                         {"id": "y", "name": "Y value", "measure": {"column": "nope"}, "target": 1}])
    (f,) = by_rule(rep, "M203")
    assert f.kpi == "y" and f.context == {"column": "nope"}
    assert {k.id: k.status for k in rep.kpis} == {"x": "met", "y": "no_data"}
