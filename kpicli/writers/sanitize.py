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


# C0 controls but tab and newline, DEL and C1 controls: ESC sequences and 8-bit CSI could
# recolour, move the cursor, clear the screen or plant a hyperlink in a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: ESC shows as ␛
    return "␡" if code == 0x7F else f"\\x{code:02x}"


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters shown as visible symbols."""
    return _CONTROL.sub(_picture, text)


def markdown_cell(text: str) -> str:
    """Escape text for a Markdown table cell: pipes, backslashes, newlines, HTML, controls."""
    text = printable(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\r\n]+", " ", text)
