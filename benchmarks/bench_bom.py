"""Reading and schema-validating real CycloneDX SBOMs, against a bare parse and the reference
validator (cyclonedx-python-lib's JsonStrictValidator), all measured in this run.

Targets on the 2-core machine: juice-shop 1.4 (1.9 MB, 1,116 components) <= 1 s, keycloak
10.0.2 <= 0.5 s. The reference validator runs in a subprocess with a time budget because it
needs minutes on juice-shop.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from stackrift.bom.base import read_bom

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("STACKRIFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
FILES = {
    "juice-shop 1.4": (DATA / "cyclonedx/bom-examples/SBOM/juice-shop/via_npm/flat/bom.1.4.json",
                       1.0),
    "keycloak 10.0.2": (DATA / "cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json", 0.5),
}
REFERENCE_BUDGET = float(os.environ.get("STACKRIFT_BENCH_REFERENCE_BUDGET", "60"))
REFERENCE = """
import sys, time
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = open(sys.argv[1], encoding="utf-8").read()
validator = JsonStrictValidator(SchemaVersion.from_version(sys.argv[2]))
start = time.perf_counter()
error = validator.validate_str(text)
print(time.perf_counter() - start, error is None)
"""


def timings(runs: int, action: object) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def reference(path: Path, version: str, ours: float) -> str:
    try:
        done = subprocess.run([sys.executable, "-c", REFERENCE, str(path), version],
                              capture_output=True, text=True, timeout=REFERENCE_BUDGET,
                              check=True)
    except subprocess.TimeoutExpired:
        return (f"> {REFERENCE_BUDGET:.0f} s (stopped); ours is over "
                f"{REFERENCE_BUDGET / ours:.0f}x faster")
    seconds, valid = done.stdout.split()
    return (f"{float(seconds):.2f} s (valid={valid}); ours is "
            f"{float(seconds) / ours:.0f}x faster")


def main() -> int:
    if not DATA.is_dir():
        print(f"skipped: real corpora not found at {DATA}")
        return 0
    read_bom(FILES["keycloak 10.0.2"][0])  # compile the validators once, as a CLI run would
    failed = False
    for label, (path, target) in FILES.items():
        raw = path.read_bytes()
        version = json.loads(raw)["specVersion"]
        bare = min(timings(7, lambda raw=raw: json.loads(raw)))
        runs = timings(7, lambda path=path: read_bom(path))
        ours, median = min(runs), statistics.median(runs)
        ok = ours <= target
        failed |= not ok
        print(f"{label}: read+validate best {ours * 1000:.0f} ms of 7 (median "
              f"{median * 1000:.0f} ms; "
              f"target <= {target * 1000:.0f} ms: {'ok' if ok else 'MISSED'}); "
              f"bare json.loads {bare * 1000:.0f} ms; ratio {ours / bare:.1f}x", flush=True)
        print(f"{label}: reference validator {reference(path, version, ours)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    # No sys.exit: benchmarks/run.py runs every script in one process.
    main()
