"""Advisory import and scan on the real corpora, each compared with its floor in the same run.

Every figure is a whole command in a fresh process (``harness``): wall, CPU (the command's own and
its worker processes') and peak memory, medians of several runs.

1. Import ``cnvd``, ``osv-pypa``, ``osv-go`` and ``cnnvd`` from ``../shared/data`` into a new store
   (``stackrift db import``). Floor: a single-process bare parse of the same files (gunzip + lxml,
   libyaml, orjson) that builds no records and writes nothing. Targets: import <= 1.5 x the floor
   in wall and in CPU time; peak memory <= 150 MiB. For information, StackRift's own parsers
   alone (records built, nothing stored) are measured too. Import runs take over 30 s on the
   shared machine, so import and its floors run 3 times (not 5), in rounds (floor, parsers,
   import), so the machine's drift lands on all three alike.
2. Scan generated CycloneDX SBOMs of 1,000, 10,000 and 50,000 components (``stackrift scan -f
   json``). One component in five is a real (package, version) pair taken from the imported OSV
   records (so findings happen); the others name packages no advisory names. Floor: parse the
   SBOM with orjson plus one indexed SQLite look-up of the stored records per distinct package,
   run in rounds with the scan (floor, scan). Targets: scan <= 3 x the floor (wall and CPU) at
   each size; peak memory <= 2 x the floor's (which holds the parsed SBOM, and each package's
   looked-up records in turn); growth from 10,000 to 50,000 components at most linear (CPU
   ratio <= 5).
"""

from __future__ import annotations

import gzip
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

from harness import (
    Measurement,
    check_limit,
    check_ratio,
    measure,
    measure_interleaved,
    python,
    shared_data,
    stackrift,
)

CORPORA = ("cnvd", "osv-pypa", "osv-go", "cnnvd")
IMPORT_RUNS = 3  # an import run takes over 30 s here
SIZES = (1_000, 10_000, 50_000)
SCRIPT = str(Path(__file__).resolve())


# -- floors, each run in a fresh interpreter through this script ----------------------------------

def bare_parse(data: Path) -> int:
    """Parse every file of the corpora with the C parsers, building nothing."""
    import orjson
    import yaml
    from lxml import etree

    count = 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for path in sorted((data / "cnvd").glob("*.xml.gz")):
        root = etree.fromstring(gzip.decompress(path.read_bytes()), parser)
        for element in root:
            count += len({child.tag: child.text for child in element})
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted((data / "osv-pypa").rglob("*.yaml")):
        count += len(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))
    for path in sorted((data / "osv-go").glob("*.json")):
        count += len(orjson.loads(path.read_bytes()))
    for path in sorted((data / "cnnvd").rglob("*.json")):
        count += len(orjson.loads(path.read_bytes()))
    return count


def stackrift_parse(data: Path) -> int:
    """StackRift's own parsers in one process: records built and deduplicated, nothing stored."""
    from stackrift.advisories.importer import parse_paths
    from stackrift.gcpause import paused_gc

    with paused_gc():
        records, _report = parse_paths([data / name for name in CORPORA])
    return len(records)


def _package(purl: str) -> tuple[str, str] | None:
    body = purl[4:].split("#")[0].split("?")[0]
    at = body.rfind("@")
    if at > body.rfind("/"):
        body = body[:at]
    kind, _, name = body.partition("/")
    if kind == "pypi":
        return "PyPI", name.lower()
    return ("Go", name) if kind == "golang" else None


def scan_floor(sbom: Path, db: Path) -> int:
    """Parse the SBOM with orjson and look up the stored records of each distinct package once."""
    import orjson

    document = orjson.loads(sbom.read_bytes())
    packages = {package for component in document.get("components", ())
                if (package := _package(component.get("purl") or ""))}
    store = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    query = ("SELECT r.data FROM packages p JOIN records r ON r.source = p.source "
             "AND r.id = p.record_id WHERE p.ecosystem = ? AND p.name = ?")
    return sum(len(store.execute(query, package).fetchall()) for package in sorted(packages))


# -- inputs ---------------------------------------------------------------------------------------

def real_pairs(db: Path) -> list[tuple[str, str, str]]:
    """(ecosystem, name, version) pairs the imported OSV records list or name in range events."""
    from stackrift.advisories.model import Advisory

    pairs: set[tuple[str, str, str]] = set()
    store = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for (blob,) in store.execute("SELECT data FROM records WHERE source = 'osv' ORDER BY id"):
        for affected in Advisory.decode(blob).affected:
            if not affected.name or affected.ecosystem not in ("PyPI", "Go"):
                continue
            versions = set(affected.versions) | {event.version for r in affected.ranges
                                                 for event in r.events
                                                 if event.version not in ("0", "*")}
            pairs.update((affected.ecosystem, affected.name, v) for v in versions)
    ordered = sorted(pairs)
    random.Random(17).shuffle(ordered)
    return ordered


def generated_sbom(pairs: list[tuple[str, str, str]], size: int, folder: Path) -> Path:
    """A CycloneDX SBOM of ``size`` components: one in five a real advisory package at a real
    version, the rest packages no advisory names."""
    import orjson

    components = []
    for index in range(size):
        if index % 5 == 0:
            ecosystem, name, version = pairs[index // 5 % len(pairs)]
            kind = "pypi" if ecosystem == "PyPI" else "golang"
            tagged = f"v{version}" if kind == "golang" and not version.startswith("v") else version
            purl = f"pkg:{kind}/{name}@{tagged}"
        else:
            name, version = f"internal-lib-{index}", "1.0.0"
            purl = f"pkg:pypi/{name}@{version}"
        components.append({"type": "library", "bom-ref": f"c{index}", "name": name,
                           "version": version, "purl": purl})
    path = folder / f"sbom-{size}.cdx.json"
    path.write_bytes(orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                   "components": components}))
    return path


# -- the benchmark --------------------------------------------------------------------------------

def bench_import(data: Path, folder: Path) -> Path:
    """Import and its floors; returns a store holding the corpora."""
    db = folder / "import.sqlite"
    paths = [str(data / name) for name in CORPORA]
    # a new store each run: the shell removes it, then becomes the import (same process)
    command = ["sh", "-c", 'rm -f "$0" "$0-journal" && exec "$@"', str(db),
               *stackrift("db", "import", "--db", str(db), *paths)]
    bare, _parsers, imported = measure_interleaved(
        [("bare parse (floor)", python(SCRIPT, "--bare", str(data)), (0,)),
         ("stackrift parsers alone (information)", python(SCRIPT, "--parse", str(data)), (0,)),
         ("stackrift db import", command, (0,))], runs=IMPORT_RUNS)
    check_ratio("import vs bare parse", imported, bare, 1.5)
    check_limit("import peak memory", "peak_mib", imported.median("peak_mib"), 150.0)
    return db


def bench_scan(db: Path, folder: Path) -> None:
    pairs = real_pairs(db)
    scans: dict[int, Measurement] = {}
    for size in SIZES:
        sbom = generated_sbom(pairs, size, folder)
        # scan exits 1 when a finding reaches --fail-on: that is its answer here
        floor, scans[size] = measure_interleaved(
            [(f"scan floor {size:,}", python(SCRIPT, "--scan-floor", str(sbom), str(db)), (0,)),
             (f"stackrift scan {size:,}",
              stackrift("scan", str(sbom), "--db", str(db), "-f", "json", "-o",
                        str(folder / "scan.json")), (0, 1))])
        check_ratio(f"scan {size:,} components", scans[size], floor, 3.0)
        check_ratio(f"scan {size:,} components memory", scans[size], floor, 2.0,
                    metrics=("peak_mib",))
    growth = scans[50_000].median("cpu_s") / scans[10_000].median("cpu_s")
    check_limit("scan growth 10k -> 50k components (CPU ratio)", "ratio", growth, 5.0)
    # the other report formats, for information (no target): the default table written to a
    # file, as in a CI log, and SARIF, for code-scanning dashboards
    sbom = generated_sbom(pairs, 10_000, folder)
    for label, output_format, name in (("table", "terminal", "scan.txt"),
                                       ("sarif", "sarif", "scan.sarif")):
        measure(f"stackrift scan 10,000 -f {output_format} (information, {label})",
                stackrift("scan", str(sbom), "--db", str(db), "-f", output_format, "-o",
                          str(folder / name)), runs=3, ok_codes=(0, 1))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--bare"]:
        print(bare_parse(Path(argv[1])))
        return 0
    if argv[:1] == ["--parse"]:
        print(stackrift_parse(Path(argv[1])))
        return 0
    if argv[:1] == ["--scan-floor"]:
        print(scan_floor(Path(argv[1]), Path(argv[2])))
        return 0
    data = shared_data()
    if data is None:
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = bench_import(data, folder)
        bench_scan(db, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
