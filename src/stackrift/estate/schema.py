"""JSON Schema of the estate file, generated from the model so it can never drift."""

from __future__ import annotations

import orjson

from stackrift.estate.model import Estate


def estate_json_schema() -> str:
    schema = Estate.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://stackrift.dev/schemas/estate-1.json"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
