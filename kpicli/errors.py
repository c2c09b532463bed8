"""Exceptions for conditions where kpicli cannot continue (everything else is a Finding)."""

from __future__ import annotations


class KpiError(Exception):
    """A user error: one clear message, exit status 2, no traceback unless --debug."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}; {self.hint}"


class DefinitionError(KpiError):
    """The KPI file cannot be used: syntax or schema errors. Carries the findings."""

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class DataError(KpiError):
    """A data file cannot be read at all (missing, corrupt, wrong sheet)."""


def query_timeout(shown: str, timeout: float, advice: str) -> DataError:
    """A database query stopped at ``data.timeout`` (DuckDB, PostgreSQL, Spark): the one
    wording of that error, with what else helps for that database (``advice``)."""
    return DataError(
        f"{shown}: the query ran longer than data.timeout ({timeout:g} s); "
        f"raise data.timeout or {advice}"
    )
