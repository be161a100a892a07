"""Advisory import and scan throughput on the real corpora.

1. Import ``../shared/data/cnvd``, ``osv-pypa`` and ``osv-go`` into a fresh store. Baseline,
   measured in the same run: a bare parse of the same files (gunzip + lxml for CNVD, libyaml for
   PyPA, orjson for Go) that builds no records and writes nothing. Target: import <= 2 x bare.
2. Scan a generated 10,000-component CycloneDX SBOM against that store (reading the SBOM
   included; one component in five names a package with advisories). Target: <= 1 s wall.

Every measurement runs in a fresh interpreter (no cache warmed by an earlier one), bare parse and
import alternate, and each is repeated: the best time of each is reported, as ``timeit`` does,
because a shared machine's speed drifts between runs. Every run's figure is printed as well.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(os.environ.get("STACKRIFT_SHARED_DATA",
                           Path(__file__).resolve().parents[1].parent / "shared" / "data"))
FEEDS = [DATA / "cnvd", DATA / "osv-pypa", DATA / "osv-go"]
IMPORT_RUNS = 3
SCAN_RUNS = 5


def bare_parse() -> int:
    import orjson
    import yaml
    from lxml import etree

    count = 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for path in sorted((DATA / "cnvd").glob("*.xml.gz")):
        root = etree.fromstring(gzip.decompress(path.read_bytes()), parser)
        for element in root:
            count += len({child.tag: child.text for child in element})
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted((DATA / "osv-pypa").rglob("*.yaml")):
        count += len(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))
    for path in sorted((DATA / "osv-go").glob("*.json")):
        count += len(orjson.loads(path.read_bytes()))
    return count


def generated_sbom(db: Path, folder: Path, size: int = 10_000) -> Path:
    """One component in five is a package the store has advisories for (at an old version, so
    most of them match); the rest are packages no advisory names, as in a typical SBOM."""
    from stackrift.advisories.store import SqliteStore

    with SqliteStore(db) as store:
        rows = store.db.execute(
            "SELECT DISTINCT ecosystem, name FROM packages ORDER BY name").fetchall()
    components = []
    for index in range(size):
        if index % 5 == 0 and rows:
            ecosystem, name = rows[index // 5 % len(rows)]
            kind = "pypi" if ecosystem == "PyPI" else "golang"
            version = "1.0.0" if index % 4 else "0.1.0"
            purl = f"pkg:{kind}/{name}@{version}"
        else:
            name, version = f"internal-lib-{index}", "1.0.0"
            purl = f"pkg:pypi/{name}@{version}"
        components.append({"type": "library", "bom-ref": f"c{index}", "name": name,
                           "version": version, "purl": purl})
    path = folder / "sbom-10k.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "components": components}), encoding="utf-8")
    return path


# -- one measurement, in this (fresh) interpreter --------------------------------------------------

def measure(phase: str, args: list[str]) -> dict[str, float]:
    if phase == "bare":
        start = time.perf_counter()
        bare_parse()
        return {"seconds": time.perf_counter() - start}
    if phase == "import":
        from stackrift.advisories.importer import import_paths
        from stackrift.advisories.store import SqliteStore

        with SqliteStore(Path(args[0])) as store:
            start = time.perf_counter()
            report = import_paths(store, FEEDS)
            seconds = time.perf_counter() - start
        return {"seconds": seconds, "records": sum(s.read for s in report.sources.values())}
    # scan: the modules a scan needs beyond these are imported inside the timed region
    import stackrift.advisories.store  # noqa: F401  (imported before timing, as before)
    from stackrift.analyses.vulnerabilities import run_scan
    from stackrift.bom.base import read_bom

    start = time.perf_counter()
    result = run_scan(read_bom(Path(args[1])), db=Path(args[0]), catalogue=None)
    return {"seconds": time.perf_counter() - start, "targets": result.targets,
            "findings": len(result.matches)}


def fresh(phase: str, *args: str) -> dict[str, float]:
    """Run one measurement in a new interpreter and return what it reports."""
    output = subprocess.run([sys.executable, __file__, "--measure", phase, *args], check=True,
                            capture_output=True, text=True).stdout
    return dict(json.loads(output.splitlines()[-1]))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3:])))
        return 0
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        bare_runs: list[float] = []
        import_runs: list[float] = []
        records = 0
        for run in range(IMPORT_RUNS):
            bare_runs.append(fresh("bare")["seconds"])
            imported = fresh("import", str(Path(tmp) / f"bench-{run}.sqlite"))
            import_runs.append(imported["seconds"])
            records = int(imported["records"])
            print(f"run {run + 1}: bare parse {bare_runs[-1]:.2f} s, import "
                  f"{import_runs[-1]:.2f} s", flush=True)
        bare, imported_best = min(bare_runs), min(import_runs)
        print(f"bare parse: {bare:.2f} s (best of {IMPORT_RUNS})")
        print(f"import: {imported_best:.2f} s (best of {IMPORT_RUNS}), "
              f"{records / imported_best:,.0f} records/s, {imported_best / bare:.2f} x bare parse "
              "(target <= 2.0)")
        db = Path(tmp) / "bench-0.sqlite"
        sbom = generated_sbom(db, Path(tmp))
        scans = [fresh("scan", str(db), str(sbom)) for _ in range(SCAN_RUNS)]
        times = [s["seconds"] for s in scans]
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"scan of {int(scans[0]['targets']):,} components: {min(times):.2f} s wall (best of "
              f"{SCAN_RUNS}; runs {runs}), {int(scans[0]['findings']):,} findings "
              "(target <= 1.0 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
