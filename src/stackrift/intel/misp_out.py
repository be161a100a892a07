"""A STIX bundle StackRift wrote (or released) as one MISP event, built with PyMISP's objects.

Vulnerabilities become ``vulnerability`` objects (one ``id`` attribute per CVE, GHSA, CNVD or
CNNVD reference), software becomes ``software`` objects (name, version, vendor, cpe; the purl,
which the template lacks, in the object's comment), hash indicators become ``file`` objects with
their ``sha256``, and the TLP marking becomes the event's
``tlp:`` tag. The event's UUID and date follow from the bundle, so exports stay stable.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import orjson

from stackrift.intel.model import STACKRIFT_NAMESPACE, TLP_BY_MARKING

_SHA256 = re.compile(r"file:hashes\.'SHA-256'\s*=\s*'([0-9a-fA-F]{64})'")


def _extension(obj: dict[str, Any]) -> dict[str, Any]:
    for ext in (obj.get("extensions") or {}).values():
        if isinstance(ext, dict) and "tlp" in ext:
            return ext
    return {}


def _vulnerability(obj: dict[str, Any]) -> Any:
    from pymisp import MISPObject

    misp = MISPObject("vulnerability", standalone=False)
    misp.uuid = str(uuid.uuid5(STACKRIFT_NAMESPACE, obj["id"]))
    ids = [r["external_id"] for r in obj.get("external_references", []) if "external_id" in r]
    for ref in ids or [obj["name"]]:
        misp.add_attribute("id", value=ref)
    if obj.get("description"):
        misp.add_attribute("summary", value=obj["description"])
    public_on = _extension(obj).get("public_on")
    if public_on:
        misp.add_attribute("published", value=public_on)
    return misp


def _software(obj: dict[str, Any]) -> Any:
    from pymisp import MISPObject

    misp = MISPObject("software", standalone=False)
    misp.uuid = str(uuid.uuid5(STACKRIFT_NAMESPACE, obj["id"]))
    misp.add_attribute("name", value=obj["name"])
    for key in ("version", "cpe", "vendor"):
        if obj.get(key):
            misp.add_attribute(key, value=obj[key])
    purl = _extension(obj).get("purl")
    if purl:  # the software template has no purl attribute
        misp.comment = f"purl: {purl}"
    return misp


def _file(obj: dict[str, Any], sha256: str) -> Any:
    from pymisp import MISPObject

    misp = MISPObject("file", standalone=False)
    misp.uuid = str(uuid.uuid5(STACKRIFT_NAMESPACE, obj["id"]))
    misp.add_attribute("sha256", value=sha256, to_ids=True)
    misp.comment = str(obj.get("name", ""))[:255]
    return misp


def misp_event(bundle: dict[str, Any], info: str, day: date) -> dict[str, Any]:
    """The MISP event (JSON-ready, ``{"Event": …}``) for the bundle's objects."""
    from pymisp import MISPEvent

    event = MISPEvent()
    event.uuid = str(uuid.uuid5(STACKRIFT_NAMESPACE, str(bundle.get("id"))))
    event.info = info
    event.set_date(day)
    event.distribution = 0  # this organisation only, until a person decides otherwise
    event.analysis = 2
    event.threat_level_id = 2
    levels = sorted({TLP_BY_MARKING[m] for o in bundle.get("objects", [])
                     for m in o.get("object_marking_refs") or () if m in TLP_BY_MARKING},
                    key=lambda level: level.rank)
    if levels:
        event.add_tag(f"tlp:{levels[-1].value}")
    for obj in bundle.get("objects", []):
        if obj["type"] == "vulnerability":
            event.add_object(_vulnerability(obj))
        elif obj["type"] == "software":
            event.add_object(_software(obj))
        elif obj["type"] == "indicator" and (found := _SHA256.search(str(obj.get("pattern")))):
            event.add_object(_file(obj, found.group(1)))
    document: dict[str, Any] = orjson.loads(event.to_json())
    # PyMISP stamps attributes and objects with the wall-clock time; they are dropped so that the
    # same bundle gives the same event (MISP sets them on import).
    _drop_timestamps(document)
    for misp_object in document.get("Object", []):
        for attribute in misp_object.get("Attribute", []):
            attribute["uuid"] = str(uuid.uuid5(STACKRIFT_NAMESPACE, "\x1f".join((
                misp_object["uuid"], attribute["object_relation"], str(attribute["value"])))))
    return {"Event": document}


def _drop_timestamps(value: Any) -> None:
    if isinstance(value, dict):
        value.pop("timestamp", None)
        for item in value.values():
            _drop_timestamps(item)
    elif isinstance(value, list):
        for item in value:
            _drop_timestamps(item)
