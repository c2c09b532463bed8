"""kpicli: KPI definitions in YAML plus measurements in Excel/CSV become SMART-checked scorecards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "build_report", "load_kpi_file", "validate_files"]

if TYPE_CHECKING:
    from kpicli.api import build_report, load_kpi_file, validate_files


def __getattr__(name: str) -> Any:
    # Lazy so that `import kpicli` (and `kpi --help`) stays free of pandas.
    if name in {"build_report", "load_kpi_file", "validate_files"}:
        from kpicli import api

        return getattr(api, name)
    raise AttributeError(name)
