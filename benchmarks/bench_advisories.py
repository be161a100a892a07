"""Advisory import and scan throughput on the real corpora.

1. Import ``../shared/data/cnvd``, ``osv-pypa`` and ``osv-go`` into a fresh store. Baseline,
   measured in the same run: a bare parse of the same files (gunzip + lxml for CNVD, libyaml for
   PyPA, orjson for Go) that builds no records and writes nothing. Target: import <= 2 x bare.
2. Scan a generated 10,000-component CycloneDX SBOM against that store (reading the SBOM
   included; one component in five names a package with advisories). Target: <= 1 s wall.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
import yaml
from lxml import etree

from stackrift.advisories.importer import import_paths
from stackrift.advisories.store import SqliteStore
from stackrift.analyses.vulnerabilities import run_scan
from stackrift.bom.base import read_bom

DATA = Path(os.environ.get("STACKRIFT_SHARED_DATA",
                           Path(__file__).resolve().parents[1].parent / "shared" / "data"))
FEEDS = [DATA / "cnvd", DATA / "osv-pypa", DATA / "osv-go"]


def bare_parse() -> int:
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


def generated_sbom(store: SqliteStore, folder: Path, size: int = 10_000) -> Path:
    """One component in five is a package the store has advisories for (at an old version, so
    most of them match); the rest are packages no advisory names, as in a typical SBOM."""
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


def main() -> int:
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    start = time.perf_counter()
    bare_parse()
    bare = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        with SqliteStore(Path(tmp) / "bench.sqlite") as store:
            start = time.perf_counter()
            report = import_paths(store, FEEDS)
            imported = time.perf_counter() - start
            records = sum(s.read for s in report.sources.values())
            print(f"bare parse: {bare:.2f} s")
            print(f"import: {imported:.2f} s, {records / imported:,.0f} records/s, "
                  f"{imported / bare:.2f} x bare parse (target <= 2.0)")
            sbom = generated_sbom(store, Path(tmp))
        start = time.perf_counter()
        result = run_scan(read_bom(sbom), db=Path(tmp) / "bench.sqlite", catalogue=None)
        scanned = time.perf_counter() - start
        print(f"scan of {result.targets:,} components: {scanned:.2f} s wall, "
              f"{len(result.matches):,} findings (target <= 1.0 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
