"""A hand-built report with every kind of summary entry, shared by the renderer tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from stackrift.errors import Location
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind
from stackrift.report.model import AnalysisSection, EstateSummary, Report

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'

ESTATE_FILE = "estates/acme.yaml"


def _finding(analysis: str, rule: str, severity: Severity, subject: Subject, title: str,
             **extra: object) -> Finding:
    return Finding(id=f"{analysis}:{rule}:{subject.id}", analysis=analysis, rule=rule,
                   severity=severity, title=title, subject=subject, **extra)  # type: ignore[arg-type]


def build_report(fail_on: Severity = Severity.HIGH) -> Report:
    chatbot = Subject(kind=SubjectKind.SYSTEM, id="support-bot", name="Support chatbot")
    hostile_system = Subject(kind=SubjectKind.SYSTEM, id="evil", name=HOSTILE)
    ascend = Subject(kind=SubjectKind.COMPONENT, id="ascend-910b", name="Ascend 910B",
                     field="vendor")
    flow = Subject(kind=SubjectKind.DATA_FLOW, id="hr-to-us")
    provenance = AnalysisSection(
        name="provenance",
        title="Provenance",
        findings=(
            _finding("provenance", "entity-listed-vendor", Severity.CRITICAL, ascend,
                     "Ascend 910B is made by an Entity-Listed vendor (Huawei)",
                     evidence={"vendor": "Huawei", "listed_since": date(2019, 5, 16),
                               "layers": ["hardware"], "share": 0.5, "known": True},
                     recommendation="Check licensing before any US-origin item reaches it.",
                     citations=(Citation(source="15 CFR 744", section="Supplement No. 4",
                                         url="https://www.ecfr.gov/current/title-15/part-744",
                                         in_force_from=date(2019, 5, 16)),
                                Citation(source="Trade press", confidence="unverified",
                                         url="javascript:alert(1)")),
                     related=(chatbot,)),
            _finding("provenance", "mixed-stack", Severity.MEDIUM, chatbot,
                     "Support chatbot mixes US and Chinese layers",
                     evidence={"blocs": {"hardware": "cn", "model": "cn", "cloud": "cn"}}),
            _finding("provenance", "hostile", Severity.LOW, hostile_system,
                     f"Name is {HOSTILE}", evidence={"note": HOSTILE},
                     recommendation=f"Rename {HOSTILE}"),
        ),
        summary={
            "tables": [{"title": "Bloc per layer", "columns": ["system", "hardware", "model"],
                        "rows": [["support-bot", "cn", "cn"], [HOSTILE, "us", None]]}],
            "charts": [
                {"kind": "bar", "title": "Bloc composition per system", "stacked": True,
                 "labels": ["support-bot", "fraud-model", HOSTILE],
                 "series": [{"name": "us", "values": [0, 4, 1]},
                            {"name": "cn", "values": [4, 0, 2]},
                            {"name": "unknown", "values": [1, 1, None]}]},
                {"kind": "heatmap", "title": "Layers by bloc",
                 "x_labels": ["hardware", "runtime", "model"], "y_labels": ["us", "cn"],
                 "values": [[3, 2, None], [1, 0, 4]],
                 "cells": [["3 systems", "2", "n/a"], ["1", "0", HOSTILE]]},
            ],
            "resolved": 12,
        },
    )
    hygiene = AnalysisSection(
        name="hygiene",
        title="Estate hygiene",
        findings=(
            _finding("hygiene", "flow-without-subject-count", Severity.INFO, flow,
                     "Flow hr-to-us has no subject count"),
        ),
        summary={"charts": [{"kind": "bar", "title": "Gaps by kind",
                             "labels": ["flows", "systems"],
                             "series": [{"name": "missing", "values": [3, 1]},
                                        {"name": "total", "values": [10, 8]}]},
                            {"kind": "pie", "title": "unsupported"}]},
    )
    locations = {
        "provenance:entity-listed-vendor:ascend-910b": Location(ESTATE_FILE, 40, 7),
        "provenance:mixed-stack:support-bot": Location(ESTATE_FILE, 12, 5),
        "provenance:hostile:evil": Location(ESTATE_FILE, 20, 5),
        "hygiene:flow-without-subject-count:hr-to-us": Location(ESTATE_FILE, 80, 5),
    }
    return Report(tool_version="0.1.0", as_of=date(2026, 11, 15), catalogue_version="2026.11",
                  estate=EstateSummary(ESTATE_FILE, f"Acme {HOSTILE}",
                                       {"entities": 3, "systems": 2, "data_flows": 1}),
                  sections=(provenance, hygiene), fail_on=fail_on, locations=locations)


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def empty_report() -> Report:
    return Report(tool_version="0.1.0", as_of=date(2026, 11, 15), catalogue_version="2026.11",
                  estate=EstateSummary("e.yaml", "Empty Ltd", {"systems": 0}), sections=())


@pytest.fixture
def make_report() -> Callable[..., Report]:
    """Build a fresh copy of the sample report (optionally with another fail-on threshold)."""
    return build_report


@pytest.fixture
def hostile() -> str:
    """The hostile name used throughout the sample report."""
    return HOSTILE
