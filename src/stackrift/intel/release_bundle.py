"""Release one bundle to one destination: the releasable bundle and the record of why.

The record lists, for every object, what was kept, transformed, removed or withheld, by which
rules, and which facts were missing when a rule was applied because it could not be decided. It
cites every rule it names (instrument, section, URL, date checked, in-force dates, confidence).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from stackrift.intel.release import (
    DISCLAIMER,
    KNOWN_TYPES,
    Decision,
    Destination,
    LoadedRelease,
    cite,
    decide,
    object_facts,
    object_rules,
    personal_properties,
    property_rules,
    transform_property,
)
from stackrift.intel.release_model import Action
from stackrift.intel.stix_out import bundle_of

_REF_KEYS = ("source_ref", "target_ref", "sighting_of_ref")


@dataclass(frozen=True)
class ReleaseOutcome:
    """The releasable bundle and the release record."""

    bundle: dict[str, Any]
    record: dict[str, Any]


def _entry(obj: dict[str, Any], decision: Decision) -> dict[str, Any]:
    return {"id": obj["id"], "type": obj["type"], "action": decision.action.value,
            "rules": sorted(decision.rules), "held_by_undetermined": sorted(
                decision.held_by_missing), "missing_facts": sorted(decision.missing_facts),
            "trace": decision.trace, "properties": []}


def _release_object(obj: dict[str, Any], destination: Destination, rules: LoadedRelease
                    ) -> tuple[dict[str, Any] | None, dict[str, Any], set[str]]:
    facts = {**destination.facts(), **object_facts(obj, destination.as_of)}
    decision = decide(rules, object_rules(rules, obj["type"]), facts, destination.as_of)
    if obj["type"] not in KNOWN_TYPES and not decision.rules:
        decision.action = Action.WITHHOLD
        decision.trace.append(f"no release rule covers type '{obj['type']}': withheld "
                              "(fail closed)")
    entry = _entry(obj, decision)
    cited = set(decision.rules) | set(decision.held_by_missing)
    if decision.action is Action.WITHHOLD:
        return None, entry, cited
    released = copy.deepcopy(obj)
    for prop, kind in personal_properties(obj):
        prop_decision = decide(rules, property_rules(rules, kind),
                               {**facts, "property_kind": kind.value}, destination.as_of)
        cited |= set(prop_decision.rules) | set(prop_decision.held_by_missing)
        stands = transform_property(released, prop, prop_decision)
        entry["properties"].append({
            "property": prop, "kind": kind.value, "action": prop_decision.action.value,
            "transform": prop_decision.transform, "rules": sorted(prop_decision.rules),
            "held_by_undetermined": sorted(prop_decision.held_by_missing),
            "missing_facts": sorted(prop_decision.missing_facts)})
        if not stands:
            entry["action"] = Action.WITHHOLD.value
            entry["trace"].append(f"'{prop}' was removed and the object cannot stand without it")
            return None, entry, cited
    if any(p["action"] != Action.KEEP.value for p in entry["properties"]):
        entry["action"] = Action.TRANSFORM.value
    return released, entry, cited


def _drop_dangling(kept: dict[str, dict[str, Any]], entries: dict[str, dict[str, Any]]) -> None:
    """Relationships and sightings that point at a withheld object go too (repeat: a dropped
    relationship may itself be referenced)."""
    changed = True
    while changed:
        changed = False
        for object_id, obj in list(kept.items()):
            missing = [obj[k] for k in _REF_KEYS if k in obj and obj[k] not in kept]
            if missing:
                del kept[object_id]
                entries[object_id]["action"] = Action.WITHHOLD.value
                entries[object_id]["trace"].append(
                    f"refers to {', '.join(missing)}, withheld or not in the bundle")
                changed = True


_DEFINITIONS = ("marking-definition", "identity", "extension-definition")


def _drop_unused(kept: dict[str, dict[str, Any]], entries: dict[str, dict[str, Any]]) -> None:
    """Markings, extensions and identities no released content object uses go too."""
    content = [o for o in kept.values() if o["type"] not in _DEFINITIONS]
    used = {m for o in content for m in o.get("object_marking_refs") or ()}
    used |= {o.get("created_by_ref") for o in content} - {None}
    used |= {name for o in content for name in o.get("extensions") or ()}
    used |= {o.get("created_by_ref") for o in kept.values()
             if o["type"] == "extension-definition" and o["id"] in used} - {None}
    for object_id in [i for i, o in kept.items() if o["type"] in _DEFINITIONS and i not in used]:
        del kept[object_id]
        entries[object_id]["action"] = Action.WITHHOLD.value
        entries[object_id]["trace"].append("no released object refers to it")


def release(bundle: dict[str, Any], destination: Destination, rules: LoadedRelease,
            source: str = "") -> ReleaseOutcome:
    """Decide every object of ``bundle`` for ``destination``."""
    kept: dict[str, dict[str, Any]] = {}
    entries: dict[str, dict[str, Any]] = {}
    cited: set[str] = set()
    for obj in bundle.get("objects", []):
        released, entry, rule_ids = _release_object(obj, destination, rules)
        entries[obj["id"]] = entry
        cited |= rule_ids
        if released is not None:
            kept[obj["id"]] = released
    _drop_dangling(kept, entries)
    _drop_unused(kept, entries)
    counts = {a.value: sum(1 for e in entries.values() if e["action"] == a.value) for a in Action}
    record = {
        "kind": "stackrift-release-record", "version": 1, "source": source,
        "source_bundle": bundle.get("id"), "as_of": destination.as_of.isoformat(),
        "from": destination.origin_country, "to": destination.destination_country,
        "facts": dict(sorted(destination.facts().items())),
        "unknown_facts": sorted(k for k in ("recipient_in_group", "recipient_in_community",
                                            "recipient_is_product_provider", "transfer_lawful")
                                if k not in destination.facts()),
        "counts": counts, "objects": [entries[i] for i in sorted(entries)],
        "rules": cite(rules, cited), "disclaimer": DISCLAIMER}
    return ReleaseOutcome(bundle_of(kept.values()), record)
