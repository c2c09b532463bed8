"""Make user text safe for spreadsheets, CSV, Markdown and XML."""

from __future__ import annotations

import re

# Characters that make Excel/LibreOffice treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def neutralize_formula(text: str) -> str:
    """Prefix a quote so spreadsheet programs show the text instead of running it."""
    return "'" + text if is_formula_like(text) else text


def strip_illegal_xml(text: str) -> str:
    """Remove control characters that XML 1.0 (and so xlsx) cannot carry."""
    return _ILLEGAL_XML.sub("", text)


def markdown_cell(text: str) -> str:
    """Escape text for a Markdown table cell: pipes, backslashes, newlines, HTML."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\r\n]+", " ", text)
