"""Run every benchmark script (benchmarks/bench_*.py) and print all targets as met or missed.

Each script runs in its own interpreter so one's exit or state cannot affect the next; scripts that
check targets record them through ``harness.record`` into one results file read back here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import RESULTS_ENV, machine


def _run_scripts(scripts: list[Path], results: Path) -> list[str]:
    failed = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], check=False,
                              env={**os.environ, RESULTS_ENV: str(results)}).returncode
        print(f"-- {script.stem}: exit {code} after {time.perf_counter() - started:.0f} s",
              flush=True)
        if code != 0:
            failed.append(script.stem)
    return failed


def main(argv: list[str]) -> int:
    """``run.py [NAME ...]``: the scripts whose stem contains one of the names (all by default)."""
    scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    if not scripts:
        print("no benchmarks found")
        return 1
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.jsonl"
        results.touch()
        failed = _run_scripts(scripts, results)
        verdicts = [json.loads(line) for line in results.read_text().splitlines() if line]
    print("\n== targets")
    for v in verdicts:
        status = "met" if v["met"] else "MISSED"
        print(f"{status:>6}  {v['target']} [{v['metric']}]: {v['measured']:.3f} vs "
              f"{v['floor']:.3f} = {v['ratio']:.2f}x (limit {v['limit']:g}x)")
    missed = [v for v in verdicts if not v["met"]]
    print(f"{len(verdicts) - len(missed)} of {len(verdicts)} targets met")
    if failed:
        print(f"benchmarks that exited non-zero: {', '.join(failed)}")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
