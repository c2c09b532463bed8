"""`kpi schema`: the JSON Schema of kpis.yaml, described field by field, committed and fresh."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import kpicli.cli  # noqa: F401 - registers every command on the app
from kpicli.api.schema import kpi_json_schema, schema_text
from kpicli.cli.app import app

ROOT = Path(__file__).parent.parent
COMMITTED = ROOT / "schema" / "kpis.schema.json"
runner = CliRunner()


def test_committed_schema_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/kpis.schema.json is stale: run `kpi schema -o schema/kpis.schema.json`"
    )


def test_schema_command_prints_it_and_writes_it(tmp_path: Path) -> None:
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    assert res.stdout == schema_text()
    out = tmp_path / "kpis.schema.json"
    res = runner.invoke(app, ["schema", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8") == schema_text()
    res = runner.invoke(app, ["schema", "-o", str(tmp_path / "kpis.yaml")])
    assert res.exit_code == 2


def _properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            out.append((f"{where}.{name}", prop))
        for key, value in node.items():
            out += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _properties(value, f"{where}[{i}]")
    return out


def test_every_field_has_a_description() -> None:
    schema = kpi_json_schema()
    props = _properties(schema)
    assert len(props) > 40
    missing = [where for where, prop in props if not prop.get("description")]
    assert missing == []
    for name, model in schema["$defs"].items():
        assert model.get("description"), name


def test_schema_accepts_the_friendly_spellings() -> None:
    schema = kpi_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    target = schema["$defs"]["Target"]
    kinds = json.dumps(target["anyOf"][0])
    assert '"number"' in kinds and '"string"' in kinds  # target: 42 or "85%"
    value = target["anyOf"][1]["properties"]["value"]
    assert {"number", "string"} <= {b.get("type") for b in value["anyOf"]}
    due = target["anyOf"][1]["properties"]["due"]
    assert {"string", "integer"} <= {b.get("type") for b in due["anyOf"]}  # due: 2026


def test_schema_validates_real_files() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = kpi_json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for path in [ROOT / "tests/fixtures/validate/clean.yaml",
                 ROOT / "tests/fixtures/validate/spec-example.yaml",
                 *sorted((ROOT / "examples").rglob("kpis.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (path, errors)
    bad = yaml.safe_load("kpis:\n  - id: a\n    name: A thing\n    targte: 3\n")
    assert list(validator.iter_errors(bad))
