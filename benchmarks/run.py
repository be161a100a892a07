"""Run every benchmark script (benchmarks/bench_*.py); each prints its figures and ratios."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    """Run each script in its own interpreter so one's exit or state cannot affect the next."""
    scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
    if not scripts:
        print("no benchmarks found")
        return 1
    failed = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], check=False).returncode
        print(f"-- {script.stem}: exit {code} after {time.perf_counter() - started:.0f} s",
              flush=True)
        if code != 0:
            failed.append(script.stem)
    if failed:
        print(f"benchmarks that exited non-zero: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
