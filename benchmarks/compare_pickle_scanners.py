"""Compare StackRift's pickle scan with picklescan and modelscan on the hand-made corpus.

Not part of ``make test`` or ``make bench``. The other scanners run as command-line tools from a
separate, throw-away environment (they only read the files; nothing is unpickled)::

    python3 -m venv /tmp/cmpvenv && /tmp/cmpvenv/bin/pip install picklescan modelscan
    PYTHONPATH=src .venv/bin/python benchmarks/compare_pickle_scanners.py --tools /tmp/cmpvenv/bin

It writes the corpus (tests/bom/pickle_corpus.py) into a temporary folder, scans every file with
each tool, checks that no payload ran, and prints the Markdown table kept in docs/bom.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bom import pickle_corpus

from stackrift.bom import artefacts
from stackrift.findings import Severity


def stackrift(path: Path) -> str:
    findings = artefacts.scan_file(path)
    worst = max(findings, key=lambda f: f.severity.rank, default=None)
    if worst is None:
        return "clean (exit 0)"
    code = 1 if worst.severity.at_least(Severity.HIGH) else 0  # stackrift's default --fail-on
    return f"**{worst.severity.value}** {worst.rule} (exit {code})"


def picklescan(tools: Path, path: Path) -> str:
    result = subprocess.run([str(tools / "picklescan"), "-p", str(path)], capture_output=True,
                            text=True, check=False, timeout=600)
    output = result.stdout + result.stderr
    code = result.returncode
    if "Dangerous globals: 0" not in output and "dangerous" in output.lower():
        return f"**dangerous** (exit {code})"
    if "Suspicious globals: 0" not in output and "Suspicious globals" in output:
        return f"**suspicious** (exit {code})"
    if "could not parse" in output or "ERROR" in output:
        return f"parse error (exit {code})"
    return f"clean (exit {code})"


def modelscan(tools: Path, path: Path, work: Path) -> str:
    report = work / "modelscan.json"
    report.unlink(missing_ok=True)
    result = subprocess.run([str(tools / "modelscan"), "-p", str(path), "-r", "json", "-o",
                             str(report)], capture_output=True, text=True, check=False,
                            timeout=600, cwd=work)
    if not report.exists():
        return f"no report (exit {result.returncode})"
    data = json.loads(report.read_text())
    issues = data["summary"]["total_issues_by_severity"]
    worst = next((s for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW") if issues.get(s)), None)
    if worst:
        return f"**{worst.lower()}** (exit {result.returncode})"
    if data.get("errors"):
        return f"error: {data['errors'][0]['category']} (exit {result.returncode})"
    scanned = data["summary"]["scanned"]["total_scanned"]
    return "skipped (not scanned)" if not scanned else f"clean (exit {result.returncode})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", type=Path, default=Path("/tmp/cmpvenv/bin"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sentinel = root / "payload-ran"
        rows = []
        for group, variants in (("malicious", pickle_corpus.malicious(str(sentinel))),
                                ("benign", pickle_corpus.benign())):
            paths = pickle_corpus.write(root / group, variants, sentinel)
            for variant, path in zip(variants, paths, strict=True):
                rows.append((group, variant.kind, variant.name, stackrift(path),
                             picklescan(args.tools, path), modelscan(args.tools, path, root)))
        assert not sentinel.exists(), "a payload ran"
    print("| | class | file | StackRift | picklescan | modelscan |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for group in ("malicious", "benign"):
        mine = [r for r in rows if r[0] == group]
        for index, tool in ((3, "StackRift"), (4, "picklescan"), (5, "modelscan")):
            flagged = sum(1 for r in mine if r[index].startswith("**"))
            failing = sum(1 for r in mine if "(exit 0)" not in r[index])
            print(f"- {group}, {tool}: flagged {flagged}/{len(mine)}, "
                  f"non-zero exit {failing}/{len(mine)}")


if __name__ == "__main__":
    main()
