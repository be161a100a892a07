"""CycloneDX JSON reader: the specification's conformance suite and real SBOMs/AI-BOMs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.bom.base import read_bom
from stackrift.errors import InvalidInputError
from stackrift.estate.model import ComponentType


def test_every_conformance_document_behaves_as_named(shared_data: Path) -> None:
    folder = shared_data / "cyclonedx" / "spec-conformance"
    documents = sorted(folder.glob("*/*.json"))
    assert len(documents) == 269
    accepted, rejected = 0, 0
    for document in documents:
        if document.name.startswith("valid-"):
            read_bom(document)
            accepted += 1
            continue
        assert document.name.startswith("invalid-")
        with pytest.raises(InvalidInputError) as caught:
            read_bom(document)
        problems = caught.value.problems
        assert problems, document
        for problem in problems:
            assert problem.location.file == str(document)
            # Each message names the offending JSON path.
            assert problem.message.startswith("$"), problem
        rejected += 1
    assert (accepted, rejected) == (171, 98)


def test_invalid_hash_names_path_and_line(shared_data: Path) -> None:
    document = shared_data / "cyclonedx/spec-conformance/1.6/invalid-hash-alg-1.6.json"
    with pytest.raises(InvalidInputError) as caught:
        read_bom(document)
    problem = caught.value.problems[0]
    assert problem.message.startswith("$.components[0].hashes[0].alg:")
    assert problem.location.line > 1


REAL_SBOMS = {
    "SBOM/juice-shop/via_npm/flat/bom.1.4.json": (1116, 1116),
    "SBOM/keycloak-10.0.2/bom.json": (904, 899),
    "SBOM/dropwizard-1.3.15/bom.json": (168, 167),
    "SBOM/laravel-7.12.0/bom.1.2.json": (63, 63),
    "SBOM/laravel-7.12.0/bom.1.4.json": (63, 63),
    "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json": (202, 202),
    "SBOM/protonmail-webclient-v4-0912dff/bom.json": (884, 0),
    "SBOM/cern-lhc-vdm-editor-e564943/bom.json": (44, 0),
    "SBOM/juice-shop/v11.1.2/bom.json": (841, 0),
    "CBOM/Algorithm/bom.json": (3, 0),
    "CBOM/Example-With-Dependencies/bom.json": (4, 4),
    "HBOM/PCIe-SATA-adapter-board/bom.json": (7, 0),
    "SaaSBOM/apigateway-microservices-datastores/bom.json": (7, 5),
}


@pytest.mark.parametrize(("relative", "expected"), sorted(REAL_SBOMS.items()))
def test_real_sboms_component_counts(shared_data: Path, relative: str,
                                     expected: tuple[int, int]) -> None:
    document = read_bom(shared_data / "cyclonedx" / "bom-examples" / relative)
    assert (len(document.components), len(document.dependencies)) == expected
    assert document.format == "cyclonedx-json"
    assert len({c.id for c in document.components}) == len(document.components)


def test_every_real_json_sbom_reads(shared_data: Path) -> None:
    files = sorted((shared_data / "cyclonedx" / "bom-examples").rglob("*.json"))
    assert len(files) == 23
    for file in files:
        assert read_bom(file).components, file


def test_saasbom_services_are_cloud_services(shared_data: Path) -> None:
    document = read_bom(shared_data / "cyclonedx/bom-examples/SaaSBOM/"
                        "apigateway-microservices-datastores/bom.json")
    kinds = sorted(c.type.value for c in document.components)
    assert kinds == ["application"] + ["cloud_service"] * 6


AIBOMS = {"Qwen2.5-7B-Instruct.json": (63, "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"),
          "Llama-3.2-1B-Instruct.json": (37, "meta-llama/Llama-3.2-1B-Instruct", None),
          "FLUX.1-dev.json": (32, "black-forest-labs/FLUX.1-dev", None)}


@pytest.mark.parametrize(("name", "expected"), sorted(AIBOMS.items()))
def test_aiboms(shared_data: Path, name: str, expected: tuple[int, str, str | None]) -> None:
    count, model_hf, base_hf = expected
    path = shared_data / "aibom" / "examples" / name
    raw = json.loads(path.read_text())
    document = read_bom(path)
    assert len(document.components) == count
    model = next(c for c in document.components if c.hf_id == model_hf)
    assert model.type is ComponentType.MODEL
    assert model.license == raw["components"][0]["licenses"][0]["license"].get("id", model.license)
    by_id = {c.id: c for c in document.components}
    if base_hf is None:
        assert model.base_models == ()
    else:
        assert by_id[model.base_models[0]].hf_id == base_hf
    datasets = [c for c in document.components if c.type is ComponentType.DATASET]
    assert datasets or name == "FLUX.1-dev.json"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bom.json"
    path.write_text(text)
    return path


def test_malformed_json_has_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"bomFormat": "CycloneDX",\n  "specVersion": "1.6",\n  oops}')
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    problem = caught.value.problems[0]
    assert (problem.location.line, problem.location.column) == (3, 3)
    assert "malformed JSON" in problem.message


def test_wrong_bom_format(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"bomFormat": "SPDX", "specVersion": "1.6"}')
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    assert str(caught.value) == (f"{path}:1:15: $.bomFormat: bomFormat is 'SPDX'; "
                                 'bomFormat "CycloneDX"')


def test_unsupported_spec_version(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"bomFormat": "CycloneDX", "specVersion": "9.9"}')
    with pytest.raises(InvalidInputError, match=r"\$\.specVersion: specVersion '9.9'"):
        read_bom(path)


def test_duplicate_bom_ref_is_rejected(tmp_path: Path) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "a", "bom-ref": "x"},
        {"type": "library", "name": "b", "bom-ref": "y",
         "components": [{"type": "library", "name": "c", "bom-ref": "x"}]}]}
    path = _write(tmp_path, json.dumps(doc, indent=1))
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    assert caught.value.problems[0].message.startswith(
        "$.components[1].components[0].bom-ref: bom-ref 'x' is already used at "
        "$.components[0].bom-ref")


def test_supplier_country_and_nested_components(tmp_path: Path) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6",
           "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
           "components": [
               {"type": "machine-learning-model", "name": "m", "bom-ref": "m",
                "supplier": {"name": "Acme AI", "address": {"country": "SG"}},
                "hashes": [{"alg": "SHA-256", "content": "AB" * 32}],
                "licenses": [{"license": {"id": "MIT"}}, {"license": {"name": "Custom"}}],
                "modelCard": {"modelParameters": {"datasets": [{"ref": "d"}]}},
                "components": [{"type": "device-driver", "name": "drv"}]},
               {"type": "data", "name": "d", "bom-ref": "d",
                "data": [{"type": "dataset", "name": "d"}]}],
           "dependencies": [{"ref": "app", "dependsOn": ["m"]}]}
    document = read_bom(_write(tmp_path, json.dumps(doc)))
    by_id = {c.id: c for c in document.components}
    assert set(by_id) == {"app", "m", "d", "drv"}
    model = by_id["m"]
    assert (model.vendor, model.supplier_country, model.license) == ("Acme AI", "SG",
                                                                     "MIT AND Custom")
    assert model.hashes[0].value == "ab" * 32
    assert by_id["drv"].type is ComponentType.DRIVER
    assert by_id["d"].type is ComponentType.DATASET
    assert document.metadata["subject"] == "app"
    kinds = {(d.ref, d.kind, d.depends_on) for d in document.dependencies}
    assert kinds == {("app", "depends-on", ("m",)), ("m", "trained-on", ("d",))}


def test_absurd_nesting_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    node: dict[str, object] = {"type": "library", "name": "leaf"}
    for _ in range(150):
        node = {"type": "library", "name": "x", "components": [node]}
    path = _write(tmp_path, json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6",
                                        "components": [node]}))
    with pytest.raises(InvalidInputError, match=r"bom.json:1:1: \$: objects nested more than"):
        read_bom(path)


def test_model_card_parameters_survive_xml(shared_data: Path, tmp_path: Path) -> None:
    from stackrift.bom import cyclonedx_out

    document = read_bom(shared_data / "aibom" / "examples" / "Qwen2.5-7B-Instruct.json")
    model = next(c for c in document.components if c.hf_id == "Qwen/Qwen2.5-7B-Instruct")
    expected = {"task": "text-generation", "architectureFamily": "qwen2",
                "modelArchitecture": "Qwen2ForCausalLM"}
    assert document.metadata["model_cards"][model.id] == expected
    xml = tmp_path / "bom.xml"
    xml.write_text(cyclonedx_out.to_xml(cyclonedx_out.build(document, "1.6")))
    assert read_bom(xml).metadata["model_cards"][model.id] == expected


def test_inline_training_dataset_becomes_a_dataset_component(shared_data: Path) -> None:
    document = read_bom(shared_data / "cyclonedx/spec-conformance/1.6/"
                        "valid-machine-learning-1.6.json")
    dataset = next(c for c in document.components if c.name == "Training Data")
    assert dataset.type is ComponentType.DATASET
    assert document.metadata["data_kinds"][dataset.id] == "dataset"
    trained = [d for d in document.dependencies if d.kind == "trained-on"]
    assert [(d.ref, d.depends_on) for d in trained] == [("component-a", (dataset.id,))]
