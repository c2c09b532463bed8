"""Every definition rule: a failing and a passing example, with the line of the finding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kpicli.api import validate_files
from kpicli.engine.rules import CATALOGUE, LETTERS, vague_name
from tests.helpers import kpi_item, write_kpis

TODAY = dt.date(2026, 6, 15)

GOOD_KPI = {
    "id": "csat",
    "name": "Customer satisfaction (CSAT)",
    "description": "Share of survey answers rating 4 or 5 out of 5.",
    "objective": "obj",
    "owner": "Support lead",
    "kind": "leading",
    "unit": "percent",
    "measure": "{column: csat, aggregate: mean}",
    "baseline": "{value: 78, period: 2026-01}",
    "target": "{value: 85, due: 2026-12}",
}

HEAD = """\
version: 1
objectives:
  - id: obj
    title: Delight our customers
    owner: VP Support
kpis:
"""


def kpi(**changes: str | None) -> str:
    """YAML lines of one KPI: GOOD_KPI with keys changed (None removes a key)."""
    fields = {**GOOD_KPI, **changes}
    return kpi_item(**{k: v for k, v in fields.items() if v is not None})


def doc(*kpis: str, head: str = HEAD) -> str:
    return head + "".join(kpis)


def run(tmp_path: Path, text: str, rule: str, **kwargs: object) -> list:
    path = write_kpis(tmp_path, text)
    result = validate_files([path], select=[rule], today=TODAY, **kwargs)  # type: ignore[arg-type]
    return [f for f in result.findings if f.rule == rule]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    count = 0
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            count += 1
            if count == nth:
                return n
    raise AssertionError(f"{needle!r} not in text")


def assert_fires(tmp_path: Path, text: str, rule: str, at: str, nth: int = 1,
                 contains: str | None = None) -> None:
    found = run(tmp_path, text, rule)
    assert found, f"{rule} did not fire on:\n{text}"
    expected = line_of(text, at, nth)
    assert expected in [f.line for f in found], (
        f"{rule} at lines {[f.line for f in found]}, expected {expected}: {found}"
    )
    f = found[0]
    assert f.severity == CATALOGUE[rule].severity
    assert f.letter == CATALOGUE[rule].letter
    assert f.column and f.column >= 1
    if contains:
        assert any(contains in x.message for x in found), [x.message for x in found]


def assert_passes(tmp_path: Path, text: str, rule: str) -> None:
    found = run(tmp_path, text, rule)
    assert not found, f"{rule} fired unexpectedly: {[f.message for f in found]}"


def test_good_kpi_is_clean(tmp_path: Path) -> None:
    path = write_kpis(tmp_path, doc(kpi()))
    result = validate_files([path], today=TODAY)
    assert result.findings == []
    assert result.exit_code == 0


# ---------------------------------------------------------------------------------- E


def test_e001_yaml_syntax(tmp_path: Path) -> None:
    text = doc(kpi(name="[unclosed"))
    found = run(tmp_path, text, "E001")
    assert found and found[0].line >= line_of(text, "[unclosed")
    assert_passes(tmp_path, doc(kpi()), "E001")


def test_e002_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = doc(kpi(target=None, targte="{value: 85, due: 2026-12}"))
    assert_fires(tmp_path, text, "E002", "targte:", contains="did you mean 'target'")
    f = run(tmp_path, text, "E002")[0]
    assert f.column == 5  # the key itself
    assert f.kpi == "csat"
    assert_passes(tmp_path, doc(kpi()), "E002")


def test_e002_wrong_type_and_missing_field(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(weight="heavy")), "E002", "weight: heavy")
    assert_fires(tmp_path, doc(kpi(name=None)), "E002", "- id: csat", contains="name")


def test_e002_unknown_rule_in_ignore(tmp_path: Path) -> None:
    text = doc(kpi(ignore="[T501, A3O4]"))
    assert_fires(tmp_path, text, "E002", "ignore:", contains="A3O4")
    assert_passes(tmp_path, doc(kpi(ignore="[T501, A3, D]")), "E002")


def test_e003_duplicate_ids(tmp_path: Path) -> None:
    text = doc(kpi(), kpi(name="Customer satisfaction, phone channel"))
    assert_fires(tmp_path, text, "E003", "- id: csat", nth=2, contains="first used at line 7")
    head = HEAD.replace("kpis:\n", "  - id: obj\n    title: Again\nkpis:\n")
    assert_fires(tmp_path, doc(kpi(), head=head), "E003", "- id: obj", nth=2)
    assert_passes(tmp_path, doc(kpi(), kpi(id="csat-phone")), "E003")


def test_e004_unknown_objective(tmp_path: Path) -> None:
    text = doc(kpi(objective="ojb"))
    assert_fires(tmp_path, text, "E004", "objective: ojb", contains="did you mean 'obj'")
    assert_passes(tmp_path, doc(kpi()), "E004")


def test_e004_without_any_objectives(tmp_path: Path) -> None:
    text = "version: 1\nkpis:\n" + kpi()
    assert_fires(tmp_path, text, "E004", "objective: obj", contains="no objectives are defined")


def test_e005_unknown_name(tmp_path: Path) -> None:
    text = doc(kpi(), kpi(id="ratio", name="Satisfaction per open ticket", measure=None,
                          formula="csat / tickts", unit="ratio"))
    assert_fires(tmp_path, text, "E005", "formula:", contains="'tickts'")
    ok = doc(kpi(), kpi(id="first-response", name="Median first-response time"),
             kpi(id="ratio", name="Satisfaction per response hour", measure=None,
                 formula="csat / first_response + `first-response` * 0", unit="ratio"))
    assert_passes(tmp_path, ok, "E005")


def test_e005_cycle(tmp_path: Path) -> None:
    text = doc(
        kpi(id="a-ratio", name="First ratio of things", measure=None, formula="b_ratio * 2"),
        kpi(id="b-ratio", name="Second ratio of things", measure=None, formula="a_ratio / 2"),
    )
    found = run(tmp_path, text, "E005")
    assert len(found) == 1
    assert "cycle" in found[0].message and "a-ratio → b-ratio → a-ratio" in found[0].message
    assert found[0].line == line_of(text, "formula: b_ratio")
    self_ref = doc(kpi(id="loop", name="Loop of itself forever", measure=None, formula="loop + 1"))
    assert "cycle" in run(tmp_path, self_ref, "E005")[0].message


def test_e006_unreadable_expressions(tmp_path: Path) -> None:
    text = doc(kpi(), kpi(id="ratio", name="Satisfaction per open ticket", measure=None,
                          formula="csat / ("))
    assert_fires(tmp_path, text, "E006", "formula:", contains="formula cannot be read")
    bad_where = doc(kpi(measure="{column: csat, where: \"channel ==\"}"))
    assert_fires(tmp_path, bad_where, "E006", "measure:", contains="where filter")
    good_where = doc(kpi(measure="{column: csat, where: \"channel == 'email'\"}"))
    assert_passes(tmp_path, good_where, "E006")


# ---------------------------------------------------------------------------------- S


@pytest.mark.parametrize(
    "name", ["Sales", "Performance", "Overall quality", "KPI", "Revenue growth", "NPS", "Churn"]
)
def test_s101_vague_or_short_names(tmp_path: Path, name: str) -> None:
    assert_fires(tmp_path, doc(kpi(name=name)), "S101", "name:")


@pytest.mark.parametrize(
    "name",
    [
        "Customer satisfaction (CSAT)",  # the spec's own example names
        "Median resolution time",
        "Cost per resolved ticket",
        "Net new MRR from EU customers",
        "Trial to paid conversion rate",
        "Headcount",
    ],
)
def test_s101_specific_names_pass(tmp_path: Path, name: str) -> None:
    assert_passes(tmp_path, doc(kpi(name=name)), "S101")


def test_vague_name_reasons() -> None:
    assert vague_name("Sales") == "too vague"
    assert vague_name("Uptime") == "too short"
    assert vague_name("Monthly recurring revenue") is None


def test_s102_description(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(description=None)), "S102", "- id: csat")
    assert_fires(tmp_path, doc(kpi(description="Survey score.")), "S102", "description:",
                 contains="2 words")
    assert_passes(tmp_path, doc(kpi()), "S102")


def test_s103_owner(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(owner=None)), "S103", "- id: csat")
    assert_fires(tmp_path, doc(kpi(owner='""')), "S103", 'owner: ""')
    assert_passes(tmp_path, doc(kpi()), "S103")


def test_s104_unit(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(unit=None)), "S104", "- id: csat")
    assert_passes(tmp_path, doc(kpi()), "S104")


# ---------------------------------------------------------------------------------- M


def test_m201_empty_formula_or_column(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(measure=None, formula='""')), "M201", "formula:")
    assert_fires(tmp_path, doc(kpi(measure='{column: ""}')), "M201", "measure:")
    assert_passes(tmp_path, doc(kpi()), "M201")
    # Without data, a KPI with neither measure nor formula is looked up by id later: no finding.
    assert_passes(tmp_path, doc(kpi(measure=None)), "M201")


def test_m202_aggregate_vs_unit(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(measure="{column: csat, aggregate: sum}")), "M202",
                 "measure:", contains="sum")
    assert_fires(tmp_path, doc(kpi(unit="currency:EUR", measure="{column: amount, aggregate: "
                                   "count}", target="{value: 90, due: 2026-12}")),
                 "M202", "measure:", contains="number of rows")
    assert_fires(tmp_path, doc(kpi(accumulate="ytd")), "M202", "accumulate:")
    defaults = HEAD.replace("kpis:\n", "defaults: {aggregate: sum}\nkpis:\n")
    assert_fires(tmp_path, doc(kpi(measure="{column: csat}"), head=defaults), "M202",
                 "defaults:")
    assert_passes(tmp_path, doc(kpi()), "M202")
    assert_passes(tmp_path, doc(kpi(unit="count", measure="{column: tickets, aggregate: sum}",
                                    target="{value: 90, due: 2026-12}")), "M202")


# ---------------------------------------------------------------------------------- A


def test_a301_wrong_side_of_baseline(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(target="{value: 70, due: 2026-12}")), "A301", "target:",
                 contains="below the baseline")
    lower = doc(kpi(direction="lower", target="{value: 85, due: 2026-12}"))
    assert_fires(tmp_path, lower, "A301", "target:", contains="direction: higher")
    change = doc(kpi(target="{change: -10%, due: 2026-12}"))
    assert_fires(tmp_path, change, "A301", "target:", contains="direction defaults to higher")
    assert_passes(tmp_path, doc(kpi()), "A301")
    assert_passes(tmp_path, doc(kpi(direction="lower", target="{change: -10%, due: 2026-12}")),
                  "A301")
    assert_passes(tmp_path, doc(kpi(target="{min: 70, max: 90}")), "A301")


def test_a302_target_equals_baseline(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(target="{value: 78, due: 2026-12}")), "A302", "target:")
    assert_fires(tmp_path, doc(kpi(target="{change: 0, due: 2026-12}")), "A302", "target:")
    assert_passes(tmp_path, doc(kpi()), "A302")


def test_a303_percent_outside_0_100(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(target="{value: 120, due: 2026-12}")), "A303", "target:")
    assert_fires(tmp_path, doc(kpi(target="{change: +50%, due: 2026-12}")), "A303", "target:",
                 contains="changed target")
    sched = doc(kpi(target=None, schedule="\n      2026-01: 80\n      2026-02: 150"))
    assert_fires(tmp_path, sched, "A303", "2026-02: 150")
    by = doc(kpi(targets_by="\n      team: {North: 90, South: 101}"))
    assert_fires(tmp_path, by, "A303", "team:", contains="South")
    assert_passes(tmp_path, doc(kpi()), "A303")
    assert_passes(tmp_path, doc(kpi(unit="count", target="{value: 120, due: 2026-12}")), "A303")


def test_a305_no_target(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(target=None)), "A305", "- id: csat")
    assert_passes(tmp_path, doc(kpi()), "A305")
    by = doc(kpi(target=None, targets_by="{team: {North: 90}}"))
    assert_passes(tmp_path, by, "A305")
    column = HEAD.replace("kpis:\n", "data: {target_column: Target}\nkpis:\n")
    assert_passes(tmp_path, doc(kpi(target=None), head=column), "A305")


# ---------------------------------------------------------------------------------- R


def test_r401_not_linked(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(objective=None)), "R401", "- id: csat", contains="obj")
    assert_passes(tmp_path, doc(kpi()), "R401")


def test_r402_objective_without_kpi(tmp_path: Path) -> None:
    head = HEAD.replace("kpis:\n", "  - id: lonely\n    title: Nobody measures me\nkpis:\n")
    assert_fires(tmp_path, doc(kpi(), head=head), "R402", "- id: lonely")
    assert_passes(tmp_path, doc(kpi()), "R402")


def test_r403_only_lagging(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(kind="lagging")), "R403", "- id: obj")
    assert_passes(tmp_path, doc(kpi()), "R403")
    mixed = doc(kpi(kind="lagging"), kpi(id="frt", name="Median first-response time"))
    assert_passes(tmp_path, mixed, "R403")


def test_r404_too_many_kpis(tmp_path: Path) -> None:
    many = [kpi(id=f"k{i}", name=f"Customer satisfaction in region {i}") for i in range(8)]
    assert_fires(tmp_path, doc(*many), "R404", "- id: obj", contains="8 KPIs")
    assert_passes(tmp_path, doc(*many[:7]), "R404")


# ---------------------------------------------------------------------------------- T


def test_t501_no_due(tmp_path: Path) -> None:
    assert_fires(tmp_path, doc(kpi(target="85")), "T501", "target: 85")
    assert_fires(tmp_path, doc(kpi(target="{change: +5}")), "T501", "target:")
    assert_passes(tmp_path, doc(kpi()), "T501")
    assert_passes(tmp_path, doc(kpi(target="{min: 80}")), "T501")
    assert_passes(tmp_path, doc(kpi(target=None, schedule="{2026-01: 80, 2026-02: 82}")), "T501")
    ytd = doc(kpi(unit="count", measure="{column: orders, aggregate: sum}", accumulate="ytd",
                  target="{value: 1.2M, per: year}"))
    assert_passes(tmp_path, ytd, "T501")


def test_t502_due_before_baseline(tmp_path: Path) -> None:
    text = doc(kpi(target="{value: 85, due: 2025-12}"))
    assert_fires(tmp_path, text, "T502", "target:", contains="before the baseline period")
    same = doc(kpi(target="{value: 85, due: 2026-01}"))
    assert_fires(tmp_path, same, "T502", "target:", contains="the same as")
    assert_passes(tmp_path, doc(kpi()), "T502")
    # A coarser due period that ends after the baseline is fine.
    assert_passes(tmp_path, doc(kpi(target="{value: 85, due: 2026}")), "T502")


def test_t503_due_past_depends_on_today(tmp_path: Path) -> None:
    text = doc(kpi(target="{value: 85, due: 2026-05}"))
    assert_fires(tmp_path, text, "T503", "target:", contains="2026-05-31")
    assert_passes(tmp_path, doc(kpi(target="{value: 85, due: 2026-06}")), "T503")
    path = write_kpis(tmp_path, text)
    earlier = validate_files([path], select="T503", today=dt.date(2026, 5, 31))
    assert earlier.findings == []


def test_t504_change_without_baseline(tmp_path: Path) -> None:
    text = doc(kpi(baseline=None, target="{change: +5, due: 2026-12}"))
    assert_fires(tmp_path, text, "T504", "target:")
    assert_passes(tmp_path, doc(kpi(target="{change: +5, due: 2026-12}")), "T504")
    from_data = doc(kpi(baseline="{period: 2026-01}", target="{change: +5, due: 2026-12}"))
    assert_passes(tmp_path, from_data, "T504")


# ---------------------------------------------------------------------------------- catalogue


def test_catalogue_covers_the_spec() -> None:
    spec = {f"E00{i}" for i in range(1, 6)} | {f"S10{i}" for i in range(1, 5)}
    spec |= {f"M20{i}" for i in range(1, 6)} | {f"A30{i}" for i in range(1, 5)}
    spec |= {f"R40{i}" for i in range(1, 5)} | {f"T50{i}" for i in range(1, 5)}
    assert spec <= set(CATALOGUE)


def test_catalogue_entries_are_complete() -> None:
    for rid, rule in CATALOGUE.items():
        assert rid == rule.id
        assert rule.letter in LETTERS and rid.startswith(rule.letter)
        assert rule.severity in ("error", "warning", "info")
        assert rule.summary and rule.fix.endswith(".")
        if rule.letter == "E":
            assert rule.severity == "error"
    applied_by_loader = {"E001", "M206"}
    for rid, rule in CATALOGUE.items():
        # Data-quality findings come from the readers and engine.quality, not a rule function.
        made_elsewhere = rid in applied_by_loader or rule.letter == "D"
        assert (rule.check is None) == made_elsewhere, rid


def test_every_data_quality_id_in_the_code_is_in_the_catalogue() -> None:
    # A D6xx finding the catalogue does not know would be missing from `kpi rules`, the docs
    # and SARIF's rule list, and could not be chosen with --select/--ignore.
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "kpicli"
    used = {
        m
        for path in root.rglob("*.py")
        for m in re.findall(r"[\"'](D6\d\d)[\"']", path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no data-quality ids at all"
    assert used <= set(CATALOGUE), sorted(used - set(CATALOGUE))


def test_unknown_data_quality_ids_are_refused_as_selectors() -> None:
    from kpicli.engine.rules import is_rule_selector

    assert is_rule_selector("D") and is_rule_selector("D601") and is_rule_selector("D60")
    assert not is_rule_selector("D999")
