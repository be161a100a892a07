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
    {"id": "hk-vendor", "name": "HK Vendor", "country": "HK", "relationship": "vendor"},
    {"id": "ru-vendor", "name": "Moscow Vendor", "country": "RU", "relationship": "vendor"},
    {"id": "sg-buyer", "name": "SG Buyer", "country": "SG", "relationship": "vendor"},
    {"id": "sg-quarter", "name": "SG Partner", "country": "SG", "relationship": "partner",
     "other_owners": [{"name": "PRC Fund", "country": "CN", "percent": 25}]},
    {"id": "us-broker", "name": "US Broker", "country": "US", "relationship": "vendor",
     "data_broker": True},
    {"id": "jp-vendor", "name": "Tokyo KK", "country": "JP", "relationship": "vendor"},
    {"id": "gb-vendor", "name": "London Ltd", "country": "GB", "relationship": "vendor"},
    {"id": "br-vendor", "name": "Sao Paulo Ltda", "country": "BR", "relationship": "vendor"},
    {"id": "ch-vendor", "name": "Zurich AG", "country": "CH", "relationship": "vendor"},
    {"id": "ca-vendor", "name": "Toronto Inc.", "country": "CA", "relationship": "vendor"},
    {"id": "fr-sub", "name": "SAS", "country": "FR", "parent": "us-hq", "ownership_pct": 100},
    {"id": "vn-co", "name": "Hanoi JSC", "country": "VN", "relationship": "partner"},
]
BASE_SITES: list[dict[str, Any]] = [
    {"id": "cn-dc", "name": "Shanghai DC", "kind": "on_prem", "country": "CN", "entity": "cn-sub"},
    {"id": "jv-dc", "name": "Hangzhou DC", "kind": "on_prem", "country": "CN", "entity": "cn-ciio"},
    {"id": "us-dc", "name": "Virginia DC", "kind": "on_prem", "country": "US", "entity": "us-hq"},
    {"id": "de-dc", "name": "Frankfurt DC", "kind": "on_prem", "country": "DE", "entity": "de-sub"},
    {"id": "fr-dc", "name": "Paris DC", "kind": "on_prem", "country": "FR", "entity": "fr-sub"},
    {"id": "ru-dc", "name": "Moscow DC", "kind": "on_prem", "country": "RU"},
    {"id": "in-dc", "name": "Mumbai DC", "kind": "on_prem", "country": "IN"},
    {"id": "vn-dc", "name": "Hanoi DC", "kind": "on_prem", "country": "VN", "entity": "vn-co"},
    {"id": "sa-dc", "name": "Riyadh DC", "kind": "on_prem", "country": "SA"},
    {"id": "sg-dc", "name": "Singapore DC", "kind": "on_prem", "country": "SG"},
]


def flow(flow_id: str, source: str, destination: str, categories: list[str], **extra: Any
         ) -> dict[str, Any]:
    return {"id": flow_id, "from": source, "to": destination, "data_categories": categories,
            **extra}


def estate(*flows: dict[str, Any], entities: list[dict[str, Any]] | None = None,
           sites: list[dict[str, Any]] | None = None,
           systems: list[dict[str, Any]] | None = None,
           components: list[dict[str, Any]] | None = None) -> Estate:
    return Estate.model_validate({
        "organisation": {"name": "Test Group", "hq_country": "US"},
        "entities": BASE_ENTITIES + (entities or []),
        "sites": BASE_SITES + (sites or []),
        "systems": systems or [],
        "components": components or [],
        "data_flows": list(flows),
    })
