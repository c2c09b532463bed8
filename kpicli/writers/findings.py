"""Validation findings as text, JSON, GitHub workflow commands, JUnit XML and SARIF 2.1.0.

Contract: user text (KPI ids and names, file names, cells quoted in messages) never carries a
control character into a terminal, an Actions log or a JUnit report: text, github and junit
show them as visible symbols (``printable``: ESC as ␛); JSON and SARIF escape them as JSON does.
JUnit follows Jenkins' junit-10.xsd (which GitLab and junitparser read as well); SARIF follows
the OASIS 2.1.0 schema.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from kpicli.model.results import Finding
from kpicli.model.validation import ValidationResult
from kpicli.writers.sanitize import printable, strip_illegal_xml

FORMATS = ("text", "json", "github", "junit", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class RuleInfo(Protocol):
    """What the writers need of a catalogue entry (kpicli.engine.rules.Rule fits)."""

    id: str
    letter: str
    severity: str
    summary: str
    fix: str


def render(
    fmt: str,
    result: ValidationResult,
    rules: Iterable[RuleInfo] = (),
    *,
    color: bool = False,
    version: str = "",
) -> str:
    """Render a ValidationResult in one of FORMATS."""
    if fmt == "text":
        return render_text(result, color=color)
    if fmt == "json":
        return render_json(result)
    if fmt == "github":
        return render_github(result.findings)
    if fmt == "junit":
        return render_junit(result)
    if fmt == "sarif":
        return render_sarif(result, rules, version=version)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


# ------------------------------------------------------------------------------------------
# text

_COLORS = {"error": "\x1b[31;1m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def where(f: Finding) -> str:
    """``file:line:col`` for definitions, the data location for data findings."""
    if f.file and f.line:
        return f"{f.file}:{f.line}:{f.column or 1}"
    return f.location or f.file or "-"


def _one_line(text: str) -> str:
    """One line of printable text: whitespace runs (newlines too) become one space."""
    return printable(" ".join(text.split()))


def render_text(result: ValidationResult, *, color: bool = False) -> str:
    """``kpis.yaml:14:5: T501 warning message`` lines, then a summary line."""
    lines = []
    for f in result.findings:
        loc, rule, sev, msg = printable(where(f)), printable(f.rule), f.severity, _one_line(f.message)
        if color:
            loc = f"{_BOLD}{loc}{_RESET}"
            rule = f"{_DIM}{rule}{_RESET}"
            sev = f"{_COLORS.get(sev, '')}{sev}{_RESET}"
        lines.append(f"{loc}: {rule} {sev} {msg}")
    lines.append(summary_line(result, color=color))
    return "\n".join(lines) + "\n"


def summary_line(result: ValidationResult, *, color: bool = False) -> str:
    """ "3 errors, 2 warnings in 1 file" (infos named when there are any)."""
    files = len(getattr(result, "files", []) or [])
    parts = [_plural(result.errors, "error"), _plural(result.warnings, "warning")]
    if result.infos:
        parts.append(_plural(result.infos, "info"))
    text = f"{', '.join(parts)} in {_plural(files, 'file')}"
    if result.strict and result.warnings and not result.errors:
        text += " (--strict: warnings fail)"
    if not color:
        return text
    failed = getattr(result, "failed", result.errors > 0)
    colour = (
        _COLORS["error"]
        if failed
        else ("\x1b[32;1m" if not result.warnings else _COLORS["warning"])
    )
    return f"{colour}{text}{_RESET}"


# ------------------------------------------------------------------------------------------
# json


def render_json(result: ValidationResult) -> str:
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------
# GitHub Actions workflow commands

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape the message of a workflow command (%, CR, LF), as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding]) -> str:
    """``::error file=kpis.yaml,line=14,col=5,title=kpi T501::message``, one per finding.

    Control characters are shown as symbols first (an ESC would colour or clear the log view);
    then the runner's own escaping applies (%, CR, LF; also : and , in properties).
    """
    lines = []
    for f in findings:
        props = []
        if f.file and f.line:
            props += [f"file={escape_property(printable(f.file))}", f"line={f.line}"]
            if f.column:
                props.append(f"col={f.column}")
        title = f"kpi {f.rule}" + (f" ({f.kpi})" if f.kpi else "")
        props.append(f"title={escape_property(printable(title))}")
        message = f.message
        if not (f.file and f.line) and f.location:
            message = f"{f.location}: {message}"
        message = printable(message)
        lines.append(
            f"::{_GITHUB_LEVEL.get(f.severity, 'warning')} {','.join(props)}::"
            f"{escape_data(message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


# ------------------------------------------------------------------------------------------
# JUnit XML


def render_junit(result: ValidationResult) -> str:
    """One <testsuite> per file; one <testcase> per failing finding, with its <failure>.

    Failing findings are errors (and warnings with --strict). A file without failing
    findings is one passing test case named after the file. Findings that do not fail are
    listed in the suite's <system-out> so they are visible without failing the build.
    The counts agree (``failures`` <= ``tests`` per suite; the totals are the sums), and
    only attributes of Jenkins' junit-10.xsd are used: the file is the suite's ``file`` and
    the test cases' ``classname`` (GitLab and junitparser show both).
    """
    import xml.etree.ElementTree as ET

    files = list(getattr(result, "files", []) or [])
    total_tests = total_failures = 0
    root = ET.Element("testsuites", name="kpi validate")
    for fr in files:
        failing = [f for f in fr.findings if result.is_failing(f)]
        other = [f for f in fr.findings if not result.is_failing(f)]
        path = _xml(fr.path)
        tests = max(1, len(failing))
        total_tests += tests
        total_failures += len(failing)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(tests),
            failures=str(len(failing)),
            errors="0",
            skipped="0",
            file=path,
        )
        if not failing:
            ET.SubElement(suite, "testcase", classname=path, name=path)
        for f in failing:
            case = ET.SubElement(
                suite, "testcase", classname=path, name=_xml(f"{f.rule} {where(f)}")
            )
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml(f"{f.rule} {_one_line(f.message)}"),
                type=_xml(f.rule),
            )
            failure.text = _xml(f"{where(f)}: {f.rule} {f.severity} {f.message}")
        if other:
            out = ET.SubElement(suite, "system-out")
            out.text = _xml(
                "\n".join(
                    f"{where(f)}: {f.rule} {f.severity} {_one_line(f.message)}" for f in other
                )
            )
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _xml(text: str) -> str:
    """Text XML 1.0 can carry, with control characters shown as symbols (never dropped
    silently, never raw: a JUnit report is shown in CI pages and terminals)."""
    return strip_illegal_xml(printable(text))


# ------------------------------------------------------------------------------------------
# SARIF 2.1.0

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: str) -> str:
    """A URI for a file path: relative paths stay relative (forward slashes, percent-encoded),
    absolute ones become ``file://`` URIs."""
    if path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/"):
        from pathlib import PurePosixPath, PureWindowsPath

        pure = PurePosixPath(path) if path.startswith("/") else PureWindowsPath(path)
        return pure.as_uri()
    p = path.replace("\\", "/")
    if p.startswith("./"):
        p = p[2:]
    if p in ("<stdin>", "-"):
        p = "stdin"
    p = posixpath.normpath(p) if p else p
    return quote(p, safe="/:@!$&'()*+,;=-._~")


def render_sarif(result: ValidationResult, rules: Iterable[RuleInfo] = (), *, version: str = "") -> str:
    """A SARIF 2.1.0 log: tool.driver.rules from the catalogue, one result per finding."""
    rule_list = list(rules)
    index = {r.id: i for i, r in enumerate(rule_list)}
    driver_rules: list[dict[str, Any]] = [
        {
            "id": r.id,
            "name": r.id,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": f"{r.summary}. {r.fix}"},
            "help": {"text": r.fix},
            "defaultConfiguration": {"level": _SARIF_LEVEL.get(r.severity, "warning")},
            "properties": {"tags": [f"smart-{r.letter}"], "letter": r.letter},
        }
        for r in rule_list
    ]
    # Findings of rules outside the catalogue (data-quality D6xx) get a rule entry too.
    for f in result.findings:
        if f.rule not in index:
            index[f.rule] = len(driver_rules)
            driver_rules.append(
                {
                    "id": f.rule,
                    "name": f.rule,
                    "shortDescription": {"text": f"{f.rule} finding"},
                    "defaultConfiguration": {"level": _SARIF_LEVEL.get(f.severity, "warning")},
                    "properties": {"tags": [f"smart-{f.letter or f.rule[:1]}"]},
                }
            )
    results = []
    artifacts: dict[str, int] = {}
    for f in result.findings:
        res: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
        }
        if f.file:
            uri = artifact_uri(f.file)
            artifacts.setdefault(uri, len(artifacts))
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": uri, "index": artifacts[uri]},
            }
            if f.line:
                physical["region"] = {"startLine": f.line, "startColumn": f.column or 1}
            res["locations"] = [{"physicalLocation": physical}]
        elif f.location:
            res["locations"] = [{"message": {"text": f.location}}]
        properties: dict[str, Any] = {}
        if f.kpi:
            properties["kpi"] = f.kpi
        if f.context:
            properties["context"] = f.context  # the finding's facts, as in the JSON output
        if properties:
            res["properties"] = properties
        results.append(res)
    driver: dict[str, Any] = {
        "name": "kpicli",
        "rules": driver_rules,
    }
    if version:
        driver["version"] = version
        driver["semanticVersion"] = version
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "artifacts": [{"location": {"uri": uri}} for uri in artifacts],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
