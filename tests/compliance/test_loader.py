"""Packaged frameworks and crosswalks load and cross-check; bad input gives located errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from stackrift.compliance.loader import PACKS, load_controls, load_framework, load_library
from stackrift.compliance.model import ComplianceError, ComplianceInputError, Confidence
from stackrift.compliance.schema import controls_schema, crosswalk_schema, framework_schema
from stackrift.errors import InputError
from stackrift.estate.yamlsource import load_located

from .helpers import DATA, packaged

EXPECTED_FRAMEWORKS = {
    "eu-ai-act", "nist-ai-rmf", "nist-ai-600-1", "nist-sp800-53r5", "iso-iec-42001",
    "iso-iec-27001", "cn-genai-measures", "cn-algorithm-recommendation", "cn-deep-synthesis",
    "cn-ai-labelling", "cn-gb-45438", "cn-gbt-45654", "cn-mlps-l3", "cn-tc260-ai-safety",
    "kr-ai-basic-act", "us-co-admt"}


def _plain(path: Path) -> object:
    # dates parsed by YAML become ISO strings, as they would be in JSON
    return json.loads(json.dumps(load_located(path).data, default=str))


def test_every_framework_file_validates_against_the_schema() -> None:
    schema = framework_schema()
    files = sorted((PACKS / "frameworks").glob("*.yaml"))
    assert len(files) == len(EXPECTED_FRAMEWORKS)
    for path in files:
        jsonschema.validate(_plain(path), schema)


def test_every_crosswalk_file_validates_against_the_schema() -> None:
    for path in sorted((PACKS / "crosswalk").glob("*.yaml")):
        jsonschema.validate(_plain(path), crosswalk_schema())


def test_control_catalogue_fixture_validates_against_its_schema() -> None:
    jsonschema.validate(_plain(DATA / "controls.yaml"), controls_schema())


def test_packaged_library_has_every_framework_and_every_mapping_names_two_ids() -> None:
    library = packaged()
    assert {f.id for f in library.frameworks} == EXPECTED_FRAMEWORKS
    assert library.mapping_count >= 300
    linked: set[str] = set()
    for crosswalk in library.crosswalks:
        for m in crosswalk.mappings:
            assert m.source in library.index and m.target in library.index
            assert m.source.split(":")[0] != "" and m.source != m.target
            linked.update({m.source.split(":")[0], m.target.split(":")[0]})
            if m.confidence is Confidence.VERIFIED:
                assert m.origin is not None  # a verified mapping names its official crosswalk
    assert linked == EXPECTED_FRAMEWORKS  # every framework connects to at least one other


def test_unverified_facts_carry_a_reason_and_dates_are_checked_today() -> None:
    for framework in packaged().frameworks:
        source = framework.source
        assert source.checked_on.isoformat() == "2026-12-04"
        if source.confidence is Confidence.UNVERIFIED:
            assert source.unverified_reason


def test_without_oscal_the_selection_is_kept_and_the_gap_is_said() -> None:
    library = packaged()
    assert "nist-sp800-53r5:ac-2" in library.index
    assert any("OSCAL catalogue not read" in note for note in library.notes)


def test_duplicate_requirement_id_is_located() -> None:
    with pytest.raises(ComplianceInputError) as info:
        load_framework(DATA / "fw-duplicate.yaml")
    message = str(info.value)
    assert "fw-duplicate.yaml:9:10:" in message and "duplicate requirement id 'r1'" in message
    assert isinstance(info.value, InputError) and isinstance(info.value, ComplianceError)


def test_mapping_to_a_missing_requirement_is_located() -> None:
    with pytest.raises(ComplianceInputError) as info:
        load_library([DATA / "bad-crosswalk"])
    message = str(info.value)
    assert "broken.yaml:5:13: mapping target 'eu-ai-act:art999' names no loaded requirement" \
        in message


def test_user_folder_adds_a_framework_and_its_crosswalk() -> None:
    library = load_library([DATA / "user-frameworks"])
    assert "acme-policy:review-board" in library.index
    assert library.mapping_count == packaged().mapping_count + 1


def test_same_framework_id_twice_is_refused(tmp_path: Path) -> None:
    shutil.copy(PACKS / "frameworks" / "eu-ai-act.yaml", tmp_path / "copy.yaml")
    with pytest.raises(ComplianceInputError, match=r"copy.yaml:\d+:\d+: framework id 'eu-ai-act' "
                       "is already defined"):
        load_library([tmp_path])


def test_unknown_control_requirement_is_located(tmp_path: Path) -> None:
    path = tmp_path / "controls.yaml"
    path.write_text("controls:\n  - id: C1\n    satisfies: [eu-ai-act:art9, nist-ai-rmf:NOPE-1]\n",
                    encoding="utf-8")
    with pytest.raises(ComplianceInputError, match=r"controls.yaml:3:33: control 'C1' names "
                       r"unknown requirement 'nist-ai-rmf:NOPE-1'"):
        load_controls(path, packaged())


def test_unverified_source_without_reason_is_refused(tmp_path: Path) -> None:
    text = (DATA / "user-frameworks" / "acme-policy.yaml").read_text(encoding="utf-8").replace(
        "confidence: verified", "confidence: unverified")
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ComplianceInputError, match="unverified source needs an unverified_reason"):
        load_framework(path)


def test_controls_fixture_loads() -> None:
    catalogue = load_controls(DATA / "controls.yaml", packaged())
    assert [c.id for c in catalogue.controls] == [
        "CTL-AI-RISK", "CTL-LABEL", "CTL-CAC-FILING", "CTL-LOGS"]


def test_oscal_titles_read_from_the_real_catalogue(shared_data: Path) -> None:
    library = load_library(oscal_dir=shared_data / "oscal" / "sp800-53-rev5")
    assert library.index["nist-sp800-53r5:ra-8"].requirement.title == \
        "RA-8 Privacy Impact Assessments"
    assert library.index["nist-sp800-53r5:ac-2"].requirement.title.startswith("AC-2 ")
    assert not library.notes


def test_oscal_selection_missing_from_catalogue_is_located(tmp_path: Path) -> None:
    fw = tmp_path / "fw"
    fw.mkdir()
    (fw / "sel.yaml").write_text(
        "id: sel\ntitle: t\nversion: '1'\npublisher: p\nbinding: guidance\n"
        "source: {title: t, checked_on: 2026-12-04, confidence: verified}\n"
        "oscal:\n  catalogs: [mini-catalog.json]\n  rationale: test\n"
        "  controls: [xx-1, xx-9]\n", encoding="utf-8")
    with pytest.raises(ComplianceInputError, match=r"sel.yaml:10:\d+: control 'xx-9' is not in "
                       "the OSCAL catalogues"):
        load_library([fw], oscal_dir=DATA, packaged=False)
    (fw / "sel.yaml").write_text((fw / "sel.yaml").read_text().replace("xx-9", "xx-1.1"))
    library = load_library([fw], oscal_dir=DATA, packaged=False)
    assert library.index["sel:xx-1"].requirement.title == "XX-1 First control"
    assert library.index["sel:xx-1.1"].requirement.title == "XX-1.1 Its enhancement"


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ComplianceInputError, match="not a folder"):
        load_library([tmp_path / "absent"])


def test_unmapped_requirements_are_listed() -> None:
    library = packaged()
    unmapped = library.unmapped()
    assert "eu-ai-act:art9" not in unmapped
    assert unmapped == tuple(sorted(unmapped))
    assert 0 < len(unmapped) < len(library.index) // 4  # most requirements are connected


def test_oscal_catalogue_name_cannot_leave_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "sel.yaml"
    path.write_text(
        "id: sel\ntitle: t\nversion: '1'\npublisher: p\nbinding: guidance\n"
        "source: {title: t, checked_on: 2026-12-04, confidence: verified}\n"
        "oscal:\n  catalogs: [../../etc/cat.json]\n  rationale: test\n  controls: [xx-1]\n",
        encoding="utf-8")
    with pytest.raises(ComplianceInputError, match=r"sel.yaml:8:\d+:"):
        load_framework(path)
