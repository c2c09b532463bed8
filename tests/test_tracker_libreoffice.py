"""A kpi-rows tracker saved by LibreOffice (cached formula values) against the same file without them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpicli.model.kpifile import KPIFile
from kpicli.readers.files import read_data

DATA = Path(__file__).parent / "data"
MODEL = KPIFile.model_validate(
    {
        "kpis": [
            {"id": "revenue", "name": "Revenue", "unit": "currency:EUR"},
            {"id": "csat", "name": "CSAT", "unit": "percent"},
            {"id": "tickets", "name": "Tickets", "unit": "count"},
        ]
    }
)


def values(path: Path) -> tuple[dict[tuple[str, str], float], list[tuple[str, str | None]]]:
    t = read_data([path], None, MODEL)
    f = t.frame
    out = {
        (k, d.strftime("%Y-%m")): v
        for k, d, v in zip(f["_kpi"], f["_date"], f["_value"], strict=True)
        if not pd.isna(v)
    }
    return out, [(x.rule, x.location) for x in t.findings]


def test_libreoffice_saved_tracker_reads_cached_formula_values() -> None:
    # tracker_libreoffice.xlsx is tests/data/tracker.xlsx opened and saved by LibreOffice Calc
    # (soffice --convert-to xlsx): two title rows, a merged title, "110,250" stored as text,
    # percents stored as fractions with a 0% format, and G5 = E5+F5 with its cached value.
    v, findings = values(DATA / "tracker_libreoffice.xlsx")
    assert v[("Revenue", "2026-01")] == 95_000
    assert v[("Revenue", "2026-02")] == 110_250  # text number
    assert v[("Revenue", "2026-03")] == 205_250  # the formula's cached value
    assert v[("CSAT", "2026-01")] == pytest.approx(82)  # 0.82 shown as 82%
    assert v[("Tickets", "2026-04")] == 515
    assert not [r for r, _ in findings if r == "D608"]
    assert ("D601", f"{DATA / 'tracker_libreoffice.xlsx'}!Tracker!G7") in findings  # "tbd"


def test_script_written_tracker_names_the_formula_cell() -> None:
    v, findings = values(DATA / "tracker.xlsx")
    assert ("Revenue", "2026-03") not in v  # missing, never 0
    assert ("D608", f"{DATA / 'tracker.xlsx'}!Tracker!G5") in findings
