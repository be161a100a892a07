"""Inputs that crashed readers (exit 3) now give located input errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.cli import main
from stackrift.errors import InvalidInputError
from stackrift.estate.loader import load_estate

SPDX2 = {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
         "dataLicense": "CC0-1.0", "documentNamespace": "https://example.org/x",
         "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: x"]},
         "packages": [{"SPDXID": "SPDXRef-a", "name": "a", "downloadLocation": "NOASSERTION"}]}
SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


def _exit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as caught:
        main(args)
    code = caught.value.code
    return int(code) if isinstance(code, int) else 0, capsys.readouterr().err


@pytest.mark.parametrize("describes", [[{"spdxElementId": "SPDXRef-a"}], {"a": 1}, 5])
def test_spdx2_document_describes_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          describes: object) -> None:
    path = tmp_path / "bom.spdx.json"
    path.write_text(json.dumps({**SPDX2, "documentDescribes": describes}))
    code, err = _exit(["bom", str(path)], capsys)
    assert code == 2 and "documentDescribes" in err and "internal error" not in err
    assert f"{path}:1:" in err  # located


@pytest.mark.parametrize("element", [
    {"type": "software_Package", "spdxId": "p", "name": "p", "externalIdentifier": {"a": 1}},
    {"type": "software_Package", "spdxId": "p", "name": "p", "verifiedUsing": 3},
    {"type": "Relationship", "spdxId": "r", "from": ["p"], "to": "q",
     "relationshipType": "dependsOn"},
    {"type": "Relationship", "spdxId": "r", "from": "p", "to": "q",
     "relationshipType": ["dependsOn"]},
])
def test_spdx3_non_list_where_a_list_is_expected(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 element: dict[str, object]) -> None:
    path = tmp_path / "bom.spdx3.json"
    path.write_text(json.dumps({"@context": SPDX3_CONTEXT, "@graph": [
        {"type": "software_Package", "spdxId": "q", "name": "q"}, element]}))
    code, err = _exit(["bom", str(path)], capsys)
    assert code == 2 and "internal error" not in err and "@graph" in err


ESTATE = 'schema_version: 1\norganisation:\n  name: "Acme \\uD800"\n  hq_country: US\n'


def test_lone_surrogate_in_estate_is_an_input_error(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE)
    with pytest.raises(InvalidInputError, match="lone UTF-16 surrogate") as caught:
        load_estate(path)
    assert caught.value.problems[0].location.line == 3
    for command in (["validate", str(path)], ["assess", str(path), "-f", "json"]):
        code, err = _exit(command, capsys)
        assert code == 2 and "surrogate" in err, command


def test_lone_surrogate_in_a_key_is_an_input_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text('schema_version: 1\norganisation: {name: a, hq_country: US}\n'
                    '"\\uDC00x": 1\n')
    code, err = _exit(["validate", str(path)], capsys)
    assert code == 2 and "estate.yaml:3:1" in err


def test_feed_record_of_the_wrong_shape_is_a_rejection(tmp_path: Path) -> None:
    from stackrift.advisories.cve5 import Cve5Feed
    from stackrift.advisories.model import Rejection

    path = tmp_path / "CVE-2024-1.json"
    path.write_text(json.dumps({"dataType": "CVE_RECORD", "cveMetadata": {
        "cveId": "CVE-2024-1", "datePublished": {"when": "today"}}, "containers": True}))
    (outcome,) = list(Cve5Feed().parse(path))
    assert isinstance(outcome, Rejection) and "'published' is not text" in outcome.reason


def test_vex_statement_of_the_wrong_shape_is_an_input_error(tmp_path: Path) -> None:
    from stackrift.advisories.vex import load_vex

    path = tmp_path / "vex.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "vulnerabilities": [None]}))
    with pytest.raises(InvalidInputError, match="unexpected type"):
        load_vex(path)


def test_control_characters_in_names_do_not_stop_the_xml_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lxml import etree

    sbom = tmp_path / "bom.cdx.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "components": [{"type": "library", "bom-ref": "t\x01",
                                                "name": "evil\x1b[2J\x00name",
                                                "version": "1"}]}))
    target = tmp_path / "out.xml"
    code, err = _exit(["bom", str(sbom), "-f", "cyclonedx-xml", "-o", str(target)], capsys)
    assert code == 0, err
    names = etree.parse(str(target)).getroot().findall(".//{*}component/{*}name")
    assert "evil\\u001b[2J\\u0000name" in [n.text for n in names]


def test_import_of_a_device_says_what_it_is(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit(["db", "import", "--db", str(tmp_path / "s.sqlite"), "/dev/zero"], capsys)
    assert code == 2 and "not a regular file" in err
