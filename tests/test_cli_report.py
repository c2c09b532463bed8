"""`kpi report` / `kpi show` through Typer's CliRunner on the shipped examples."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

import kpicli.cli  # noqa: F401 - registers every command
from tests.helpers import invoke, write_kpis

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SETS = ["ecommerce-cx", "support", "sales"]




@pytest.mark.parametrize("name", SETS)
def test_every_example_reports_in_every_text_format(name: str) -> None:
    kpis = str(EXAMPLES / name / "kpis.yaml")
    code, out, err = invoke("report", kpis, "--no-color")
    assert code == 0, err
    assert "2026-10" in out
    code, out, err = invoke("report", kpis, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "kpicli.report/1"
    assert doc["period"] == "2026-10"
    assert {k["status"] for k in doc["kpis"]} <= {
        "met",
        "on_track",
        "at_risk",
        "off_track",
        "no_data",
    }
    assert all(k["why"] for k in doc["kpis"])
    code, out, _ = invoke("report", kpis, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [k["id"] for k in doc["kpis"]]
    code, out, _ = invoke("report", kpis, "--format", "markdown", "--explain")
    assert code == 0 and out.startswith("# ")


def test_ecommerce_story_statuses() -> None:
    """The seed example: NPS +10 by next quarter, CSAT ≥ 85%, resolution time −20% in six months."""
    code, out, _ = invoke("report", str(EXAMPLES / "ecommerce-cx" / "kpis.yaml"), "-f", "json")
    assert code == 0
    k = {x["id"]: x for x in json.loads(out)["kpis"]}
    nps = k["nps"]
    assert nps["target"] == pytest.approx(nps["baseline"] + 10)
    assert nps["due"] == "2026-12"
    assert nps["expected_progress"] == pytest.approx(1 / 3)
    assert nps["progress"] == pytest.approx((nps["actual"] - nps["baseline"]) / 10)
    assert k["csat"]["target_min"] == 85
    rt = k["resolution_time"]
    assert rt["target"] == pytest.approx(rt["baseline"] * 0.8)
    assert rt["due"] == "2027-03"


def test_csv_and_xlsx_data_give_the_same_report() -> None:
    kpis = str(EXAMPLES / "support" / "kpis.yaml")
    a = json.loads(invoke("report", kpis, "-f", "json")[1])
    b = json.loads(
        invoke("report", kpis, "-f", "json", "--data", EXAMPLES / "support" / "tickets.xlsx")[1]
    )
    for x, y in zip(a["kpis"], b["kpis"], strict=True):
        assert x["id"] == y["id"]
        assert x["status"] == y["status"]
        assert x["actual"] == pytest.approx(y["actual"], rel=1e-9)


def test_by_rep_ranks_25_representatives() -> None:
    code, out, err = invoke(
        "report", str(EXAMPLES / "sales" / "kpis.yaml"), "--by", "rep", "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["group_by"] == "rep"
    assert len(doc["groups"]) == 25
    scores = [g["score"] for g in doc["groups"]]
    assert scores == sorted(scores, reverse=True)
    assert [g["rank"] for g in doc["groups"]] == list(range(1, 26))
    members = {k["group"] for k in doc["kpis"] if k["group"] is not None}
    assert len(members) == 25


def test_workbook_values_equal_json(tmp_path: Path) -> None:
    kpis = str(EXAMPLES / "ecommerce-cx" / "kpis.yaml")
    out = tmp_path / "review.xlsx"
    code, _, err = invoke("report", kpis, "-o", str(out))
    assert code == 0, err
    doc = json.loads(invoke("report", kpis, "-f", "json")[1])
    wb = load_workbook(out)
    assert "Summary" in wb.sheetnames
    ws = wb["Summary"]
    names = {k["name"]: k for k in doc["kpis"]}
    # The scorecard table (below the title and Changes blocks): one row per KPI.
    header = next(c.row for c in ws["A"] if c.value == "KPI")
    found = 0
    for row in ws.iter_rows(min_row=header + 1, values_only=True):
        for name, k in names.items():
            if name in row:
                found += 1
                assert k["actual"] is None or any(
                    isinstance(v, float | int) and v == pytest.approx(k["actual"]) for v in row
                )
    assert found == len(names)


def test_fail_on() -> None:
    kpis = str(EXAMPLES / "ecommerce-cx" / "kpis.yaml")
    code, _, _ = invoke("report", kpis, "--fail-on", "off_track", "-f", "json")
    assert code == 1  # resolution time is off track
    code, _, _ = invoke("report", kpis, "--fail-on", "at_risk", "-f", "json", "--period", "2026-10")
    assert code == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["report", "does-not-exist.yaml"], "not found"),
        (
            ["report", str(EXAMPLES / "sales" / "kpis.yaml"), "--period", "2031-01"],
            "outside the data",
        ),
        (["report", str(EXAMPLES / "sales" / "kpis.yaml"), "--period", "banana"], "banana"),
        (["report", str(EXAMPLES / "sales" / "kpis.yaml"), "--by", "rpe"], "did you mean 'rep'"),
        (["report", str(EXAMPLES / "sales" / "kpis.yaml"), "--data", "nope.csv"], "nope.csv"),
        (["report", str(EXAMPLES / "sales" / "kpis.yaml"), "-f", "xlsx"], "-o"),
        (["show", "nps-x", str(EXAMPLES / "ecommerce-cx" / "kpis.yaml")], "did you mean"),
    ],
)
def test_user_errors_are_one_clear_line_and_exit_2(args: list[str], needle: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err + out
    assert err.startswith("kpi: error:")
    assert out == ""


def test_bad_yaml_exit_2(tmp_path: Path) -> None:
    bad = write_kpis(tmp_path, "kpis: [\n  - id: x\n")
    code, _, err = invoke("report", str(bad))
    assert code == 2
    assert "E001" in err and f"{bad}:" in err


def test_output_equal_to_input_is_refused(tmp_path: Path) -> None:
    code, _, err = invoke(
        "report",
        str(EXAMPLES / "sales" / "kpis.yaml"),
        "--data",
        str(EXAMPLES / "sales" / "sales.xlsx"),
        "-o",
        str(EXAMPLES / "sales" / "sales.xlsx"),
    )
    assert code == 2
    assert "input" in err


def test_show_one_kpi() -> None:
    kpis = str(EXAMPLES / "ecommerce-cx" / "kpis.yaml")
    code, out, err = invoke("show", "nps", kpis, "--no-color")
    assert code == 0, err
    assert "Net Promoter Score" in out and "why" in out
    code, out, _ = invoke("show", "csat", kpis, "-f", "json")
    doc = json.loads(out)
    assert doc["definition"]["id"] == "csat"
    assert doc["results"][0]["id"] == "csat"


def test_python_twin_matches_cli() -> None:
    import kpicli

    kpis = EXAMPLES / "ecommerce-cx" / "kpis.yaml"
    rep = kpicli.build_report(kpis)
    doc = json.loads(invoke("report", str(kpis), "-f", "json")[1])
    assert [k.status for k in rep.kpis] == [k["status"] for k in doc["kpis"]]
