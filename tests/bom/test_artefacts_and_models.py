"""Model folders, lineage, and artefact safety (pickles are never loaded)."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from stackrift.bom import artefacts
from stackrift.bom.base import read_bom
from stackrift.bom.provenance import enrich
from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.errors import InvalidInputError
from stackrift.findings import Severity

CATALOGUE = Path(__file__).parent / "catalogue"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


def _malicious_pickle(sentinel: Path, protocol: int) -> bytes:
    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {sentinel}",))

    return pickle.dumps(Payload(), protocol=protocol)


def _safetensors(path: Path, header: dict[str, object], data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _model_folder(root: Path, card: str) -> Path:
    folder = root / "unknown-org" / "qwen-support-ft"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(card)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2",
                                                    "architectures": ["Qwen2ForCausalLM"]}))
    _safetensors(folder / "model.safetensors",
                 {"__metadata__": {"format": "pt"},
                  "w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}}, b"\0" * 8)
    return folder


CARD = """---
license: apache-2.0
base_model: Qwen/Qwen2.5-7B
base_model_relation: finetune
datasets:
  - acme/support-tickets
library_name: transformers
pipeline_tag: text-generation
---
# A support model
"""


def test_fine_tune_of_qwen_by_unknown_org_shows_lineage(tmp_path: Path,
                                                         catalogue: Catalogue) -> None:
    document = read_bom(_model_folder(tmp_path, CARD))
    assert document.format == "huggingface"
    model = document.components[0]
    assert model.base_models == ("Qwen/Qwen2.5-7B",)
    assert model.base_model_relation is not None and model.base_model_relation.value == "finetune"
    assert model.license == "apache-2.0"
    assert len(model.hashes) == 1 and model.hashes[0].alg == "SHA-256"
    assert document.components[1].hf_id == "acme/support-tickets"
    assert document.dependencies[0].kind == "trained-on"
    found = enrich(document, catalogue)[model.id]
    assert found.vendor is None and found.bloc.value == "unknown"
    origin = found.origin
    assert origin is not None
    assert (origin.reference, origin.vendor, origin.country, origin.bloc.value) == (
        "Qwen/Qwen2.5-7B", "Alibaba Cloud", "CN", "cn")
    assert found.lineage_text() == ("qwen-support-ft (not catalogued) -> "
                                    "Qwen/Qwen2.5-7B (Alibaba Cloud, CN)")


def test_base_model_list(tmp_path: Path) -> None:
    card = "---\nbase_model:\n  - Qwen/Qwen2.5-7B\n  - meta-llama/Llama-3.1-8B\n" \
           "base_model_relation: merge\n---\n"
    model = read_bom(_model_folder(tmp_path, card)).components[0]
    assert model.base_models == ("Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B")


def test_card_yaml_is_parsed_safely(tmp_path: Path) -> None:
    card = "---\nlicense: !!python/object/apply:os.system ['true']\n---\n"
    with pytest.raises(InvalidInputError) as caught:
        read_bom(_model_folder(tmp_path, card))
    problem = caught.value.problems[0]
    assert problem.location.file.endswith("README.md") and problem.location.line == 2


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_posix_system_pickle_is_critical_and_never_runs(tmp_path: Path, protocol: int) -> None:
    sentinel = tmp_path / "payload-ran"
    weights = tmp_path / "pytorch_model.bin"
    weights.write_bytes(_malicious_pickle(sentinel, protocol))
    findings = artefacts.scan_file(weights)
    assert [(f.rule, f.severity, f.detail) for f in findings] == [
        ("dangerous-import", Severity.CRITICAL, f"{os.system.__module__}.system")]
    assert not sentinel.exists()


def test_pickle_inside_pytorch_zip(tmp_path: Path) -> None:
    sentinel = tmp_path / "payload-ran"
    checkpoint = tmp_path / "model.pt"
    with zipfile.ZipFile(checkpoint, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", _malicious_pickle(sentinel, 2))
        archive.writestr("archive/data/0", b"\0" * 16)
    findings = artefacts.scan_file(checkpoint)
    assert findings[0].path == f"{checkpoint}!archive/data.pkl"
    assert findings[0].severity is Severity.CRITICAL
    assert not sentinel.exists()


def test_hand_written_opcodes_for_eval_and_subprocess(tmp_path: Path) -> None:
    # GLOBAL builtins eval; STACK_GLOBAL subprocess.Popen via memoised strings.
    eval_pickle = b"cbuiltins\neval\n(S'1+1'\ntR."
    popen = (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\nsubprocess\x94\x8c\x05Popen"
             b"\x94\x93\x94.")
    for data, expected in ((eval_pickle, "builtins.eval"), (popen, "subprocess.Popen")):
        path = tmp_path / "x.pkl"
        path.write_bytes(data)
        assert [f.detail for f in artefacts.scan_file(path)] == [expected]


def test_benign_checkpoint_pickle_has_no_findings(tmp_path: Path) -> None:
    from collections import OrderedDict

    path = tmp_path / "state.pth"
    path.write_bytes(pickle.dumps(OrderedDict(weight=[1.0, 2.0]), protocol=2))
    assert artefacts.scan_file(path) == []


def test_zip_bomb_member_is_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * (20 * 1024 * 1024))
    findings = artefacts.scan_file(path)
    assert [f.rule for f in findings] == ["zip-bomb"]


def test_folder_with_malicious_weights_reports_findings(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, CARD)
    (folder / "pytorch_model.bin").write_bytes(_malicious_pickle(tmp_path / "ran", 2))
    document = read_bom(folder)
    findings = document.metadata["artefact_findings"]
    assert [f.severity for f in findings] == [Severity.CRITICAL]
    assert not (tmp_path / "ran").exists()


def test_safetensors_out_of_bounds_tensor(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    _safetensors(path, {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                        "v": {"dtype": "F32", "shape": [1000], "data_offsets": [16, 4016]}},
                 b"\0" * 16)
    header = artefacts.read_safetensors_header(path)
    assert header.tensors == 2
    assert [f.rule for f in header.findings] == ["tensor-out-of-bounds"]
    assert "'v'" in header.findings[0].message


def test_safetensors_over_large_header_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(InvalidInputError, match=r"at byte 0: header length 1099511627776"):
        artefacts.read_safetensors_header(path)


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def test_gguf_metadata_and_tensor_bounds(tmp_path: Path) -> None:
    header = b"GGUF" + struct.pack("<IQQ", 3, 2, 2)
    header += _gguf_string("general.architecture") + struct.pack("<I", 8) + _gguf_string("qwen2")
    header += _gguf_string("general.license") + struct.pack("<I", 8) + _gguf_string("mit")
    header += _gguf_string("ok") + struct.pack("<I", 1) + struct.pack("<Q", 4) + \
        struct.pack("<IQ", 0, 0)
    header += _gguf_string("bad") + struct.pack("<I", 1) + struct.pack("<Q", 1000) + \
        struct.pack("<IQ", 0, 16)
    padding = (-len(header)) % 32
    path = tmp_path / "m.gguf"
    path.write_bytes(header + b"\0" * padding + b"\0" * 16)
    parsed = artefacts.read_gguf_header(path)
    assert parsed.metadata["general.architecture"] == "qwen2"
    assert [f.message.split(":")[0] for f in parsed.findings] == ["tensor 'bad'"]


def test_gguf_over_large_string_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**50))
    with pytest.raises(InvalidInputError, match="at byte 24: string of"):
        artefacts.read_gguf_header(path)


def test_gguf_nested_arrays_are_bounded(tmp_path: Path) -> None:
    value = struct.pack("<IQ", 0, 0)  # an empty array of u8 ...
    for _ in range(10):
        value = struct.pack("<IQ", 9, 1) + value  # ... wrapped in one-item arrays
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _gguf_string("k") + \
        struct.pack("<I", 9) + value
    path = tmp_path / "m.gguf"
    path.write_bytes(header)
    with pytest.raises(InvalidInputError, match="nested more than 4 levels"):
        artefacts.read_gguf_header(path)


def test_safetensors_deeply_nested_header_is_bad_input(tmp_path: Path) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(InvalidInputError, match="at byte 8: header is not JSON"):
        artefacts.read_safetensors_header(path)


def test_non_pickle_bin_is_reported_as_not_scanned(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\xff\xfe raw tensor bytes")
    (finding,) = artefacts.scan_file(path)
    assert (finding.rule, finding.severity) == ("not-a-pickle", Severity.INFO)


def test_legacy_torch_save_layout_is_scanned_past_the_first_pickle(tmp_path: Path) -> None:
    # Legacy torch.save: magic number, protocol, system info, then the object pickle, then raw
    # storage bytes; the dangerous import hides in the fourth pickle here.
    sentinel = tmp_path / "ran"
    data = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, {}))
    data += _malicious_pickle(sentinel, 2) + b"\x00\x01\x02 raw storage"
    path = tmp_path / "legacy.pt"
    path.write_bytes(data)
    assert [f.severity for f in artefacts.scan_file(path)] == [Severity.CRITICAL]
    assert not sentinel.exists()


def test_hugging_face_cache_snapshot_names_the_repository(tmp_path: Path,
                                                          catalogue: Catalogue) -> None:
    snapshot = tmp_path / "hub" / "models--Qwen--Qwen2.5-7B-Instruct" / "snapshots" / "a09a354"
    snapshot.mkdir(parents=True)
    (snapshot / "README.md").write_text("---\nlicense: apache-2.0\nbase_model: Qwen/Qwen2.5-7B\n"
                                        "pipeline_tag: text-generation\n---\n")
    (snapshot / "config.json").write_text('{"model_type": "qwen2"}')
    document = read_bom(snapshot)
    model = document.components[0]
    assert (model.id, model.hf_id) == ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct")
    assert document.metadata["model_cards"][model.id]["task"] == "text-generation"
    found = enrich(document, catalogue)[model.id]
    assert (found.vendor, found.bloc.value, found.evidence) == ("Alibaba Cloud", "cn", "hf-org")
