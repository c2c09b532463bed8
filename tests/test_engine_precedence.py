"""Due-period pace, which target applies (YAML vs a data target column) and the why of a gap.

SPEC §2 "Progress and status": in the due period itself the status uses the pace ratio with
expected progress 1.0; a target written in kpis.yaml wins over a target column only detected
in the data (a disagreeing cell is warning D615); a column named with data.target_column
wins over a YAML level. Every expected number is computed by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpicli.api import build_report
from kpicli.engine.evaluate import Context, evaluate_kpi
from kpicli.model.kpifile import KPI
from tests.helpers import write_csv, write_kpis


def kpi(**kw: object) -> KPI:
    return KPI.model_validate({"id": "k", "name": "A KPI", **kw})


def monthly(values: dict[str, float]) -> pd.Series:
    idx = pd.PeriodIndex(list(values), freq="M")
    return pd.Series(list(values.values()), index=idx, dtype="float64")


def ctx(period: str, **kw: object) -> Context:
    return Context(period=pd.Period(period, freq="M"), grain="month", **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ status in the due period


def test_change_target_in_its_due_period_is_judged_by_pace() -> None:
    # Issue example: {change: +10%, due: 2015-12}, baseline 100 in 2015-01: T = 110.
    # Actual 107.8 closes 7.8 of the 10 gap: progress 0.78 of expected 1.0 → off_track
    # (attainment 107.8/110 = 0.98 would have said at_risk).
    k = kpi(baseline={"value": 100, "period": "2015-01"}, target={"change": "+10%", "due": "2015-12"})
    r = evaluate_kpi(k, monthly({"2015-11": 105, "2015-12": 107.8}), ctx("2015-12"))
    assert r.target == pytest.approx(110)
    assert r.attainment == pytest.approx(0.98)
    assert r.progress == pytest.approx(0.78)
    assert r.expected_progress == 1.0
    assert r.status == "off_track"
    assert r.why == "progress 0.78 of expected 1.00 = 0.78 < 0.90 → off_track"
    assert r.needed is None  # no period left
    assert r.due == "2015-12"


def test_due_period_pace_at_risk_boundary() -> None:
    # progress exactly 0.9 of expected 1.0 = 0.90 >= 0.90 → at_risk.
    k = kpi(baseline={"value": 0, "period": "2026-01"}, target={"value": 10, "due": "2026-06"})
    r = evaluate_kpi(k, monthly({"2026-06": 9}), ctx("2026-06"))
    assert (r.status, r.progress, r.expected_progress) == ("at_risk", pytest.approx(0.9), 1.0)
    assert r.why == "progress 0.90 of expected 1.00 = 0.90 >= 0.90 → at_risk"


def test_due_period_lower_is_better_pace() -> None:
    # Lower is better: B 30, T 30*0.8 = 24; A 25.5: progress (25.5-30)/(24-30) = 0.75 → off_track.
    k = kpi(
        direction="lower",
        baseline={"value": 30, "period": "2026-03"},
        target={"change": "-20%", "due": "2026-09"},
    )
    r = evaluate_kpi(k, monthly({"2026-09": 25.5}), ctx("2026-09"))
    assert r.target == pytest.approx(24)
    assert r.attainment == pytest.approx(24 / 25.5)
    assert r.progress == pytest.approx(0.75)
    assert r.status == "off_track"


def test_one_period_after_due_is_off_track_whatever_the_pace() -> None:
    k = kpi(baseline={"value": 100, "period": "2015-01"}, target={"change": "+10%", "due": "2015-12"})
    r = evaluate_kpi(k, monthly({"2016-01": 109.5}), ctx("2016-01"))
    assert r.status == "off_track"
    assert r.why == "due 2015-12 passed without the target met (109.5 < 110) → off_track"


# ------------------------------------------------------------------ schedule gap: the why


def test_schedule_gap_why_names_the_period_once() -> None:
    k = kpi(target={"schedule": {"2026-09": 100, "2026-11": 120}})
    r = evaluate_kpi(k, monthly({"2026-10": 90}), ctx("2026-10"))
    assert r.status == "no_data"
    assert r.actual == 90
    assert r.target is None
    assert r.why == "the schedule has no target for 2026-10; status needs a target → no_data"
    assert r.why.count("2026-10") == 1


# ------------------------------------------------------------------ which target applies


def test_evaluate_yaml_band_wins_over_detected_data_targets() -> None:
    # A {min: 30} band with a detected column of 30: inside the band attainment is 1.0
    # (it was 33/30 = 1.1 when the column turned the band into a level).
    k = kpi(target={"min": 30})
    data_t = monthly({"2026-10": 30})
    r = evaluate_kpi(k, monthly({"2026-10": 33}), ctx("2026-10"), data_targets=data_t)
    assert (r.attainment, r.score, r.status) == (1.0, 1.0, "met")
    assert (r.target_min, r.target_max) == (30, None)
    assert r.why == "30 <= 33: inside the target band → met"


def test_evaluate_named_column_wins_over_yaml_level() -> None:
    k = kpi(target=50)
    data_t = monthly({"2026-10": 40})
    r = evaluate_kpi(
        k, monthly({"2026-10": 44}), ctx("2026-10", target_column_named=True), data_targets=data_t
    )
    assert r.target == 40
    assert r.attainment == pytest.approx(1.1)  # 44/40
    assert r.status == "met"
    # Detected only: the YAML level 50 applies: 44/50 = 0.88 < 0.9 → off_track.
    r = evaluate_kpi(k, monthly({"2026-10": 44}), ctx("2026-10"), data_targets=data_t)
    assert r.target == 50
    assert r.attainment == pytest.approx(0.88)
    assert r.status == "off_track"
    assert r.why == "attainment 44/50 = 0.88 < 0.90 → off_track"


def test_evaluate_detected_column_used_when_yaml_has_no_target() -> None:
    r = evaluate_kpi(
        kpi(), monthly({"2026-10": 44}), ctx("2026-10"), data_targets=monthly({"2026-10": 40})
    )
    assert (r.target, r.status) == (40, "met")


def test_evaluate_member_map_wins_over_detected_column() -> None:
    r = evaluate_kpi(
        kpi(),
        monthly({"2026-10": 44}),
        ctx("2026-10", member_target=55, group="North"),
        data_targets=monthly({"2026-10": 40}),
    )
    assert r.target == 55
    assert r.attainment == pytest.approx(0.8)  # 44/55


def _write(folder: Path, yaml: str, rows: str) -> tuple[Path, Path]:
    return write_kpis(folder, yaml), write_csv(folder, "period,kpi,value,target\n" + rows)


BAND = """\
version: 1
period: month
kpis:
  - id: csat
    name: CSAT
    target: {min: 30}
"""


def test_report_detected_column_repeating_the_band_bound_is_silent(tmp_path: Path) -> None:
    kpis, data = _write(tmp_path, BAND, "2026-01,csat,33,30\n")
    report = build_report(kpis, [str(data)])
    (k,) = report.kpis
    assert (k.attainment, k.score, k.status, k.target_min) == (1.0, 1.0, "met", 30)
    assert not [f for f in report.findings if f.rule == "D615"]


def test_report_detected_column_that_disagrees_is_d615_naming_the_cell(tmp_path: Path) -> None:
    kpis, data = _write(tmp_path, BAND, "2026-01,csat,33,30\n2026-02,csat,33,40\n2026-03,csat,36,45\n")
    report = build_report(kpis, [str(data)])
    (k,) = report.kpis
    assert report.period == "2026-03"
    assert (k.attainment, k.status) == (1.0, "met")  # the band, not 36/45
    (f,) = [f for f in report.findings if f.rule == "D615"]
    assert f.severity == "warning"
    assert f.kpi == "csat"
    assert f.location == f"{data}:3 (column 'target'), {data}:4 (column 'target')"
    assert f.context == {"column": "target", "cells": 2, "example": 40.0, "period": "2026-02",
                         "kpis_yaml_target": "min 30"}
    assert "data.target_column" in f.message


def test_report_named_target_column_wins_over_yaml_level(tmp_path: Path) -> None:
    yaml = """\
version: 1
period: month
data: {target_column: target}
kpis:
  - id: sales
    name: Sales
    target: 50
"""
    kpis, data = _write(tmp_path, yaml, "2026-01,sales,44,40\n")
    report = build_report(kpis, [str(data)])
    (k,) = report.kpis
    assert (k.target, k.status) == (40, "met")
    assert k.attainment == pytest.approx(1.1)
    assert not [f for f in report.findings if f.rule == "D615"]


def test_report_detected_column_with_yaml_level(tmp_path: Path) -> None:
    yaml = BAND.replace("target: {min: 30}", "target: 50")
    kpis, data = _write(tmp_path, yaml, "2026-01,csat,44,40\n2026-02,csat,46,50\n")
    report = build_report(kpis, [str(data)])
    (k,) = report.kpis
    assert (k.target, k.status) == (50, "at_risk")  # 46/50 = 0.92
    assert k.attainment == pytest.approx(0.92)
    (f,) = [f for f in report.findings if f.rule == "D615"]
    assert f.location == f"{data}:2 (column 'target')"  # 2026-02's 50 agrees
    assert f.context == {"column": "target", "cells": 1, "example": 40.0, "period": "2026-01",
                         "kpis_yaml_target": "50"}


def test_report_schedule_gap_cell_is_named(tmp_path: Path) -> None:
    yaml = BAND.replace("target: {min: 30}", "schedule: {2026-01: 30}")
    kpis, data = _write(tmp_path, yaml, "2026-01,csat,33,30\n2026-02,csat,33,31\n")
    report = build_report(kpis, [str(data)])
    (k,) = report.kpis
    assert k.status == "no_data"
    assert k.why == "the schedule has no target for 2026-02; status needs a target → no_data"
    (f,) = [f for f in report.findings if f.rule == "D615"]
    assert f.context == {"column": "target", "cells": 1, "example": 31.0, "period": "2026-02",
                         "kpis_yaml_target": "none"}
