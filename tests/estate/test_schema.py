"""The exported estate JSON Schema is current and accepts the demo estate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from tests.conftest import REPO_ROOT

from stackrift.estate.schema import estate_json_schema


def test_docs_schema_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "estate.schema.json").read_text(encoding="utf-8")
    assert committed == estate_json_schema(), (
        "run: stackrift schema estate -o docs/estate.schema.json"
    )


def test_schema_accepts_demo_and_rejects_unknown_keys(demo_estate: Path) -> None:
    schema = json.loads(estate_json_schema())
    document = yaml.safe_load(demo_estate.read_text(encoding="utf-8"))
    # JSON Schema sees dates as strings, as they would be in a JSON estate file.
    document = json.loads(json.dumps(document, default=str))
    jsonschema.validate(document, schema)
    document["organisation"]["colour"] = "red"
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as exc:
        assert "colour" in exc.message
    else:
        raise AssertionError("unknown key accepted by the schema")
