"""JSON Schemas of the compliance inputs: framework files, crosswalk files, control catalogues."""

from __future__ import annotations

from typing import Any

from stackrift.compliance.model import ControlCatalogue, Crosswalk, Framework


def framework_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **Framework.model_json_schema()}


def crosswalk_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **Crosswalk.model_json_schema()}


def controls_schema() -> dict[str, Any]:
    """The shape of a ``controls.yaml``: control id, what it satisfies, systems, status, cost,
    evidence locations and when each was last tested."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **ControlCatalogue.model_json_schema()}
