"""Data-backed rules (M201 with data, M203, M204, M205, A304) on hand-built tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kpicli.definitions.yamlfile import load_yaml_text
from kpicli.engine import rules as R
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Source, Table

MONTHS = pd.to_datetime(["2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15", "2026-05-15"])


def records(**columns: list) -> Table:
    frame = pd.DataFrame({"_date": MONTHS, **columns})
    frame["_src"] = 0
    frame["_row"] = range(2, 2 + len(frame))
    names = ["date", *columns]
    src = Source(path="data.csv", columns={c: str(i + 1) for i, c in enumerate(names)})
    return Table(frame=frame, layout="records", sources=[src])


def long(rows: list[tuple[str, str, float]]) -> Table:
    frame = pd.DataFrame(rows, columns=["_date", "_kpi", "_value"])
    frame["_date"] = pd.to_datetime(frame["_date"])
    frame["_src"] = 0
    frame["_row"] = range(2, 2 + len(frame))
    return Table(frame=frame, layout="long", sources=[Source(path="long.csv")],
                 value_label="Value")


def hits(yaml_text: str, table: Table, rule: str) -> list[R.RuleHit]:
    loaded = load_yaml_text(yaml_text)
    model = KPIFile.model_validate(loaded.data)
    ctx = R.make_context(model, loaded.data, today=dt.date(2026, 6, 1))
    ctx.table = table
    ctx.series, ctx.data_problems = R.series_from_table(model, table)
    return [h for h in R.run_rules(ctx, lambda r: r == rule)]


def kpis(*items: str) -> str:
    return "version: 1\nkpis:\n" + "".join(items)


CSAT = "  - id: csat\n    name: Customer satisfaction (CSAT)\n    unit: percent\n"


# ------------------------------------------------------------------------------ M201


def test_m201_kpi_without_measure_needs_a_matching_column() -> None:
    table = records(csat=[80.0, 81, 82, 83, 84])
    found = hits(kpis("  - id: backlog\n    name: Open ticket backlog\n"), table, "M201")
    assert len(found) == 1 and found[0].path == ("kpis", 0)
    assert "no column 'backlog'" in found[0].message
    assert hits(kpis(CSAT), table, "M201") == []


def test_m201_long_layout_matches_by_id_or_name() -> None:
    table = long([("2026-01-01", "Customer satisfaction (CSAT)", 80.0)])
    assert hits(kpis(CSAT), table, "M201") == []
    found = hits(kpis("  - id: nps\n    name: Net promoter score\n"), table, "M201")
    assert found and "KPI label 'nps'" in found[0].message


# ------------------------------------------------------------------------------ M203


def test_m203_column_missing_with_did_you_mean() -> None:
    table = records(csat=[80.0, 81, 82, 83, 84])
    text = kpis(CSAT + "    measure: {column: csatt}\n")
    found = hits(text, table, "M203")
    assert len(found) == 1
    assert found[0].path == ("kpis", 0, "measure", "column")
    assert "did you mean 'csat'?" in found[0].message
    assert hits(kpis(CSAT + "    measure: {column: csat}\n"), table, "M203") == []


def test_m203_lists_the_columns_when_nothing_is_close() -> None:
    table = records(csat=[80.0, 81, 82, 83, 84], tickets=[1.0, 2, 3, 4, 5])
    found = hits(kpis(CSAT + "    measure: {column: revenue_eur}\n"), table, "M203")
    assert "the data has 'csat', 'tickets'" in found[0].message


def test_m203_long_layout() -> None:
    table = long([("2026-01-01", "CSAT survey", 80.0)])
    found = hits(kpis(CSAT + "    measure: {column: CSAT survey}\n"), table, "M203")
    assert found == []
    found = hits(kpis(CSAT + "    measure: {column: CSAT surveys}\n"), table, "M203")
    assert found and "no KPI rows labelled 'CSAT surveys'" in found[0].message


# ------------------------------------------------------------------------------ M204


def test_m204_text_in_a_measure_column() -> None:
    table = records(csat=["80", "81", "n/a", "83", "84"])
    found = hits(kpis(CSAT + "    measure: {column: csat}\n"), table, "M204")
    assert len(found) == 1
    assert "'n/a'" in found[0].message and "data.csv:4" in found[0].message
    ok = records(csat=[80.0, 81, None, 83, 84])
    assert hits(kpis(CSAT + "    measure: {column: csat}\n"), ok, "M204") == []


def test_m204_not_for_counting_rows() -> None:
    table = records(agent=["ann", "bob", "ann", "cy", "bob"])
    text = kpis("  - id: agents\n    name: Active support agents\n    unit: count\n"
                "    measure: {column: agent, aggregate: nunique}\n")
    assert hits(text, table, "M204") == []


# ------------------------------------------------------------------------------ M205


def test_m205_no_value_in_the_latest_period() -> None:
    table = records(csat=[80.0, 81, 82, 83, 84], late=[1.0, 2, 3, None, None])
    text = kpis(CSAT, "  - id: late\n    name: Late deliveries per month\n")
    found = hits(text, table, "M205")
    assert [h.kpi_id for h in found] == ["late"]
    assert "2026-05" in found[0].message and "2026-03" in found[0].message


# ------------------------------------------------------------------------------ A304


TICKETS = (
    "  - id: tickets\n    name: Tickets resolved per month\n    unit: count\n"
    "    baseline: {value: 100, period: 2026-01}\n"
)


def test_a304_pace_needed_exceeds_best_pace_seen() -> None:
    table = records(tickets=[100.0, 110, 120, 125, 130])
    found = hits(kpis(TICKETS + "    target: {value: 300, due: 2026-08}\n"), table, "A304")
    assert len(found) == 1
    assert found[0].path == ("kpis", 0, "target", "due")
    assert "+56.67 per month" in found[0].message and "+10" in found[0].message


@pytest.mark.parametrize(
    "target",
    [
        "{value: 150, due: 2026-08}",  # 20 in 3 months: 6.7 a month, 10 was seen
        "{value: 120, due: 2026-08}",  # already met
        "{min: 300}",  # a band: no pace
    ],
)
def test_a304_passes(target: str) -> None:
    table = records(tickets=[100.0, 110, 120, 125, 130])
    assert hits(kpis(TICKETS + f"    target: {target}\n"), table, "A304") == []


def test_a304_lower_is_better() -> None:
    table = records(hours=[30.0, 29, 28, 27.5, 27])
    text = kpis("  - id: hours\n    name: Median resolution time\n    direction: lower\n"
                "    target: {value: 10, due: 2026-07}\n")
    found = hits(text, table, "A304")
    assert found and "-8.5 per month" in found[0].message and "-1" in found[0].message


def test_a304_needs_some_history() -> None:
    table = records(tickets=[None, None, None, 125.0, 130])
    assert hits(kpis(TICKETS + "    target: {value: 300, due: 2026-08}\n"), table, "A304") == []
