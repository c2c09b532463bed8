"""kpicli.api: the one orchestration layer the CLI calls (progress steps, --fail-on, inputs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kpicli import api
from kpicli.api.report import fail_on, run_report
from kpicli.model.results import KPIResult, Report
from tests.helpers import invoke

ROOT = Path(__file__).resolve().parent.parent
SALES = ROOT / "examples" / "sales" / "kpis.yaml"


def test_build_report_tells_progress_each_step() -> None:
    steps: list[str] = []
    rep = api.build_report(SALES, progress=steps.append)
    # examples/sales/sales.csv: a header and 2,200 rows.
    assert steps == ["reading the data", "computing the scorecard from 2,200 rows"]
    assert rep.period == "2026-10"


def test_progress_names_the_data_given() -> None:
    steps: list[str] = []
    data = str(SALES.parent / "sales.csv")
    api.build_report(SALES, [data], progress=steps.append)
    assert steps[0] == f"reading {data}"


def test_run_report_returns_the_files_read_and_the_definition_findings() -> None:
    run = run_report(SALES, definition_findings=True)
    assert run.inputs == [SALES, SALES.parent / "sales.csv"]
    assert len(run.sources) == 1 and run.sources[0].path.endswith("sales.csv")
    assert run.model.kpis and run.report.kpis
    expected = api.validate_files([SALES], with_data=False).findings
    assert run.definition_findings == expected
    assert run_report(SALES).definition_findings == []


def test_report_options_are_the_keywords_of_build_report() -> None:
    """run_report and show_kpi take one ReportOptions; build_report's keywords make the same."""
    import datetime as dt

    from kpicli.model.runs import ReportOptions

    today = dt.date(2026, 11, 22)
    by_keywords = api.build_report(SALES, period="2026-09", by="rep", history=3, today=today)
    options = ReportOptions(period="2026-09", by="rep", history=3, today=today)
    assert run_report(SALES, None, options).report == by_keywords
    assert by_keywords.period == "2026-09" and by_keywords.group_by == "rep"
    view = api.show_kpi("revenue", SALES, None, options)
    assert view.report == by_keywords
    # the keywords scripts used before ReportOptions existed still work (README's Python API)
    kw = api.show_kpi("revenue", SALES, period="2026-09", by="rep", history=3, today=today)
    assert kw.report == by_keywords and kw.kpi.id == "revenue"
    with pytest.raises(TypeError):
        api.show_kpi("revenue", SALES, None, options, period="2026-08")
    assert ReportOptions() == ReportOptions(period=None, by=None, history=12, today=None)


def _report(*results: tuple[str, str, str | None]) -> Report:
    return Report(
        period="2026-10",
        previous_period="2026-09",
        kpis=[
            KPIResult(id=i, name=i, status=status, status_change=change)  # type: ignore[arg-type]
            for i, status, change in results
        ],
    )


def test_fail_on_status_counts_results_at_or_below_the_level() -> None:
    rep = _report(("a", "met", None), ("b", "at_risk", None), ("c", "off_track", None))
    assert fail_on(rep, None) is None
    assert fail_on(rep, "off_track") == "1 KPI result(s) at or below off_track"
    assert fail_on(rep, "at_risk") == "2 KPI result(s) at or below at_risk"
    assert fail_on(_report(("a", "met", None)), "at_risk") is None


def test_fail_on_worsened_counts_results_that_got_worse() -> None:
    rep = _report(("a", "met", "worsened"), ("b", "off_track", "unchanged"))
    assert fail_on(rep, "worsened") == "1 KPI result(s) worsened since 2026-09"
    assert fail_on(_report(("a", "off_track", "improved")), "worsened") is None


def test_show_finds_a_kpi_by_id_or_name_in_any_case() -> None:
    from kpicli.api.show import find_kpi
    from kpicli.errors import KpiError

    model = api.load_kpi_file(SALES).model
    assert model is not None
    first = model.kpis[0]
    assert find_kpi(model, first.id.upper(), SALES) is first
    assert find_kpi(model, f" {first.name.lower()} ", SALES) is first
    with pytest.raises(KpiError, match="no KPI 'nope'"):
        find_kpi(model, "nope", SALES)


def test_the_old_validation_module_names_the_api_functions() -> None:
    from kpicli import validation
    from kpicli.api import schema, validate
    from kpicli.model import validation as results

    assert validation.validate_files is validate.validate_files
    assert validation.ValidationResult is results.ValidationResult
    assert validation.schema_text is schema.schema_text


def test_importing_the_api_loads_no_command_module() -> None:
    code = (
        "import sys\n"
        "import kpicli.api\n"
        "sys.stdout.write(repr(sorted(m for m in sys.modules if m.startswith('kpicli.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['kpicli.api']"
    with pytest.raises(AttributeError):
        _ = api.no_such_function


def test_show_json_is_the_kpi_document_with_the_reports_rows() -> None:
    kpis = ROOT / "examples" / "ecommerce-cx" / "kpis.yaml"
    doc = invoke("show", "csat", kpis, "-f", "json").json()
    assert list(doc) == [
        "schema", "period", "grain", "period_complete", "period_coverage", "notes",
        "definition", "results", "findings",
    ]
    assert doc["schema"] == "kpicli.kpi/1"
    report = invoke("report", kpis, "-f", "json").json()
    # The same rows, rounded the same way, as `kpi report` gives for that KPI.
    assert doc["results"] == [k for k in report["kpis"] if k["id"] == "csat"]
    assert doc["period"] == report["period"] and doc["notes"] == report["notes"]
    assert doc["findings"] == [f for f in report["findings"] if f["kpi"] == "csat"]
