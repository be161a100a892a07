"""JSON Schemas of the files users write besides the estate: scenarios, rule packs, waivers.

Generated from the models that load them where a model exists, so a schema cannot drift from
what the loader accepts; waivers are read field by field, so their schema is written out here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson

_BASE = "https://stackrift.dev/schemas/"


class InputSchema(StrEnum):
    """The input files `stackrift schema NAME` describes (besides the estate and the report)."""

    SCENARIO = "scenario"
    RULE_PACK = "rule-pack"
    WAIVERS = "waivers"


_WAIVERS: dict[str, Any] = {
    "title": "Waivers",
    "description": "Known vulnerabilities accepted for a stated reason, optionally until a date.",
    "type": "object",
    "required": ["waivers"],
    "properties": {"waivers": {"type": "array", "items": {
        "type": "object",
        "required": ["id", "reason"],
        "properties": {
            "id": {"type": "string", "description": "Any advisory id: CVE, GHSA, PYSEC, CNVD…"},
            "reason": {"type": "string", "minLength": 1,
                       "description": "Why the risk is accepted; a waiver without one is refused."},
            "purl": {"type": "string", "description": "Limit the waiver to one package (purl); "
                     "a purl without a version covers every version."},
            "expires": {"type": "string", "format": "date",
                        "description": "Last day the waiver applies (YYYY-MM-DD)."},
        },
    }}},
}


def input_json_schema(kind: InputSchema) -> str:
    """The JSON Schema (draft 2020-12) of one kind of input file, as indented JSON."""
    schema: dict[str, Any]
    if kind is InputSchema.SCENARIO:
        from stackrift.plan.scenario import Scenario

        schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    elif kind is InputSchema.RULE_PACK:
        from stackrift.rules.model import Pack

        schema = Pack.model_json_schema(by_alias=True, mode="validation")
    else:
        schema = dict(_WAIVERS)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{_BASE}{kind.value}-1.json"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
