"""`kpi diff`: a real change to examples/support (csat's target 85 -> 89), computed by hand.

In 2026-10 the support data has 198 satisfied CSAT answers out of 228, so csat = 86.842%.
Old target {min: 85, due: 2026-12}: 86.84 >= 85 -> met, score 1.0.
New target {min: 89, due: 2026-12}, baseline 79 in 2025-12: progress (86.842-79)/(89-79) =
0.7842, expected progress 10/12 = 0.8333 (10 of 12 months from 2025-12 to 2026-12), ratio
0.941 >= 0.90 -> at_risk; score = 86.842/89 = 0.97575. csat weighs 2 of the 10 scored
weight units, so the overall score drops by 2 * (1 - 0.97575) / 10 = 0.00485.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from external import missing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpicli.cli  # noqa: F401 - registers every command
from kpicli import api
from kpicli.writers.diffout import MARKER
from tests.helpers import invoke, write_kpis
from tests.hypothesis_budget import examples

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support"
SALES = ROOT / "examples" / "sales"
OLD_TARGET = "target: {min: 85, due: 2026-12}"
NEW_TARGET = "target: {min: 89, due: 2026-12}"
CSAT = 100 * 198 / 228
NEW_SCORE = CSAT / 89




def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """examples/support with csat's target raised to 89, beside a copy of its data."""
    text = (SUPPORT / "kpis.yaml").read_text(encoding="utf-8")
    assert text.count(OLD_TARGET) == 1
    new = write_kpis(tmp_path, text.replace(OLD_TARGET, NEW_TARGET))
    shutil.copy(SUPPORT / "tickets.csv", tmp_path / "tickets.csv")
    return new


def test_api_diff_lists_the_field_with_its_lines_and_the_flipped_status(changed: Path) -> None:
    result = api.diff(SUPPORT / "kpis.yaml", changed)
    text = (SUPPORT / "kpis.yaml").read_text(encoding="utf-8")
    [item] = result.items
    assert (item.kind, item.id, item.change) == ("kpi", "csat", "changed")
    assert item.old_line == item.new_line == line_of(text, "- id: csat")
    [field] = item.fields
    assert (field.field, field.old, field.new) == ("target.min", 85.0, 89.0)
    assert field.old_line == field.new_line == line_of(text, OLD_TARGET)
    assert result.period == "2026-10"
    [st] = result.statuses
    assert (st.id, st.group, st.old_status, st.new_status, st.change) == (
        "csat", None, "met", "at_risk", "worsened",
    )
    assert st.old_score == 1.0
    assert st.new_score == pytest.approx(NEW_SCORE, abs=1e-12)
    assert (st.old_target, st.new_target) == (85.0, 89.0)
    assert "0.94 >= 0.90" in (st.new_why or "")
    overall = next(s for s in result.scores if s.kind == "overall")
    assert overall.new == pytest.approx(overall.old - 2 * (1 - NEW_SCORE) / 10, abs=1e-12)
    objective = next(s for s in result.scores if s.id == "delight-customers")
    # csat and nps weigh 2 each on the objective; nps (38.71 of 40) is unchanged.
    nps = 2 * objective.old - 1.0  # (2 * 1.0 + 2 * nps) / 4 = old
    assert objective.new == pytest.approx((2 * NEW_SCORE + 2 * nps) / 4, abs=1e-12)
    assert result.status_changed


def test_text_output_and_exit_status_1(changed: Path) -> None:
    code, out, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(changed))
    assert code == 1, err
    line = line_of((SUPPORT / "kpis.yaml").read_text(encoding="utf-8"), OLD_TARGET)
    assert f"      target.min: 85 → 89    {SUPPORT / 'kpis.yaml'}:{line}  {changed}:{line}" in out
    assert "  csat: target.min 85 → 89: met → at_risk; score 100.0% → 97.6%" in out
    assert "  overall score 93.4% → 92.9%" in out
    assert out.rstrip().endswith("1 status would change.")
    assert "status would change" in err  # the note is on stderr, the result on stdout


def test_json_output(changed: Path) -> None:
    code, out, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(changed), "-f", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["schema"] == "kpicli.diff/1"
    assert doc["with_data"] is True and doc["period"] == "2026-10"
    assert doc["items"][0]["fields"] == [
        {"field": "target.min", "old": 85.0, "new": 89.0,
         "old_line": doc["items"][0]["fields"][0]["old_line"],
         "new_line": doc["items"][0]["fields"][0]["new_line"]}
    ]
    [st] = doc["statuses"]
    assert (st["old_status"], st["new_status"], st["change"]) == ("met", "at_risk", "worsened")
    assert st["new_score"] == pytest.approx(NEW_SCORE, abs=1e-12)


def test_markdown_output_is_a_pull_request_comment(changed: Path) -> None:
    code, out, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(changed), "-f", "markdown")
    assert code == 1, err
    line = line_of((SUPPORT / "kpis.yaml").read_text(encoding="utf-8"), OLD_TARGET)
    assert out.startswith(MARKER + "\n")
    assert "**1 status would change** in 2026-10 · overall score 93.4% → 92.9%" in out
    assert f"| csat | target.min | 85 | 89 | {line} → {line} |" in out
    assert (
        "| csat | 🟢 met → 🟡 at_risk | 100.0% → 97.6% | "
        "progress 0.78 of expected 0.83 = 0.94 &gt;= 0.90 → at_risk |"
    ) in out


def test_github_output_annotates_the_new_file(changed: Path) -> None:
    code, out, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(changed), "-f", "github")
    assert code == 1, err
    line = line_of((SUPPORT / "kpis.yaml").read_text(encoding="utf-8"), OLD_TARGET)
    lines = out.splitlines()
    assert lines[0].startswith(f"::warning file={changed},line={line},title=kpi diff%3A csat")
    assert lines[0].endswith("::csat: target.min 85 → 89: met → at_risk; score 100.0%25 → 97.6%25")
    assert lines[1].endswith("::csat: target.min 85 → 89")


def test_no_change_and_no_status_change_exit_0(tmp_path: Path, changed: Path) -> None:
    code, out, _ = invoke("diff", str(SUPPORT / "kpis.yaml"), str(SUPPORT / "kpis.yaml"))
    assert code == 0
    assert "no definition changes" in out and "No status would change." in out
    # A new description changes no status: listed, exit 0.
    text = (SUPPORT / "kpis.yaml").read_text(encoding="utf-8")
    other = tmp_path / "described.yaml"
    other.write_text(
        text.replace("rating the support 4 or 5 out of 5.", "rating 4 or 5 of 5."), "utf-8"
    )
    code, out, _ = invoke("diff", str(SUPPORT / "kpis.yaml"), str(other), "-d",
                       str(SUPPORT / "tickets.csv"))
    assert code == 0
    assert "description: Share of survey answers rating the support 4 or 5 out of 5. → " in out
    # --no-data compares definitions only: the csat change lists, but decides no exit 1.
    code, out, _ = invoke("diff", str(SUPPORT / "kpis.yaml"), str(changed), "--no-data")
    assert code == 0
    assert "target.min: 85 → 89" in out and "statuses not compared" in out


def test_added_and_removed_kpis(tmp_path: Path) -> None:
    text = (SUPPORT / "kpis.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: reopen_rate")
    end = text.index("  - id: reopened_tickets")
    added = (
        "  - id: escalations\n    name: Escalated tickets\n    unit: count\n"
        "    direction: lower\n    measure: {column: reopened, aggregate: sum}\n"
        "    target: {max: 50}\n"
    )
    new = write_kpis(tmp_path, text[:start] + added + text[end:])
    result = api.diff(SUPPORT / "kpis.yaml", new, [SUPPORT / "tickets.csv"])
    kinds = {(i.id, i.change) for i in result.items}
    assert kinds == {("escalations", "added"), ("reopen_rate", "removed")}
    removed = next(i for i in result.items if i.change == "removed")
    assert removed.old_line == line_of(text, "- id: reopen_rate")
    added_item = next(i for i in result.items if i.change == "added")
    assert added_item.new_line == line_of(new.read_text("utf-8"), "- id: escalations")
    by_id = {s.id: s for s in result.statuses}
    # 55 reopened tickets in 2026-10 against max 50: off the band, attainment 50/55 = 0.909.
    assert by_id["escalations"].change == "added"
    assert by_id["escalations"].new_status == "at_risk"
    assert by_id["escalations"].new_score == pytest.approx(50 / 55, abs=1e-12)
    assert (by_id["reopen_rate"].change, by_id["reopen_rate"].old_status) == ("removed", "met")
    # Neither is a KPI whose status changed: the gate stays open.
    assert not result.status_changed


def test_by_member_status_changes_on_sales(tmp_path: Path) -> None:
    text = (SALES / "kpis.yaml").read_text(encoding="utf-8")
    assert text.count("target: {min: 9000}") == 1
    new = write_kpis(tmp_path, text.replace("target: {min: 9000}", "target: {min: 7000}"))
    result = api.diff(SALES / "kpis.yaml", new, [SALES / "sales.csv"], by="rep")
    old = api.build_report(SALES / "kpis.yaml", by="rep")
    # Met under 7000 but below 9000 before: every such rep's status moves to met.
    expected = {
        r.group for r in old.kpis
        if r.id == "avg_deal_size" and r.group and r.actual is not None and 7000 <= r.actual < 9000
    }
    assert expected and {s.group for s in result.statuses} == expected
    assert all(s.new_status == "met" and s.new_score == 1.0 for s in result.statuses)
    anna = next(s for s in result.statuses if s.group == "Anna")
    # Anna: 51,550 EUR over 7 deals = 7,364.29 per deal; 7364.29 / 9000 = 0.818 -> off_track.
    assert anna.old_status == "off_track"
    assert anna.old_score == pytest.approx(51550 / 7 / 9000, abs=1e-9)
    assert {s.id for s in result.scores if s.kind == "group"} == expected
    code, out, _ = invoke("diff", SALES / "kpis.yaml", new, "-d", SALES / "sales.csv", "--by", "rep")
    assert code == 1
    assert "avg_deal_size [Anna]: target.min 9000 → 7000: off_track → met; score 81.8% → 100.0%" in out


def test_untrusted_text_is_escaped_in_every_format(tmp_path: Path) -> None:
    text = (SUPPORT / "kpis.yaml").read_text(encoding="utf-8")
    evil = 'name: "Evil \\e[31m| <script>x</script>"'
    new = write_kpis(tmp_path, text.replace("name: Customer satisfaction (CSAT)", evil))
    for fmt in ("text", "markdown", "github"):
        code, out, _ = invoke("diff", str(SUPPORT / "kpis.yaml"), str(new), "--no-data", "-f", fmt)
        assert code == 0
        assert "\x1b" not in out
        if fmt == "markdown":
            assert "<script>" not in out and "&lt;script&gt;" in out and "\\|" in out


def test_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("diff", str(SUPPORT / "kpis.yaml"))
    assert code == 2 and "give two files" in err
    code, _, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(tmp_path / "missing.yaml"))
    assert code == 2 and "KPI file not found" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("kpis: [\n", "utf-8")
    code, _, err = invoke("diff", str(SUPPORT / "kpis.yaml"), str(broken))
    assert code == 2 and "E001" in err


def _git_or_skip() -> str:
    git = shutil.which("git")
    if git is None:
        missing("git is not installed (the kpi diff --git tests run it)")
    assert git is not None
    return git


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def test_git_compares_the_working_file_with_a_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_or_skip()
    repo = tmp_path / "repo"
    folder = repo / "kpi" / "support"
    folder.mkdir(parents=True)
    shutil.copy(SUPPORT / "kpis.yaml", folder / "kpis.yaml")
    shutil.copy(SUPPORT / "tickets.csv", folder / "tickets.csv")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "scorecard")
    path = folder / "kpis.yaml"
    path.write_text(path.read_text("utf-8").replace(OLD_TARGET, NEW_TARGET), "utf-8")
    # From a folder below the file's: the path inside the repo comes from git, not the cwd.
    monkeypatch.chdir(folder)
    code, out, err = invoke("diff", "--git", "HEAD", "kpis.yaml")
    assert code == 1, err
    assert out.startswith("HEAD:kpi/support/kpis.yaml → kpis.yaml: 1 KPI changed")
    assert "  csat: target.min 85 → 89: met → at_risk; score 100.0% → 97.6%" in out
    # The default file is kpis.yaml in the current folder.
    code, out, _ = invoke("diff", "--git", "HEAD", "-f", "json")
    assert code == 1 and json.loads(out)["old"] == "HEAD:kpi/support/kpis.yaml"
    # Unchanged against the working tree after a commit: exit 0.
    _git(repo, "commit", "-q", "-am", "raise csat")
    code, out, _ = invoke("diff", "--git", "HEAD")
    assert code == 0 and "no definition changes" in out
    code, out, _ = invoke("diff", "--git", "HEAD~1")
    assert code == 1


def test_git_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git_or_skip()
    outside = tmp_path / "plain"
    outside.mkdir()
    shutil.copy(SUPPORT / "kpis.yaml", outside / "kpis.yaml")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, _, err = invoke("diff", "--git", "HEAD", str(outside / "kpis.yaml"))
    assert code == 2 and "not inside a git repository" in err
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(SUPPORT / "kpis.yaml", repo / "kpis.yaml")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    code, _, err = invoke("diff", "--git", "no-such-rev", str(repo / "kpis.yaml"))
    assert code == 2 and "unknown revision" in err
    code, _, err = invoke("diff", "--git=--upload-pack=x", str(repo / "kpis.yaml"))
    assert code == 2 and "not a revision" in err  # never passed to git as an option
    new = repo / "new.yaml"
    shutil.copy(SUPPORT / "kpis.yaml", new)
    code, _, err = invoke("diff", "--git", "HEAD", str(new))
    assert code == 2 and "new.yaml does not exist at HEAD" in err
    code, _, err = invoke("diff", "--git", "HEAD", str(new), str(new))
    assert code == 2 and "one file" in err


WEIGHT_LINES = [
    i for i, line in enumerate((SUPPORT / "kpis.yaml").read_text("utf-8").splitlines(), 1)
    if line.strip().startswith("weight:")
]


@settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picked=st.lists(st.sampled_from(WEIGHT_LINES), min_size=0, max_size=3, unique=True),
    weight=st.integers(min_value=3, max_value=9),
)
def test_every_edited_weight_is_listed_at_its_line_and_nothing_else(
    tmp_path: Path, picked: list[int], weight: int
) -> None:
    """Invariant: editing weights on some lines lists exactly those fields, at those lines."""
    lines = (SUPPORT / "kpis.yaml").read_text("utf-8").splitlines()
    for n in picked:
        indent = lines[n - 1][: len(lines[n - 1]) - len(lines[n - 1].lstrip())]
        lines[n - 1] = f"{indent}weight: {weight}"
    new = tmp_path / f"w{weight}-{'-'.join(map(str, picked))}.yaml"
    new.write_text("\n".join(lines) + "\n", "utf-8")
    result = api.diff(SUPPORT / "kpis.yaml", new, use_data=False)
    listed = sorted((f.field, f.new, f.old_line, f.new_line) for i in result.items for f in i.fields)
    assert listed == sorted(("weight", float(weight), n, n) for n in picked)
    assert not result.statuses and not result.status_changed


@pytest.mark.parametrize(("threshold", "flips"), [(0.95, False), (0.96, True)])
def test_a_changed_default_threshold_names_itself_as_the_cause(
    tmp_path: Path, threshold: float, flips: bool
) -> None:
    # resolution_time in 2026-10: target 32.1 * 0.8 = 25.68 by 2026-12, actual 27.1;
    # progress (27.1 - 32.1) / (25.68 - 32.1) = 0.7788, expected 9/11 = 0.8182 (2026-01 to
    # 2026-10 of 2026-01 to 2026-12), ratio 0.9519: at_risk at 0.95, off_track at 0.96.
    text = (SUPPORT / "kpis.yaml").read_text("utf-8")
    new = write_kpis(tmp_path, text.replace("{at_risk: 0.9}", f"{{at_risk: {threshold}}}"))
    code, out, _ = invoke("diff", str(SUPPORT / "kpis.yaml"), str(new), "-d",
                       str(SUPPORT / "tickets.csv"))
    assert f"      defaults.thresholds.at_risk: 0.9 → {threshold}" in out
    line = (
        f"  resolution_time: defaults.thresholds.at_risk 0.9 → {threshold}: at_risk → off_track"
    )
    assert (line in out) is flips
    assert code == (1 if flips else 0)


def test_parquet_data_gives_the_same_statuses(tmp_path: Path) -> None:
    # Parquet is read through DuckDB when it is installed (the aggregation runs there for
    # both files' KPIs), else by pandas: either way csat flips exactly as with the CSV.
    import pandas as pd

    frame = pd.read_csv(SUPPORT / "tickets.csv")
    frame["closed_at"] = pd.to_datetime(frame["closed_at"])
    frame.to_parquet(tmp_path / "tickets.parquet")
    text = (SUPPORT / "kpis.yaml").read_text("utf-8").replace("tickets.csv", "tickets.parquet")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, "utf-8")
    new.write_text(text.replace(OLD_TARGET, NEW_TARGET), "utf-8")
    code, out, err = invoke("diff", str(old), str(new))
    assert code == 1, err
    assert "  csat: target.min 85 → 89: met → at_risk; score 100.0% → 97.6%" in out
    assert "  overall score 93.4% → 92.9%" in out
