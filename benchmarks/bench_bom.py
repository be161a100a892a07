"""``stackrift bom`` on real and generated SBOMs, whole command in fresh processes.

1. Two real SBOMs (juice-shop 1.4: 1.9 MB, 1,115 components; keycloak 10.0.2: 903 components):
   the whole ``stackrift bom`` command (start-up, catalogue, read and schema-validate, provenance,
   write and self-validate CycloneDX), with the floor of a fresh interpreter parsing the same file
   with orjson. Figures only: the targets are those of the scaled run.
2. Provenance at scale: ``stackrift bom`` on SBOMs of 1,000, 10,000 and 50,000 components built
   from the real components of the CycloneDX example SBOMs and AI-BOMs in ``../shared/data``
   (npm, Maven, Composer and Go packages, Hugging Face models), with catalogued PyPI packages,
   CPE-named runtimes and fine-tuned models with base-model ancestors mixed in. Targets: 10,000
   components <= 2 s for the whole command (wall and CPU, each checked); growth linear (the 50,000
   run <= 5.5x the 10,000 run, wall and CPU); floor, printed beside each: orjson parsing the same
   SBOM in a fresh interpreter.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import check_limit, check_ratio, measure, python, shared_data, stackrift

EXAMPLES = "cyclonedx/bom-examples/SBOM"
REAL = {
    "juice-shop 1.4": f"{EXAMPLES}/juice-shop/via_npm/flat/bom.1.4.json",
    "keycloak 10.0.2": f"{EXAMPLES}/keycloak-10.0.2/bom.json",
}
SOURCES = [
    f"{EXAMPLES}/juice-shop/via_npm/flat/bom.1.4.json",
    f"{EXAMPLES}/keycloak-10.0.2/bom.json",
    f"{EXAMPLES}/protonmail-webclient-v4-0912dff/bom.json",
    f"{EXAMPLES}/dropwizard-1.3.15/bom.json",
    f"{EXAMPLES}/laravel-7.12.0/bom.1.4.json",
    f"{EXAMPLES}/proton-bridge/proton-bridge-v1.8.0.bom.json",
    f"{EXAMPLES}/cern-lhc-vdm-editor-e564943/bom.json",
]
SIZES = (1_000, 10_000, 50_000)
LIMIT_10K_S = 2.0
LINEAR_LIMIT = 5.5  # 5x the components; 0.5x for fixed start-up costs shrinking in proportion
KEPT = ("type", "group", "name", "version", "purl", "description")
CATALOGUED = [  # (type, name, purl, cpe): packages and runtimes the catalogue knows
    ("framework", "torch", "pkg:pypi/torch@2.3.1", None),
    ("framework", "vllm", "pkg:pypi/vllm@0.6.0", None),
    ("library", "transformers", "pkg:pypi/transformers@4.44.0", None),
    ("framework", "mindspore", "pkg:pypi/mindspore@2.3.0", None),
    ("framework", "paddlepaddle", "pkg:pypi/paddlepaddle@2.6.1", None),
    ("platform", "cuda", None, "cpe:2.3:a:nvidia:cuda_toolkit:12.1:*:*:*:*:*:*:*"),
]
BASES = ["Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B", "deepseek-ai/DeepSeek-V3",
         "BAAI/bge-m3", "mistralai/Mistral-7B-v0.1"]
FLOOR = "import orjson, sys; orjson.loads(open(sys.argv[1], 'rb').read())"


def _real_components(data: Path) -> list[dict[str, Any]]:
    """Top-level components of the real SBOMs and AI-BOMs, reduced to fields every version has."""
    pool: list[dict[str, Any]] = []
    for relative in SOURCES:
        for node in json.loads((data / relative).read_text(encoding="utf-8"))["components"]:
            pool.append({k: node[k] for k in KEPT if isinstance(node.get(k), str)})
    for path in sorted((data / "aibom/examples").glob("*.json")):
        for node in json.loads(path.read_text(encoding="utf-8"))["components"]:
            if node.get("type") in ("machine-learning-model", "data"):
                pool.append({k: node[k] for k in KEPT if isinstance(node.get(k), str)})
    return pool


def _ai_component(index: int) -> dict[str, Any]:
    """Every 20th component: a catalogued package or runtime, or a fine-tune with an ancestor."""
    slot = index // 20
    if slot % 3:
        kind, name, purl, cpe = CATALOGUED[slot % len(CATALOGUED)]
        node: dict[str, Any] = {"type": kind, "name": name, "version": "1"}
        node.update({"purl": purl} if purl else {"cpe": cpe})
        return node
    base = BASES[slot % len(BASES)]
    return {"type": "machine-learning-model", "name": f"acme/finetune-{index}", "version": "1",
            "supplier": {"name": "Acme Analytics"},
            "pedigree": {"ancestors": [{"type": "machine-learning-model", "name": base,
                                        "bom-ref": f"base-{index}"}]}}


def generate(data: Path, size: int, target: Path) -> Path:
    """A CycloneDX 1.5 SBOM of ``size`` components drawn from the real corpora."""
    pool = _real_components(data)
    components = []
    for index in range(size):
        node = _ai_component(index) if index % 20 == 19 else copy.copy(pool[index % len(pool)])
        node["bom-ref"] = f"c{index}"
        components.append(node)
    target.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                                  "components": components}), encoding="utf-8")
    return target


def _real(data: Path) -> None:
    for label, relative in REAL.items():
        path = data / relative
        ours = measure(f"stackrift bom {label}", stackrift("bom", str(path)))
        floor = measure(f"orjson parse {label}", python("-c", FLOOR, str(path)))
        print(f"  ratio to the orjson floor: wall "
              f"{ours.median('wall_s') / floor.median('wall_s'):.1f}x", flush=True)


def _scaled(data: Path, folder: Path) -> None:
    timed = {}
    for size in SIZES:
        path = generate(data, size, folder / f"sbom-{size}.cdx.json")
        runs = 3 if size > 10_000 else 5
        timed[size] = measure(f"stackrift bom {size:,} components",
                              stackrift("bom", str(path)), runs=runs)
        floor = measure(f"orjson parse {size:,}", python("-c", FLOOR, str(path)), runs=runs)
        print(f"  ratio to the orjson floor: wall "
              f"{timed[size].median('wall_s') / floor.median('wall_s'):.1f}x", flush=True)
    for metric in ("wall_s", "cpu_s"):
        check_limit("bom 10,000 components whole command", metric,
                    timed[10_000].median(metric), LIMIT_10K_S)
    check_ratio("bom linear growth (50,000 vs 10,000 components)", timed[50_000],
                timed[10_000], LINEAR_LIMIT)


def main() -> int:
    data = shared_data()
    if data is None:
        return 1
    _real(data)
    with tempfile.TemporaryDirectory() as folder:
        _scaled(data, Path(folder))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3:  # bench_bom.py SIZE OUT: only write a generated SBOM
        found = shared_data()
        if found is None:
            sys.exit(1)
        generate(found, int(sys.argv[1]), Path(sys.argv[2]))
        sys.exit(0)
    sys.exit(main())
