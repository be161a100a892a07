"""Rendering a large report in every format, whole command in fresh processes.

The estate is the one ``bench_provenance.py`` generates (2,000 components, 300 systems, 40
sites); its provenance and hygiene sections hold about 2,500 findings and tables of 2,000 rows.
Measured per format: ``stackrift assess ESTATE -a provenance -a hygiene -f FORMAT -o FILE``.
Floor, in the same run: a fresh interpreter running the same pipeline (estate, catalogue, both
analyses, the report model) and rendering nothing. The difference is what rendering and writing
cost. Figures only, no targets: no speed target has been set for rendering.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml
from bench_provenance import build_estate
from harness import measure, python, stackrift

FORMATS = ("terminal", "json", "md", "html", "sarif")
FLOOR = """
import sys
from datetime import date
from stackrift.analyses.base import AnalysisContext
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.pipeline import assess
context = AnalysisContext(as_of=date(2026, 11, 20), catalogue=load_catalogue())
report = assess(load_estate(sys.argv[1]), context, only=frozenset({"provenance", "hygiene"}))
print(len(report.findings))
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        estate = folder / "estate.yaml"
        estate.write_text(yaml.safe_dump(build_estate()), encoding="utf-8")
        floor = measure("pipeline without rendering (floor)", python("-c", FLOOR, str(estate)))
        for name in FORMATS:
            output = folder / f"report.{name}"
            ours = measure(f"stackrift assess -f {name}", stackrift(
                "assess", str(estate), "-a", "provenance", "-a", "hygiene", "-f", name,
                "-o", str(output), "--as-of", "2026-11-20", "--fail-on", "critical"),
                ok_codes=(0, 1))
            extra = ours.median("cpu_s") - floor.median("cpu_s")
            print(f"  {name}: {output.stat().st_size / 1e6:.1f} MB; rendering and writing "
                  f"{extra:.3f} s CPU over the floor "
                  f"({ours.median('cpu_s') / floor.median('cpu_s'):.2f}x CPU, "
                  f"{ours.median('wall_s') / floor.median('wall_s'):.2f}x wall)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
