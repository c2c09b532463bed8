"""What `kpi validate` returns: findings per KPI file and the exit status they imply.

Contract: :meth:`ValidationResult.to_json_dict` is the ``kpicli.findings/1`` document of
``kpi validate --format json`` (keys are only ever added); errors fail, warnings fail too with
``strict``, infos never do; ``exit_code`` is 1 when anything fails, else 0. No I/O here: the
api fills these (kpicli.api.validate), the writers render them (kpicli.writers.findings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpicli.model.results import Finding

__all__ = ["FINDINGS_SCHEMA", "FileResult", "ValidationResult"]

FINDINGS_SCHEMA = "kpicli.findings/1"


@dataclass
class FileResult:
    """The findings of one KPI file (and of the data it was checked against)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    kpis: int = 0
    data: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # silent choices, for stderr

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def infos(self) -> int:
        return self.count("info")


@dataclass
class ValidationResult:
    """Findings per file and the exit status they imply (0 clean, 1 failing findings)."""

    files: list[FileResult] = field(default_factory=list)
    strict: bool = False
    # The files an output must never overwrite (KPI files and their data, as opened), when
    # asked for (validate_files(list_inputs=True)); not part of the JSON document.
    inputs: list[Path] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for fr in self.files for f in fr.findings]

    @property
    def errors(self) -> int:
        return sum(fr.errors for fr in self.files)

    @property
    def warnings(self) -> int:
        return sum(fr.warnings for fr in self.files)

    @property
    def infos(self) -> int:
        return sum(fr.infos for fr in self.files)

    def is_failing(self, finding: Finding) -> bool:
        """Errors fail; warnings fail too with --strict; infos never do."""
        return finding.severity == "error" or (self.strict and finding.severity == "warning")

    @property
    def failed(self) -> bool:
        return any(self.is_failing(f) for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "strict": self.strict,
            "failed": self.failed,
            "exit_code": self.exit_code,
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The ``kpicli.findings/1`` document of ``kpi validate --format json``."""
        return {
            "schema": FINDINGS_SCHEMA,
            "files": [
                {
                    "path": fr.path,
                    "kpis": fr.kpis,
                    "data": fr.data,
                    "errors": fr.errors,
                    "warnings": fr.warnings,
                    "infos": fr.infos,
                }
                for fr in self.files
            ],
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "letter": f.letter,
                    "message": f.message,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "kpi": f.kpi,
                    "location": f.location,
                    "context": f.context,
                }
                for f in self.findings
            ],
            "summary": self.summary(),
        }
