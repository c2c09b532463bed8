"""kpicli's own words for problems a dependency detects: the messages users read (and scripts
match) must not change when PyYAML, libyaml or pydantic reword theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpicli.definitions.yamlfile import YamlError, load_yaml_text
from tests.helpers import invoke, kpi_item, kpis_yaml, write_kpis

BASE = kpis_yaml(
    kpi_item(
        id="tickets",
        name="Tickets resolved per month",
        unit="count",
        measure="{column: tickets, aggregate: sum}",
        target=100,
    ),
    title="Owned messages",
    period="month",
)


def _validate(tmp_path: Path, text: str) -> str:
    path = write_kpis(tmp_path, text)
    result = invoke("--no-color", "validate", path, "--no-data")
    return result.stdout + (result.stderr or "")


@pytest.mark.parametrize("depth", [65, 999, 1001, 5000, 100_000])
def test_deep_flow_nesting_is_kpiclis_limit_at_its_position(depth: int) -> None:
    # libyaml stops at 1,000 levels with its own message; kpicli reports its limit (64) at the
    # bracket that crosses it, whatever the bundled libyaml does.
    with pytest.raises(YamlError) as caught:
        load_yaml_text("[" * depth)
    assert caught.value.message.startswith("nesting deeper than 64 levels")
    assert (caught.value.line, caught.value.column) == (1, 65)


def test_shallow_syntax_error_is_still_a_syntax_error_with_position() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml_text("a: [1, 2\nb: 3\n")
    assert caught.value.line is not None and caught.value.column is not None
    assert "nesting" not in caught.value.message


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ('!!python/name:os.system ""', "!!python/name:os.system"),
        ('!!python/object/apply:os.system ["touch x"]', "!!python/object/apply:os.system"),
        ("!Ref other", "!Ref"),
        ("!!binary aGk=", "!!binary"),
    ],
)
def test_tags_are_refused_by_kpicli(value: str, tag: str) -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml_text(f"title: {value}\n")
    assert caught.value.message.startswith(f"the tag {tag} is not allowed")
    assert (caught.value.line, caught.value.column) == (1, 8)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("title: Owned messages", "title: [a, b]", "2:8: E002 error title: expected text, got a list"),
        (
            "    target: 100",
            "    target: 100\n    weight: heavy",
            "10:13: E002 error kpis[0] (tickets).weight: expected a number, got 'heavy'",
        ),
        (
            "    unit: count",
            "    unit: count\n    direction: up",
            "8:16: E002 error kpis[0] (tickets).direction: 'up' is not one of",
        ),
        (
            "    measure: {column: tickets, aggregate: sum}",
            "    measure: [tickets]",
            "8:14: E002 error kpis[0] (tickets).measure: expected a mapping of keys to values, got a list",
        ),
    ],
)
def test_schema_errors_use_kpiclis_words(tmp_path: Path, old: str, new: str, expected: str) -> None:
    out = _validate(tmp_path, BASE.replace(old, new))
    assert expected in out, out


@pytest.mark.parametrize("key", ["a[b", "-[:", "function-after"])
def test_unknown_key_is_named_as_written_even_with_brackets(tmp_path: Path, key: str) -> None:
    # Path parts holding "[" are pydantic's branch labels, dropped from messages; a user's own
    # unknown key is kept whatever it holds (a key "-[:" once crashed the message builder).
    out = _validate(tmp_path, BASE.replace("title: Owned messages", f"title: Owned messages\n'{key}': 1"))
    assert f"E002 error unknown key {key!r} in the top level" in out, out
