"""Systems referencing SBOMs and model folders: merged into the estate, analysed for artefacts."""

from __future__ import annotations

import json
import os
import pickle
import struct
from datetime import date
from pathlib import Path

import pytest

from stackrift.analyses.base import AnalysisContext
from stackrift.bom.estate import merge_sboms
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import InvalidInputError
from stackrift.estate.loader import load_estate
from stackrift.findings import Severity
from stackrift.pipeline import assess

CATALOGUE = Path(__file__).parent / "catalogue"

ESTATE = """\
organisation: {name: Acme, hq_country: US}
components:
  - {id: app, type: application, name: Support app}
systems:
  - id: support
    name: Support assistant
    purpose: Answers tickets.
    components: [app]
    sboms: [requirements.txt, models/acme-qwen-ft]
"""


class _Payload:
    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.sentinel}",))


def _estate(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("torch==2.3.1\ntransformers==4.44.0\n")
    folder = tmp_path / "models" / "acme-qwen-ft"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-7B\nlicense: apache-2.0\n"
                                      "---\n")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(tmp_path / "ran"), 2))
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header +
                                               b"\0" * 8)
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE)
    return path


def test_merge_adds_sbom_components_to_the_system(tmp_path: Path) -> None:
    merged = merge_sboms(load_estate(_estate(tmp_path))).estate
    system = merged.systems[0]
    assert system.components == ("app", "requirements.txt:pypi:torch@2.3.1",
                                 "requirements.txt:pypi:transformers@4.44.0",
                                 "models/acme-qwen-ft:acme-qwen-ft")
    model = merged.component("models/acme-qwen-ft:acme-qwen-ft")
    assert model is not None and model.base_models == ("Qwen/Qwen2.5-7B",)
    assert not (tmp_path / "ran").exists()


def test_assess_reports_unsafe_artefact_and_lineage(tmp_path: Path) -> None:
    context = AnalysisContext(as_of=date(2026, 11, 29), catalogue=load_catalogue(CATALOGUE))
    report = assess(load_estate(_estate(tmp_path)), context, only=frozenset({"artefacts"}))
    (section,) = report.sections
    rules = {(f.rule, f.severity) for f in section.findings}
    assert rules == {("dangerous-import", Severity.CRITICAL),
                     ("unknown-publisher-lineage", Severity.MEDIUM)}
    lineage = next(f for f in section.findings if f.rule == "unknown-publisher-lineage")
    assert lineage.title == ("acme-qwen-ft (publisher not catalogued) carries the weights of "
                             "Qwen/Qwen2.5-7B (Alibaba Cloud, CN, cn bloc)")
    assert lineage.evidence["lineage"] == ("acme-qwen-ft (not catalogued) -> "
                                           "Qwen/Qwen2.5-7B (Alibaba Cloud, CN)")
    assert report.locations[lineage.id].line == 9  # the system's sboms entry
    assert section.summary["tables"][0]["rows"][0][3] == "Qwen/Qwen2.5-7B"
    assert report.failing()
    assert not (tmp_path / "ran").exists()


def test_missing_sbom_is_located_in_the_estate(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE)
    with pytest.raises(InvalidInputError) as caught:
        merge_sboms(load_estate(path))
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line) == (str(path), 9)
    assert "names SBOM 'requirements.txt', which does not exist" in problem.message
