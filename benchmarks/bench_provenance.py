"""Provenance and hygiene on a large synthetic estate.

Figure: seconds for both analyses on 2,000 components (600 models in base-model chains of 20, some
merges), 300 systems and 40 sites. Baseline, measured in the same run: resolving each component
once against a fresh catalogue (the least work any provenance analysis must do). Target: the
analyses stay within 25x the baseline and under 10 s.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.hygiene import HygieneAnalysis
from stackrift.analyses.provenance import ProvenanceAnalysis
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate

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


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "estate.yaml"
        path.write_text(yaml.safe_dump(build_estate()), encoding="utf-8")
        loaded = load_estate(path)

    baseline_catalogue = load_catalogue(
        Path(__file__).resolve().parents[1] / "src" / "stackrift" / "catalog" / "data"
    )
    start = time.perf_counter()
    for component in loaded.estate.components:
        baseline_catalogue.resolve(component)
    baseline = time.perf_counter() - start

    context = AnalysisContext(
        as_of=date(2026, 11, 20),
        catalogue=load_catalogue(
            Path(__file__).resolve().parents[1] / "src" / "stackrift" / "catalog" / "data"
        ),
    )
    start = time.perf_counter()
    provenance = ProvenanceAnalysis().run(loaded, context)
    hygiene = HygieneAnalysis().run(loaded, context)
    elapsed = time.perf_counter() - start

    print(f"components: {len(loaded.estate.components)}, systems: {len(loaded.estate.systems)}")
    print(f"findings: provenance {len(provenance.findings)}, hygiene {len(hygiene.findings)}")
    print(f"baseline (resolve each component once): {baseline:.3f} s")
    print(
        f"provenance + hygiene: {elapsed:.3f} s  ({elapsed / baseline:.1f}x baseline; "
        "target <= 25x and < 10 s)"
    )


if __name__ == "__main__":
    main()
