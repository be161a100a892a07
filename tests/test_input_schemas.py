"""`stackrift schema scenario|rule-pack|waivers`: the schemas accept what the loaders accept."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jsonschema
import orjson
import pytest
import yaml
from tests.cli.helpers import run_cli

from stackrift.input_schemas import InputSchema, input_json_schema


def _schema(kind: InputSchema) -> dict[str, object]:
    schema = orjson.loads(input_json_schema(kind))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _packaged(folder: str) -> list[Path]:
    return sorted(Path(str(resources.files("stackrift") / folder)).glob("*.yaml"))


def _as_json(path: Path) -> object:
    """YAML dates become strings, as they would be in a JSON file."""
    return orjson.loads(orjson.dumps(yaml.safe_load(path.read_text(encoding="utf-8")),
                                     default=str))


@pytest.mark.parametrize("path", _packaged("plan/scenarios"), ids=lambda p: p.name)
def test_every_packaged_scenario_validates(path: Path) -> None:
    jsonschema.validate(_as_json(path), _schema(InputSchema.SCENARIO))


@pytest.mark.parametrize("path", _packaged("rules/packs"), ids=lambda p: p.name)
def test_every_packaged_rule_pack_validates(path: Path) -> None:
    jsonschema.validate(_as_json(path), _schema(InputSchema.RULE_PACK))


def test_waivers_schema_requires_a_reason() -> None:
    schema = _schema(InputSchema.WAIVERS)
    jsonschema.validate({"waivers": [{"id": "CVE-2021-37678", "reason": "not reachable"}]},
                        schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"waivers": [{"id": "CVE-2021-37678"}]}, schema)


def test_cli_prints_each_schema() -> None:
    for kind in InputSchema:
        result = run_cli("schema", kind.value)
        assert result.returncode == 0, result.stderr
        assert orjson.loads(result.stdout)["$id"].endswith(f"{kind.value}-1.json")
