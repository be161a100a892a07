"""Transfers benchmark: ``stackrift transfers`` on a generated estate of 2,000 data flows.

The whole command runs in fresh processes, its output discarded, in rounds with its floor
(``harness.measure_interleaved``): a fresh process that parses the same estate file, validates it
and builds every flow's facts, the work any verdict needs before a rule is tested. Targets:
2,000 flows within 1 s of CPU for the whole command, and at most 3x the floor's CPU and wall.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from harness import check_limit, check_ratio, measure_interleaved, python, stackrift

FLOWS = 2_000
CPU_LIMIT_S = 1.0
FLOOR_RATIO = 3.0
AS_OF = "2026-11-29"
COUNTRIES = ["CN", "US", "DE", "FR", "SG", "JP", "GB", "RU", "IN", "VN", "SA", "BR"]
CATEGORIES = ["personal", "sensitive_personal", "employee_hr", "covered_personal_identifiers",
              "precise_geolocation", "health", "financial", "important_data", "non_personal"]
KINDS = ["intra_group", "vendor_agreement", "data_brokerage", "contract_with_individual"]


def generate(flows: int, seed: int = 7) -> dict[str, Any]:
    """A deterministic estate: 36 group entities and vendors over 12 countries, one site each."""
    rng = random.Random(seed)
    entities: list[dict[str, Any]] = [{"id": "hq", "name": "HQ", "country": "US"}]
    sites: list[dict[str, Any]] = []
    for i, country in enumerate(COUNTRIES * 3):
        entities.append({"id": f"e{i}", "name": f"Entity {i}", "country": country,
                         "parent": "hq", "ownership_pct": rng.choice([51, 100]),
                         "ciio": country == "CN" and rng.random() < 0.3})
        entities.append({"id": f"v{i}", "name": f"Vendor {i}", "country": country,
                         "relationship": "vendor", "dpf_certified": rng.random() < 0.5})
        sites.append({"id": f"s{i}", "name": f"Site {i}", "kind": "cloud_region",
                      "country": country, "provider": "Amazon Web Services", "entity": f"e{i}"})
    vendors = [e["id"] for e in entities if e["id"].startswith("v")]
    data_flows = []
    for i in range(flows):
        source = rng.choice(sites)
        data_flows.append({
            "id": f"f{i}", "from": source["id"],
            "to": rng.choice([s["id"] for s in sites] + vendors),
            "data_categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
            "subjects": rng.choice([50, 5_000, 90_000, 150_000, 1_200_000]),
            "devices": rng.choice([None, 500, 5_000]),
            "subjects_countries": [source["country"]], "transfer_kind": rng.choice(KINDS),
            "start": f"2026-0{rng.randint(1, 9)}-01"})
    return {"schema_version": 1, "organisation": {"name": "Bench", "hq_country": "US"},
            "entities": entities, "sites": sites, "data_flows": data_flows}


def floor(path: Path) -> int:
    """Parse and validate the estate, then build every flow's facts (no rule is tested), with
    the collector paused as the command pauses it (else the floor pays passes the command
    does not)."""
    from stackrift.gcpause import paused_gc

    with paused_gc():
        from stackrift.estate.loader import load_estate
        from stackrift.rules.engine import packaged_provider_countries
        from stackrift.rules.facts import EstateIndex

        estate = load_estate(path, locate_now=False).estate
        index = EstateIndex(estate, packaged_provider_countries())
        built = [index.flow_facts(flow) for flow in estate.data_flows]
    return 0 if len(built) == len(estate.data_flows) else 1


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"estate-{FLOWS}-flows.yaml"
        path.write_text(yaml.safe_dump(generate(FLOWS), sort_keys=False))
        print(f"{FLOWS} flows:", flush=True)
        # transfers exits 1 when a flow is prohibited or undetermined: that is its answer here
        base, command = measure_interleaved(
            [("floor: parse, validate, flow facts",
              python(str(Path(__file__).resolve()), "--floor", str(path)), (0,)),
             (f"stackrift transfers, {FLOWS} flows",
              stackrift("transfers", str(path), "--as-of", AS_OF, "-f", "json"), (0, 1))])
    check_limit(f"transfers {FLOWS:,} flows within {CPU_LIMIT_S:g} s CPU (whole command)",
                "cpu_s", command.median("cpu_s"), CPU_LIMIT_S)
    check_ratio(f"transfers {FLOWS:,} flows within {FLOOR_RATIO:g}x its floor", command, base,
                FLOOR_RATIO)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--floor":
        sys.exit(floor(Path(sys.argv[2])))
    sys.exit(main())
