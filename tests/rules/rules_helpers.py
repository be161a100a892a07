"""Small estates built in code for rule-engine tests."""

from __future__ import annotations

from typing import Any

from stackrift.estate.model import Estate

BASE_ENTITIES: list[dict[str, Any]] = [
    {"id": "us-hq", "name": "HQ Inc.", "country": "US"},
    {"id": "cn-sub", "name": "Sub (Shanghai)", "country": "CN", "parent": "us-hq",
     "ownership_pct": 100},
    {"id": "cn-ciio", "name": "CIIO JV", "country": "CN", "parent": "us-hq", "ownership_pct": 51,
     "ciio": True},
    {"id": "de-sub", "name": "GmbH", "country": "DE", "parent": "us-hq", "ownership_pct": 100},
    {"id": "us-dpf", "name": "Certified LLC", "country": "US", "relationship": "vendor",
     "dpf_certified": True},
    {"id": "us-plain", "name": "Uncertified Inc.", "country": "US", "relationship": "vendor"},
    {"id": "cn-vendor", "name": "Hangzhou Vendor", "country": "CN", "relationship": "vendor"},
]
BASE_SITES: list[dict[str, Any]] = [
    {"id": "cn-dc", "name": "Shanghai DC", "kind": "on_prem", "country": "CN", "entity": "cn-sub"},
    {"id": "jv-dc", "name": "Hangzhou DC", "kind": "on_prem", "country": "CN", "entity": "cn-ciio"},
    {"id": "us-dc", "name": "Virginia DC", "kind": "on_prem", "country": "US", "entity": "us-hq"},
    {"id": "de-dc", "name": "Frankfurt DC", "kind": "on_prem", "country": "DE", "entity": "de-sub"},
]


def flow(flow_id: str, source: str, destination: str, categories: list[str], **extra: Any
         ) -> dict[str, Any]:
    return {"id": flow_id, "from": source, "to": destination, "data_categories": categories,
            **extra}


def estate(*flows: dict[str, Any], entities: list[dict[str, Any]] | None = None,
           sites: list[dict[str, Any]] | None = None,
           systems: list[dict[str, Any]] | None = None) -> Estate:
    return Estate.model_validate({
        "organisation": {"name": "Test Group", "hq_country": "US"},
        "entities": BASE_ENTITIES + (entities or []),
        "sites": BASE_SITES + (sites or []),
        "systems": systems or [],
        "data_flows": list(flows),
    })
