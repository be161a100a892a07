"""Provenance and hygiene on a large synthetic estate, whole command in fresh processes.

The estate: 2,000 components (700 framework packages by purl, 700 accelerators by vendor and
product name, 600 models in base-model chains of 20 with some merges), 300 systems and 40 sites.
Measured: ``stackrift assess ESTATE -a provenance -a hygiene -f json`` (start-up, estate and
catalogue loading, both analyses, the JSON report). Floor, in the same run: a fresh interpreter
that loads the same estate and catalogue and resolves each component once (the least any
provenance analysis must do). Targets: the command within 4x the floor and under 5 s (wall and
CPU each). Needs no corpora: the estate is generated.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from harness import check_limit, check_ratio, measure, python, stackrift

PACKAGES = ["torch", "tensorflow", "vllm", "transformers", "paddlepaddle", "mindspore", "ray"]
VENDORS = [
    ("NVIDIA", "H100"),
    ("Huawei", "Ascend 910B"),
    ("AMD", "MI300X"),
    ("Cambricon", "MLU370"),
]
ORGS = ["Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B", "deepseek-ai/DeepSeek-V3", "BAAI/bge-m3"]


def build_estate() -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    for i in range(700):
        name = PACKAGES[i % len(PACKAGES)]
        components.append(
            {"id": f"lib{i}", "type": "framework", "name": name, "purl": f"pkg:pypi/{name}@1.{i}"}
        )
    for i in range(700):
        vendor, product = VENDORS[i % len(VENDORS)]
        components.append(
            {
                "id": f"hw{i}",
                "type": "accelerator",
                "name": product,
                "vendor": vendor,
                "product": product,
            }
        )
    for i in range(600):
        record: dict[str, Any] = {
            "id": f"m{i}",
            "type": "model",
            "name": f"m{i}",
            "supplier_country": "US",
        }
        if i % 20 == 19:
            record["hf_id"] = ORGS[(i // 20) % len(ORGS)]
        else:
            record["base_models"] = [f"m{i + 1}"] + ([ORGS[3]] if i % 50 == 0 else [])
            record["base_model_relation"] = "merge" if i % 50 == 0 else "finetune"
        components.append(record)
    sites = [
        {
            "id": f"s{i}",
            "name": f"s{i}",
            "kind": "cloud_region",
            "provider": "Amazon Web Services",
            "region": "us-east-1",
            "country": "US",
        }
        for i in range(40)
    ]
    systems = [
        {
            "id": f"sys{i}",
            "name": f"sys{i}",
            "purpose": "p",
            "site": f"s{i % 40}",
            "components": [f"lib{i}", f"hw{i}", f"m{i % 600}"],
        }
        for i in range(300)
    ]
    return {
        "organisation": {"name": "Bench", "hq_country": "US"},
        "sites": sites,
        "components": components,
        "systems": systems,
    }


LIMIT_S = 5.0
FLOOR_RATIO = 4.0
FLOOR = """
import sys
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
catalogue = load_catalogue()
for component in load_estate(sys.argv[1]).estate.components:
    catalogue.resolve(component)
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "estate.yaml"
        path.write_text(yaml.safe_dump(build_estate()), encoding="utf-8")
        command = stackrift("assess", str(path), "-a", "provenance", "-a", "hygiene",
                            "-f", "json", "--as-of", "2026-11-20", "--fail-on", "critical")
        ours = measure("stackrift assess -a provenance -a hygiene (2,000 components)", command,
                       ok_codes=(0, 1))
        floor = measure("load estate and catalogue, resolve each component once",
                        python("-c", FLOOR, str(path)))
    check_ratio("provenance + hygiene vs resolving each component once", ours, floor,
                FLOOR_RATIO)
    for metric in ("wall_s", "cpu_s"):
        check_limit("provenance + hygiene on 2,000 components", metric, ours.median(metric),
                    LIMIT_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
