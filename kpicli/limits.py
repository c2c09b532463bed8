"""Input limits that keep hostile or runaway files cheap to refuse (sizes, rows, columns, YAML).

The defaults are generous for real work (a 1M-row CSV, a 100k-row workbook, a tracker with
a column per week for twenty years) and small enough that a zip bomb, an alias bomb or a
file of random bytes is refused in a second with one clear message.

Change them per run with ``kpi --limit rows=20M --limit file-size=4GB report ...``, or for
every run with the ``KPI_LIMITS`` environment variable (``KPI_LIMITS="rows=20M,columns=5000"``);
``none`` (or ``0``) switches a limit off. From Python: ``kpicli.limits.configure("rows=20M")``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from typing import ClassVar

__all__ = ["LIMITS", "Limits", "configure", "current", "describe", "exceeded"]

KIB, MIB, GIB = 1024, 1024**2, 1024**3
ENV = "KPI_LIMITS"


@dataclass(frozen=True)
class Limits:
    """The limits in force; ``None`` means unlimited."""

    kpi_file_size: int | None = 20 * MIB  # bytes of one KPI file (kpis.yaml)
    yaml_depth: int | None = 64  # nesting levels of mappings and lists in a KPI file
    yaml_nodes: int | None = 200_000  # YAML nodes once aliases are expanded (alias bombs)
    file_size: int | None = 2 * GIB  # bytes of one data file on disk
    unzipped_size: int | None = 1 * GIB  # bytes a workbook's parts unpack to (zip bombs)
    rows: int | None = 10_000_000  # data rows in one file or sheet
    columns: int | None = 2_000  # columns in one file or sheet

    # Deeper YAML than this crashes libyaml's (recursive, C) composer: never beyond it.
    CEILING: ClassVar[dict[str, int]] = {"yaml_depth": 1_000}
    BYTES: ClassVar[frozenset[str]] = frozenset({"kpi_file_size", "file_size", "unzipped_size"})
    HELP: ClassVar[dict[str, str]] = {
        "kpi_file_size": "size of a KPI file",
        "yaml_depth": "nesting depth of a KPI file",
        "yaml_nodes": "YAML nodes in a KPI file, aliases expanded",
        "file_size": "size of a data file",
        "unzipped_size": "unpacked size of a workbook",
        "rows": "data rows per file or sheet",
        "columns": "columns per file or sheet",
    }


LIMITS = Limits()
_current = LIMITS


def current() -> Limits:
    """The limits in force for this run."""
    return _current


_UNITS = {
    "": 1,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "b": 1,
    "kb": KIB,
    "mb": MIB,
    "gb": GIB,
    "kib": KIB,
    "mib": MIB,
    "gib": GIB,
}
_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def _key(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    known = [f.name for f in fields(Limits)]
    if key in known:
        return key
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0].replace('_', '-')}?)" if close else ""
    names = ", ".join(k.replace("_", "-") for k in known)
    raise ValueError(f"unknown limit {name.strip()!r}{hint}; limits: {names}")


def _number(key: str, text: str) -> int | None:
    if text.strip().lower() in ("none", "off", "0", "unlimited"):
        return None
    m = _VALUE.match(text)
    unit = m.group(2).lower() if m else ""
    if (
        m is None
        or unit not in _UNITS
        or (unit in ("b", "kb", "mb", "gb", "kib", "mib", "gib") and key not in Limits.BYTES)
    ):
        example = "50MB or 2GB" if key in Limits.BYTES else "5000 or 20M"
        raise ValueError(
            f"limit {key.replace('_', '-')}: {text.strip()!r} is not a number such as {example}"
        )
    return int(float(m.group(1)) * _UNITS[unit])


def parse(settings: str | list[str] | tuple[str, ...] | None, base: Limits = LIMITS) -> Limits:
    """``"rows=20M,file-size=4GB"`` (or a list of such strings) applied on top of ``base``."""
    if settings is None:
        return base
    items = [settings] if isinstance(settings, str) else list(settings)
    changes: dict[str, int | None] = {}
    for item in items:
        for part in re.split(r"[,\s]+", item.strip()):
            if not part:
                continue
            if "=" not in part:
                raise ValueError(f"limit {part!r} needs a value, e.g. rows=20M")
            name, _, value = part.partition("=")
            key = _key(name)
            number = _number(key, value)
            ceiling = Limits.CEILING.get(key)
            if ceiling is not None and (number is None or number > ceiling):
                raise ValueError(
                    f"limit {key.replace('_', '-')} can be at most {ceiling:,}: deeper YAML "
                    "would crash the YAML parser"
                )
            changes[key] = number
    return replace(base, **changes)


def configure(*settings: str | list[str] | tuple[str, ...] | None, env: bool = True) -> Limits:
    """Set the limits for this run: defaults, then ``KPI_LIMITS``, then each of ``settings``.

    Raises ValueError naming the bad setting (and where it came from).
    """
    global _current
    limits = LIMITS
    if env and os.environ.get(ENV, "").strip():
        try:
            limits = parse(os.environ[ENV], limits)
        except ValueError as exc:
            raise ValueError(f"{ENV}: {exc}") from None
    for s in settings:
        limits = parse(s, limits)
    _current = limits
    return limits


def reset() -> None:
    """Back to the defaults (tests)."""
    global _current
    _current = LIMITS


def size_text(n: int) -> str:
    if n >= GIB and n % GIB == 0:
        return f"{n // GIB} GB"
    if n >= MIB:
        return f"{n / MIB:,.0f} MB"
    if n >= KIB:
        return f"{n / KIB:,.0f} KB"
    return f"{n} bytes"


def _value_text(key: str, value: int | None) -> str:
    if value is None:
        return "none"
    return size_text(value) if key in Limits.BYTES else f"{value:,}"


def exceeded(key: str, limit: int) -> str:
    """The hint every limit message ends with: which setting raises it."""
    name = key.replace("_", "-")
    if limit >= Limits.CEILING.get(key, limit + 1):
        return f"the limit is {_value_text(key, limit)}, the most the parser can take"
    return (
        f"the limit is {_value_text(key, limit)}; if the file is genuine, raise it with "
        f"`kpi --limit {name}=N ...` (or {ENV}={name}=N)"
    )


def describe(limits: Limits | None = None) -> list[tuple[str, str, str]]:
    """(name, value, meaning) for each limit, for help texts and docs."""
    limits = limits or current()
    return [
        (
            f.name.replace("_", "-"),
            _value_text(f.name, getattr(limits, f.name)),
            Limits.HELP[f.name],
        )
        for f in fields(Limits)
    ]
