"""OSCAL component definitions as the user's controls; unknown control ids are located."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stackrift.compliance.engine import (
    MetStatus,
    evaluate_system,
    implications,
    obligation_status,
)
from stackrift.compliance.loader import load_library
from stackrift.compliance.model import ComplianceInputError, ControlStatus
from stackrift.compliance.oscal_import import load_component_definition, load_control_file

from .helpers import DATA, facts, packaged

NS = "urn:stackrift:oscal"
SP800_53_SOURCE = "https://example.org/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json"


def _definition(*implementations: dict[str, Any], props: list[dict[str, str]] | None = None
                ) -> dict[str, Any]:
    component: dict[str, Any] = {
        "uuid": "91f646c5-b1b6-4786-9ec3-2305a044e217", "type": "service", "title": "GRC",
        "description": "d", "control-implementations": list(implementations)}
    if props:
        component["props"] = props
    return {"component-definition": {
        "uuid": "a7ba800c-a432-44cd-9075-0862cd66da6b",
        "metadata": {"title": "t", "last-modified": "2026-12-04T00:00:00Z", "version": "1",
                     "oscal-version": "1.1.2"},
        "components": [component]}}


def _implementation(source: str, *ids: str, props: list[dict[str, str]] | None = None
                    ) -> dict[str, Any]:
    impl: dict[str, Any] = {
        "uuid": "49f0b690-ed9f-4f32-aae0-625b77aa6d27", "source": source, "description": "d",
        "implemented-requirements": [
            {"uuid": "cf8338c5-fb6e-4593-a4a8-b3c4946ee080", "control-id": i,
             "description": f"does {i}"} for i in ids]}
    if props:
        impl["props"] = props
    return impl


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "component.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def test_real_component_definition_example(shared_data: Path) -> None:
    path = shared_data / "oscal" / "examples" / "example-component-definition.json"
    library = load_library(oscal_dir=shared_data / "oscal" / "sp800-53-rev5")
    imported = load_control_file(path, library)
    (control,) = imported.catalogue.controls
    assert control.id == "MongoDB: sc-8" and control.satisfies == ("nist-sp800-53r5:sc-8",)
    assert control.status is ControlStatus.IMPLEMENTED and control.systems is None
    # enhancements the catalogue holds but the selection does not are named, never dropped
    # silently
    assert imported.notes and "sa-4.9, sc-8.1" in imported.notes[0]


def test_our_tokens_framework_property_systems_and_status(tmp_path: Path) -> None:
    path = _write(tmp_path, _definition(
        _implementation("#local", "eu-ai-act_art9", "iso-iec-42001_6.1.2"),
        _implementation("#local", "art12", props=[
            {"name": "framework", "ns": NS, "value": "eu-ai-act"}]),
        props=[{"name": "system", "ns": NS, "value": "s1"},
               {"name": "implementation-status", "value": "partial"}]))
    controls = load_component_definition(path, packaged()).catalogue.controls
    assert [c.satisfies for c in controls] == [
        ("eu-ai-act:art9",), ("iso-iec-42001:6.1.2",), ("eu-ai-act:art12",)]
    assert {c.systems for c in controls} == {("s1",)}
    assert {c.status for c in controls} == {ControlStatus.PARTIAL}
    assert controls[0].evidence[0].location.endswith(
        "#/component-definition/components/0/control-implementations/0/"
        "implemented-requirements/0")


def test_imported_controls_meet_obligations(tmp_path: Path) -> None:
    path = _write(tmp_path, _definition(_implementation(SP800_53_SOURCE, "ac-2", "ra-3")))
    library = packaged()
    catalogue = load_control_file(path, library).catalogue
    verdicts = evaluate_system(library, facts(federal=True), date(2026, 12, 4))
    status = {s.verdict.ref: s for s in obligation_status(verdicts, catalogue,
                                                          implications(library))}
    assert status["nist-sp800-53r5:ac-2"].status is MetStatus.MET
    assert status["nist-sp800-53r5:ac-2"].met_by == ("GRC: ac-2",)
    assert status["nist-sp800-53r5:ac-3"].status is MetStatus.MISSING


@pytest.mark.parametrize(("source", "props", "control_id", "message"), [
    (SP800_53_SOURCE, None, "zz-zz", "unknown control-id 'zz-zz'"),
    ("#nothing", None, "ac-2", "unknown control-id 'ac-2'"),  # not said to be SP 800-53
    ("#local", [{"name": "framework", "ns": NS, "value": "eu-ai-act"}], "art999",
     "control-id 'art999' is not a requirement of framework 'eu-ai-act'"),
])
def test_unknown_control_ids_are_located(tmp_path: Path, source: str,
                                         props: list[dict[str, str]] | None,
                                         control_id: str, message: str) -> None:
    path = _write(tmp_path, _definition(_implementation(source, "ac-3", control_id,
                                                        props=props)))
    with pytest.raises(ComplianceInputError) as info:
        load_control_file(path, packaged())
    text = str(info.value)
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1)
                if f'"control-id": "{control_id}"' in row)
    assert f"component.json:{line}:" in text and message in text
    assert ("/component-definition/components/0/control-implementations/0/"
            "implemented-requirements/1/control-id") in text


def test_bad_status_and_shape_are_located(tmp_path: Path) -> None:
    path = _write(tmp_path, _definition(
        _implementation(SP800_53_SOURCE, "ac-2"),
        props=[{"name": "implementation-status", "value": "sort-of"}]))
    with pytest.raises(ComplianceInputError, match=r"component.json:\d+:\d+: "
                       r"implementation-status 'sort-of'"):
        load_control_file(path, packaged())
    empty = _definition()
    empty["component-definition"]["components"][0]["control-implementations"] = "no"
    with pytest.raises(ComplianceInputError, match="'control-implementations' is not a "
                       "non-empty list"):
        load_control_file(_write(tmp_path, empty), packaged())


def test_our_controls_file_still_loads_through_the_same_entry() -> None:
    imported = load_control_file(DATA / "controls.yaml", packaged())
    assert imported.notes == () and imported.catalogue.controls[0].id == "CTL-AI-RISK"
