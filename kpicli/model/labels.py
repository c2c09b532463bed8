"""How a KPI label or a column name is compared: one normal form for readers and engine.

The reader decides which sheet is a long table and which rows belong to a percent KPI, the
aggregation (pandas and SQL) and the quality checks pick each KPI's rows, the rules check
that a KPI matches something: all compare :func:`normalise_label` of both sides, so they
can never disagree on which rows belong to a KPI.

Contract: case, white space (also no-break spaces), ``_``, ``-`` and the other dashes, ``.``
and ``/`` are ignored (``Net.Revenue``, ``net_revenue`` and ``NET – Revenue`` are one
label), and so are footnote marks at the end (``Revenue¹``, ``Revenue*``, ``Revenue †``).
Digits, brackets and other punctuation are kept: ``Tier (1)`` and ``Tier 1`` differ.
"""

from __future__ import annotations

import re

# Separators: white space (\s covers NBSP and the other Unicode spaces), underscore, hyphen,
# the Unicode dashes and minus (U+2010-2015, U+2212), full stop, slash.
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212./]+")
# Footnote marks at the end: superscript digits, asterisks, daggers.
_FOOTNOTE = re.compile(r"[\s\u00b9\u00b2\u00b3\u2070-\u2079*\u2020\u2021]+$")


def normalise_label(text: object) -> str:
    """The form in which two labels are compared (see the module docstring)."""
    return _SEPARATORS.sub(" ", _FOOTNOTE.sub("", str(text))).strip().casefold()
