"""The one unit vocabulary (model/units.py) and the one label normal form (model/labels.py).

One table pins, per unit word, what every consumer asks: the kind (rules), whether it is a
0-100 percentage (model, reader scaling), the text form (terminal, Markdown, HTML) and the
Excel number format (workbook). Every expectation below is written out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpicli.api import build_report
from kpicli.engine.aggregate import normalise_label as aggregate_normalise
from kpicli.model.kpifile import KPI
from kpicli.model.labels import normalise_label
from kpicli.model.units import (
    exact_number,
    format_in_unit,
    format_number,
    format_value,
    is_percent,
    never_negative,
    number_format,
    parse_unit,
    sums_by_default,
    unit_kind,
)
from kpicli.readers.layout.vocabulary import norm as reader_norm
from kpicli.writers.xlsx import axis_format, delta_format, unit_label

# unit, kind, percent (0-100), text of 12.345, signed text of -3, Excel number format
UNITS = [
    ("percent", "percent", True, "12.3%", "-3.0 pp", '0.0"%"'),
    ("%", "percent", True, "12.3%", "-3.0 pp", '0.0"%"'),
    ("pct", "percent", True, "12.3%", "-3.0 pp", '0.0"%"'),
    ("Percentage", "percent", True, "12.3%", "-3.0 pp", '0.0"%"'),
    ("pp", "percentage_points", False, "12.3 pp", "-3.0 pp", '0.0" pp"'),
    ("percentage points", "percentage_points", False, "12.3 pp", "-3.0 pp", '0.0" pp"'),
    ("count", "count", False, "12.3", "-3", "#,##0"),
    ("tickets", "count", False, "12.3 tickets", "-3 tickets", "#,##0"),
    ("hours", "duration", False, "12.3 h", "-3.0 h", '0.0" h"'),
    ("hrs", "duration", False, "12.3 h", "-3.0 h", '0.0" h"'),
    ("days", "duration", False, "12.3 d", "-3.0 d", '0.0" d"'),
    ("minutes", "duration", False, "12.3 min", "-3.0 min", '0.0" min"'),
    ("seconds", "duration", False, "12.3 seconds", "-3 seconds", "#,##0.0#"),
    ("ratio", "ratio", False, "12.35", "-3.00", "0.00"),
    ("rate", "ratio", False, "12.35 rate", "-3.00 rate", "0.00"),
    ("points", "points", False, "12.3 pts", "-3 pts", "#,##0.0#"),
    ("currency:EUR", "currency", False, "€12.35", "-€3.00", '"€"#,##0.00'),
    ("currency:usd", "currency", False, "$12.35", "-$3.00", '"$"#,##0.00'),
    ("currency:SEK", "currency", False, "12.35 SEK", "-3.00 SEK", '#,##0.00" SEK"'),
    ("currency:JPY", "currency", False, "¥12", "-¥3", '"¥"#,##0'),
    ("currency", "currency", False, "12.35", "-3.00", "#,##0.00"),
    ("EUR", "currency", False, "€12.35", "-€3.00", '"€"#,##0.00'),
    ("euros", "currency", False, "12.35 euros", "-3.00 euros", "#,##0.00"),
    ("widgets", "other", False, "12.3 widgets", "-3 widgets", "#,##0.0#"),
    (None, None, False, "12.3", "-3", "#,##0.0#"),
]


@pytest.mark.parametrize(("unit", "kind", "percent", "text", "signed", "xlsx"), UNITS)
def test_each_unit_means_one_thing_everywhere(
    unit: str | None, kind: str | None, percent: bool, text: str, signed: str, xlsx: str
) -> None:
    assert unit_kind(unit) == kind
    assert is_percent(unit) is percent
    assert KPI(id="k", name="K", unit=unit).is_percent is percent
    assert format_value(12.345, unit) == text
    assert format_value(-3, unit, signed=True) == signed
    assert number_format(unit) == xlsx


def test_percentage_points_are_not_a_share() -> None:
    # pp is a difference of percentages: shown with "pp" everywhere, never as "%" in the
    # workbook (it used to be 0.0"%" there while the model did not call it a percent).
    assert format_value(2.5, "pp", signed=True) == "+2.5 pp"
    assert number_format("pp") == '0.0" pp"'
    assert delta_format("pp") == '"▲ "0.0" pp";"▼ "0.0" pp";0.0" pp"'
    assert delta_format("percent") == '"▲ "0.0" pp";"▼ "0.0" pp";0.0" pp"'
    assert not parse_unit("pp").is_percent


def test_workbook_helpers_read_the_vocabulary() -> None:
    assert axis_format("currency:EUR") == '"€"#,##0'
    assert unit_label("currency:eur") == "EUR"
    assert unit_label("currency") == "currency"
    assert unit_label("hours") == "hours"
    assert format_in_unit(-1200, "currency:EUR") == "\u2212€1,200"
    assert format_in_unit(85.5, "percent") == "85.5%"
    assert format_in_unit(None, "percent") == ""


def test_numbers_in_sentences() -> None:
    assert format_number(86.2) == "86.2"
    assert format_number(1_200_000) == "1,200,000"
    assert format_number(1234.56) == "1,234.6"
    assert format_number(0.12345) == "0.123"
    assert format_number(None) == "n/a"
    assert exact_number(99.125) == "99.125"
    assert exact_number(12500) == "12,500"
    assert exact_number(1234) == "1234"
    # never an exponent for a value a user must find in the data (was "6.92198e+06")
    assert exact_number(6921980.4) == "6,921,980"
    assert exact_number(-2_500_000) == "-2,500,000"


def test_numeric_decisions_keep_the_count_unit_words() -> None:
    # Only the count unit itself changes numbers: summed by default, never negative.
    assert sums_by_default("count") and sums_by_default("currency:EUR")
    assert sums_by_default("eur") and not sums_by_default("chf")
    assert not sums_by_default("tickets") and not sums_by_default("percent")
    assert never_negative("number") and not never_negative("tickets")
    assert not never_negative("currency:EUR")


def test_data_column_is_the_measure_column_or_the_id() -> None:
    assert KPI(id="k", name="K").data_column == "k"
    assert KPI(id="k", name="K", measure={"column": "Sales"}).data_column == "Sales"
    assert KPI(id="k", name="K", measure={"aggregate": "sum"}).data_column == "k"
    assert KPI(id="net_rev", name="Net Revenue", measure={"column": "NR"}).labels == {
        "nr", "net rev", "net revenue"
    }


TRICKY = [
    "Net Revenue",
    "net revenue",
    "NET REVENUE",
    "Net.Revenue",
    "net_revenue",
    "Net-Revenue",
    "Net – Revenue",  # en dash
    "Net—Revenue",  # em dash
    "Net\u00a0Revenue",  # no-break space
    "  Net   Revenue ",
    "Net/Revenue",
    "Net Revenue¹",
    "Net Revenue*",
    "Net Revenue †",
]
DIFFERENT = ["Net Revenue (1)", "Net Revenues", "Gross Revenue", "NetRevenue"]


def test_one_normal_form_for_reader_and_aggregator() -> None:
    assert reader_norm is normalise_label
    assert aggregate_normalise is normalise_label
    for label in TRICKY:
        assert normalise_label(label) == "net revenue", label
    for label in DIFFERENT:
        assert normalise_label(label) != "net revenue", label


@pytest.mark.parametrize("label", TRICKY)
def test_reader_and_aggregator_agree_on_tricky_labels(tmp_path: Path, label: str) -> None:
    # The reader decides which long-table rows belong to a percent KPI (and scales their
    # fractions); the aggregator picks the KPI's rows. Were their normal forms different,
    # the KPI would get no rows or unscaled 0.5/0.6 values.
    (tmp_path / "kpis.yaml").write_text(
        "version: 1\nperiod: month\nkpis:\n"
        "  - id: nr\n    name: Net Revenue\n    unit: percent\n"
        "    measure: {aggregate: mean}\n",
        encoding="utf-8",
    )
    rows = [("2024-01-15", "0.5"), ("2024-02-15", "0.6")]
    (tmp_path / "d.csv").write_text(
        "date,kpi,value\n" + "".join(f'{d},"{label}",{v}\n' for d, v in rows), encoding="utf-8"
    )
    report = build_report(tmp_path / "kpis.yaml", [str(tmp_path / "d.csv")])
    (k,) = report.kpis
    assert k.actual == pytest.approx(60.0)


RULE_KPIS = """\
version: 1
kpis:
  - id: margin_change
    name: Gross margin change against last year
    unit: "{unit}"
    direction: higher
    measure: {{column: margin_change, aggregate: sum}}
    target: {{value: 120}}
"""


@pytest.mark.parametrize(("unit", "fires"), [("percent", True), ("%", True), ("pp", False)])
def test_rules_ask_the_vocabulary(tmp_path: Path, unit: str, fires: bool) -> None:
    # A303 (percent target outside 0-100) and M202 (summing percentages) are about shares on
    # the 0-100 scale; percentage points are a difference, summed and above 100 legitimately.
    from kpicli.api import validate_files

    path = tmp_path / "kpis.yaml"
    path.write_text(RULE_KPIS.format(unit=unit), encoding="utf-8")
    result = validate_files([path], select=["A303", "M202"])
    assert sorted({f.rule for f in result.findings}) == (["A303", "M202"] if fires else [])
