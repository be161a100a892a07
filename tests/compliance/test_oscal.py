"""The OSCAL reader on NIST's real catalogues and on broken input."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.compliance.model import ComplianceInputError
from stackrift.compliance.oscal import read_catalog

from .helpers import DATA


def test_high_baseline_has_370_controls(shared_data: Path) -> None:
    catalog = read_catalog(shared_data / "oscal" / "sp800-53-rev5" /
                           "NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json")
    assert len(catalog.controls) == 370  # the figure the data README states
    assert catalog.version == "5.1.1+u4"
    assert catalog.controls["ac-2.1"].label == "AC-2(1)"
    assert catalog.controls["ac-2"].group == "Access Control"


def test_example_catalogue_reads(shared_data: Path) -> None:
    catalog = read_catalog(shared_data / "oscal" / "examples" / "basic-catalog.json")
    assert catalog.controls


def test_hand_made_catalogue_nests_enhancements() -> None:
    catalog = read_catalog(DATA / "mini-catalog.json")
    assert sorted(catalog.controls) == ["xx-1", "xx-1.1", "xx-2"]
    assert catalog.controls["xx-2"].label == "XX-2"


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ('{"profile": {}}', "no 'catalog' object"),
    ('{"catalog": {"groups": [{"controls": [{"id": 1}]}]}}', "without a string id and title"),
    ('{"catalog": {"groups": {"a": 1}}}', "not a list"),
])
def test_broken_catalogues_name_file_and_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cat.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ComplianceInputError, match=message) as info:
        read_catalog(path)
    assert str(path) in str(info.value)
    if text == "{not json":  # located where the decoder stopped
        assert str(info.value).startswith(f"{path}:1:2: not valid JSON (")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    control = '{"id": "a", "title": "a"}'
    for _ in range(12):
        control = '{"id": "a", "title": "a", "controls": [' + control + "]}"
    path = tmp_path / "deep.json"
    path.write_text('{"catalog": {"controls": [' + control + "]}}", encoding="utf-8")
    with pytest.raises(ComplianceInputError, match="nested too deeply"):
        read_catalog(path)
