"""Rendering a large report in every format.

A report of 5,000 findings in 6 analyses, each with a 200-bar stacked chart, a 30 x 12 heatmap and a
500-row table. Baseline, measured in the same run: serialising the same findings with the standard
library's json module (the least any renderer has to do). Prints seconds per format and the ratio.
"""

from __future__ import annotations

import json
import time
from datetime import date

from stackrift.errors import Location
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind
from stackrift.report.base import formats, renderer
from stackrift.report.model import AnalysisSection, EstateSummary, Report

SEVERITIES = list(Severity)


def build() -> Report:
    sections = []
    locations = {}
    for a in range(6):
        findings = []
        for i in range(5000 // 6):
            subject = Subject(kind=SubjectKind.COMPONENT, id=f"c{a}-{i}", name=f"Component {i}")
            finding = Finding(
                id=f"a{a}:rule{i % 7}:c{a}-{i}", analysis=f"a{a}", rule=f"rule{i % 7}",
                severity=SEVERITIES[i % 5], title=f"Component {i} has issue {i % 7}",
                subject=subject, evidence={"vendor": f"v{i}", "since": date(2020, 1, 1),
                                           "layers": ["hardware", "model"]},
                recommendation="Do something sensible.",
                citations=(Citation(source="15 CFR 744", section="Supp. 4",
                                    url="https://example.org/cfr",
                                    in_force_from=date(2019, 5, 16)),))
            findings.append(finding)
            locations[finding.id] = Location("estate.yaml", i + 1, 5)
        labels = [f"system-{j}" for j in range(200)]
        summary = {
            "charts": [
                {"kind": "bar", "title": "Blocs", "stacked": True, "labels": labels,
                 "series": [{"name": b, "values": [j % 5 for j in range(200)]}
                            for b in ("us", "cn", "eu", "other", "unknown")]},
                {"kind": "heatmap", "title": "Grid", "x_labels": [f"x{k}" for k in range(12)],
                 "y_labels": [f"y{k}" for k in range(30)],
                 "values": [[(r * c) % 9 for c in range(12)] for r in range(30)]},
            ],
            "tables": [{"title": "Rows", "columns": ["a", "b", "c"],
                        "rows": [[f"r{k}", k, None] for k in range(500)]}],
        }
        sections.append(AnalysisSection(f"a{a}", f"Analysis {a}", tuple(findings), summary))
    return Report("bench", date(2026, 11, 15), "bench", EstateSummary("estate.yaml", "Bench", {}),
                  tuple(sections), Severity.HIGH, locations)


def main() -> None:
    report = build()
    start = time.perf_counter()
    json.dumps([f.model_dump(mode="json") for f in report.findings])
    baseline = time.perf_counter() - start
    print(f"baseline (stdlib json of {len(report.findings)} findings): {baseline:.3f} s")
    for name in formats():
        start = time.perf_counter()
        text = renderer(name).render(report)
        elapsed = time.perf_counter() - start
        print(f"{name:9} {elapsed:7.3f} s  {len(text) / 1e6:6.1f} MB  "
              f"ratio to baseline {elapsed / baseline:6.1f}")


if __name__ == "__main__":
    main()
