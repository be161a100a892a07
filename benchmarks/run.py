"""Run every benchmark script (benchmarks/bench_*.py); each prints its figures and ratios."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> int:
    scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
    if not scripts:
        print("no benchmarks found")
        return 1
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
