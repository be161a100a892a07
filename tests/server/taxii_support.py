"""A TAXII collection per unit, with one object and the status of its addition, for the tests
that walk every endpoint (``tenancy``): their ids go into the shared server's ``ids``."""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

import orjson
from fastapi import FastAPI

from stackrift.server.taxii import service
from stackrift.server.tenancy import SYSTEM


def seed_taxii(app: FastAPI, ids: MutableMapping[str, Any], unit: str) -> None:
    """Collection ``collection_<unit>``, object ``object_<unit>``, status ``status_<unit>``."""
    stix_id = f"indicator--{uuid.uuid4()}"
    indicator = {"type": "indicator", "spec_version": "2.1", "id": stix_id,
                 "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
                 "name": f"estate of {unit} indicator", "pattern_type": "stix",
                 "pattern": "[file:name = 'x.exe']", "valid_from": "2026-11-01T10:00:00Z"}
    with app.state.sessions() as db:
        collection = service.create_collection(db, SYSTEM, ids[f"unit_{unit}"],
                                               f"estate of {unit} indicators")
        status = service.add_objects(db, SYSTEM, collection.id,
                                     orjson.dumps({"objects": [indicator]}))
        db.commit()
    assert status["success_count"] == 1, status
    ids[f"collection_{unit}"] = collection.id
    ids[f"object_{unit}"] = stix_id
    ids[f"status_{unit}"] = status["id"]
