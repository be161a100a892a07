"""Transfers engine throughput: verdicts for generated estates of 100, 500 and 2,000 flows.

Prints flows per second and the ratio to a baseline measured in the same run (a trivial loop
building each flow's facts), so the figure is comparable across machines.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from stackrift.estate.model import Estate
from stackrift.rules.engine import evaluate_estate, load_rule_set
from stackrift.rules.facts import EstateIndex, flow_facts

COUNTRIES = ["CN", "US", "DE", "FR", "SG", "JP", "GB", "RU", "IN", "VN", "SA", "BR"]
CATEGORIES = ["personal", "sensitive_personal", "employee_hr", "covered_personal_identifiers",
              "precise_geolocation", "health", "financial", "important_data", "non_personal"]
KINDS = ["intra_group", "vendor_agreement", "data_brokerage", "contract_with_individual"]


def generate(flows: int, seed: int = 7) -> Estate:
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
    data_flows = []
    for i in range(flows):
        source = rng.choice(sites)
        target = rng.choice(sites + [{"id": e["id"]} for e in entities if e["id"].startswith("v")])
        data_flows.append({
            "id": f"f{i}", "from": source["id"], "to": target["id"],
            "data_categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
            "subjects": rng.choice([50, 5_000, 90_000, 150_000, 1_200_000]),
            "devices": rng.choice([None, 500, 5_000]),
            "subjects_countries": [source["country"]], "transfer_kind": rng.choice(KINDS),
            "start": f"2026-0{rng.randint(1, 9)}-01"})
    return Estate.model_validate({"organisation": {"name": "Bench", "hq_country": "US"},
                                  "entities": entities, "sites": sites, "data_flows": data_flows})


def main() -> None:
    rules = load_rule_set()
    as_of = date(2026, 11, 29)
    for size in (100, 500, 2_000):
        estate = generate(size)
        start = time.perf_counter()
        index = EstateIndex(estate)
        for flow in estate.data_flows:
            flow_facts(index, flow)
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        verdicts = evaluate_estate(estate, as_of, rules)
        elapsed = time.perf_counter() - start
        assert len(verdicts) == size
        print(f"{size:>5} flows: {elapsed:6.2f} s, {size / elapsed:8.0f} flows/s, "
              f"{elapsed / baseline:6.1f}x the facts-only baseline ({baseline:.3f} s)")


if __name__ == "__main__":
    main()
