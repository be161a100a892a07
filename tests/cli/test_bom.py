"""`stackrift bom` as a user runs it: outputs, exit codes, located errors, no tracebacks."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator

from stackrift.cli import main

CATALOGUE = str(Path(__file__).parent.parent / "bom" / "catalogue")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["bom", *args])
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def _model(bom: dict[str, object], hf_id: str) -> dict[str, object]:
    components = bom["components"]
    assert isinstance(components, list)
    return next(c for c in components if {"name": "stackrift:hf-id", "value": hf_id}
                in c.get("properties", []))


def test_qwen_aibom_is_cn_and_valid_cyclonedx_16(shared_data: Path) -> None:
    source = shared_data / "aibom" / "examples" / "Qwen2.5-7B-Instruct.json"
    result = subprocess.run([sys.executable, "-m", "stackrift", "bom", str(source), "--format",
                             "cyclonedx-json", "--catalog", CATALOGUE, "--as-of", "2026-11-29"],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)
    props = {p["name"]: p["value"] for p in _model(bom, "Qwen/Qwen2.5-7B-Instruct")["properties"]}
    assert props["stackrift:bloc"] == "cn"
    assert props["stackrift:country"] == "CN"
    assert props["stackrift:entity-list"] == "not listed as of 2026-11-15"
    assert props["stackrift:lineage"] == ("Qwen/Qwen2.5-7B-Instruct (Alibaba Cloud, CN) -> "
                                          "Qwen/Qwen2.5-7B (Alibaba Cloud, CN)")


@pytest.mark.parametrize(("version", "schema"), [("1.5", SchemaVersion.V1_5),
                                                 ("1.6", SchemaVersion.V1_6),
                                                 ("1.7", SchemaVersion.V1_7)])
def test_xml_output_validates(shared_data: Path, capsys: pytest.CaptureFixture[str],
                              version: str, schema: SchemaVersion) -> None:
    source = shared_data / "aibom" / "examples" / "Llama-3.2-1B-Instruct.json"
    code, out, _ = run(capsys, str(source), "--format", "cyclonedx-xml", "--spec-version",
                       version, "--catalog", CATALOGUE)
    assert code == 0
    assert XmlValidator(schema).validate_str(out) is None
    assert "stackrift:bloc" in out and ">us<" in out


def test_spdx3_output(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = shared_data / "aibom" / "examples" / "Qwen2.5-7B-Instruct.json"
    code, out, _ = run(capsys, str(source), "--format", "spdx3-jsonld", "--catalog", CATALOGUE)
    assert code == 0
    graph = json.loads(out)["@graph"]
    types = {e["type"] for e in graph}
    assert {"ai_AIPackage", "dataset_DatasetPackage", "SpdxDocument", "Relationship"} <= types
    kinds = {e["relationshipType"] for e in graph if e["type"] == "Relationship"}
    assert {"descendantOf", "dependsOn", "hasDeclaredLicense"} <= kinds


def test_model_folder_with_malicious_pickle_exits_1(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    sentinel = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {sentinel}",))

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-7B\n---\n")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(), protocol=2))
    code, out, err = run(capsys, str(folder), "--catalog", CATALOGUE)
    assert code == 1
    assert f"CRITICAL: {folder / 'pytorch_model.bin'}: pickle imports " in err
    assert ".system, which can run code" in err
    assert err.rstrip().endswith(f"{folder}: 1 components (1 unknown), 1 with base-model "
                                 "lineage, 1 unsafe model artefacts (huggingface)")
    assert json.loads(out)["components"][0]["type"] == "machine-learning-model"
    assert not sentinel.exists()


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("bom.json", '{"bomFormat": "CycloneDX",\n "specVersion": "1.6",\n "components": [}',
     "bom.json:3:17: malformed JSON"),
    ("bom.json", '{"bomFormat": "CycloneDx", "specVersion": "1.6"}',
     "bom.json:1:15: $.bomFormat: bomFormat is 'CycloneDx'"),
    ("bom.xml", '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6">\n'
     '<components></bom>', "bom.xml:3:"),
    ("poetry.lock", "[[package]]\nname = \n", "poetry.lock:2:8: malformed TOML"),
    ("uv.lock", "version = 1\n[[package]\n", "uv.lock:2:"),
])
def test_bad_input_exits_2_with_location(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith(str(tmp_path / expected)), err


def test_over_large_safetensors_header_exits_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    code, _, err = run(capsys, str(folder))
    assert code == 2
    assert err.startswith(f"{folder / 'model.safetensors'}: at byte 0: header length")


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys)[0] == 2
    code, _, err = run(capsys, str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read file" in err
    path = tmp_path / "requirements.txt"
    path.write_text("six==1.16.0\n")
    code, _, err = run(capsys, str(path), "--spec-version", "1.4")
    assert code == 2 and "--spec-version 1.4 is not supported" in err


def test_env_lists_installed_packages(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "env.cdx.json"
    code, _, _ = run(capsys, "--env", "-o", str(target))
    assert code == 0
    names = {c["name"] for c in json.loads(target.read_text())["components"]}
    assert {"pydantic", "typer"} <= names


def test_single_weight_file_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sentinel = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {sentinel}",))

    weights = tmp_path / "model.ckpt"
    weights.write_bytes(pickle.dumps(Payload(), protocol=4))
    code, out, err = run(capsys, str(weights), "--catalog", CATALOGUE)
    assert code == 1
    assert err.startswith(f"CRITICAL: {weights}: pickle imports ")
    component = json.loads(out)["components"][0]
    assert component["name"] == "model"
    assert component["hashes"][0]["alg"] == "SHA-256"
    assert not sentinel.exists()


def test_packaged_catalogue_marks_qwen_cn(shared_data: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from stackrift.catalog.catalogue import load_catalogue

    if load_catalogue().vendor_by_hf_org("Qwen") is None:
        pytest.skip("the packaged catalogue does not catalogue the Qwen organisation yet")
    source = shared_data / "aibom" / "examples" / "Qwen2.5-7B-Instruct.json"
    code, out, _ = run(capsys, str(source), "--format", "cyclonedx-json")
    assert code == 0
    props = {p["name"]: p["value"] for p in _model(json.loads(out),
                                                    "Qwen/Qwen2.5-7B-Instruct")["properties"]}
    assert props["stackrift:bloc"] == "cn"


def test_spdx3_output_loads_with_the_spdx_model(shared_data: Path, tmp_path: Path) -> None:
    # The SPDX project's generated 3.0.1 bindings reject unknown types and properties, and
    # list references to elements that are not in the document.
    import spdx_python_model

    from stackrift.bom import spdx3_out
    from stackrift.bom.base import read_bom

    for source in (shared_data / "aibom/examples/Qwen2.5-7B-Instruct.json",
                   shared_data / "spdx/ai/example01/spdx3.0/simplehtr-example.json",
                   shared_data / "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json"):
        graph = spdx3_out.build(read_bom(source), as_of="2026-11-29")
        _, objects = spdx_python_model.load_data(graph)
        assert objects.missing_ids == set(), source
        types = {type(o).__name__ for o in objects.foreach()}
        assert "SpdxDocument" in types
