"""Column and label vocabulary of the layouts: the header words that name a KPI, value, target,
baseline, unit, date, year or month column, the share thresholds, and label normalisation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kpicli.errors import DataError
from kpicli.model.labels import normalise_label

HEADER_SCAN = 30  # rows searched for the header


NUMERIC_SHARE = 0.8  # a column is numeric when this share of its non-empty cells are numbers


DATE_SHARE = 0.8  # ... and a date column when this share are dates or periods


NAMED_DATE_SHARE = 0.5  # ... or this share, for a column named like a date (Date, Month, ...)


MAX_PLACES = 5  # cell locations listed in one finding


_KPI_NAMES = {
    "kpi",
    "kpis",
    "kpi name",
    "kpi id",
    "metric",
    "metrics",
    "metric name",
    "measure",
    "measure name",
    "indicator",
    "indicator name",
    "name",
    "kennzahl",
    "key figure",
}


_VALUE_NAMES = {
    "value",
    "values",
    "actual",
    "actuals",
    "actual value",
    "amount",
    "result",
    "wert",
    "ist",
    "istwert",
    "measurement",
}


_TARGET_NAMES = {
    "target",
    "targets",
    "target value",
    "goal",
    "plan",
    "budget",
    "ziel",
    "soll",
    "zielwert",
    "sollwert",
}


_BASELINE_NAMES = {"baseline", "baseline value", "basis", "ausgangswert"}


_UNIT_NAMES = {"unit", "einheit", "uom"}


_DATE_NAME = re.compile(
    r"^(date|day|month|period|week|quarter|year|fy|fiscal year|time|timestamp|datum|monat|"
    r"periode|jahr|woche|quartal|tag|zeitraum)\b|\b(date|day|month|period|week|time|datum|at|on)$"
)


_YEAR_NAMES = {"year", "jahr", "fy", "fiscal year", "yr"}


_MONTH_NAMES = {"month", "monat", "month number", "mon"}


_TOTAL = re.compile(r"^\s*(grand\s+)?(total|totals|sum|summe|gesamt|gesamtsumme)\b", re.I)


_NUMBER_TEXT = re.compile(r"^[\s(+-]*[€$£]?\s*\d[\d.,' ]*\s*%?\)?\s*$")


# Case-, space- and punctuation-insensitive form of a column name or KPI label: the same
# normal form the aggregation matches a long table's labels with (model/labels.py).
norm = normalise_label


def _lookup(names: Sequence[str], wanted: str, where: str, what: str) -> str:
    if wanted in names:
        return wanted
    for n in names:
        if norm(n) == norm(wanted):
            return n
    raise DataError(
        f"{what} {wanted!r} is not a column of {where}; columns: "
        + ", ".join(repr(n) for n in names)
    )


def _by_name(
    names: Sequence[str], choices: set[str], skip: Sequence[str | None] = ()
) -> str | None:
    for n in names:
        if n not in skip and norm(n) in choices:
            return n
    return None

