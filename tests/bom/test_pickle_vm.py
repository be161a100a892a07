"""The symbolic pickle machine: unpickler semantics, hostile lengths, and no crash on any input."""

from __future__ import annotations

import io
import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.bom.pickle_corpus import P2, P4, call, g, u

from stackrift.bom import artefacts
from stackrift.findings import Severity


def _scan(data: bytes) -> list[tuple[str, Severity, str]]:
    return [(f.rule, f.severity, f.detail)
            for f in artefacts.scan_pickle_bytes(io.BytesIO(data), "x.pkl")]


def test_stack_global_operands_are_what_the_stack_holds_not_the_last_strings() -> None:
    # "os", "system" stay on the stack; a decoy pair is pushed and popped before STACK_GLOBAL.
    data = P4 + u("os") + u("system") + u("collections") + u("OrderedDict") + b"00\x93."
    assert _scan(data) == [("dangerous-import", Severity.CRITICAL, "os.system")]


def test_a_name_built_by_a_call_is_unresolved_and_critical() -> None:
    data = P4 + call(g("_codecs", "encode"), u("bf"), u("rot13")) + u("system") + b"\x93."
    ((rule, severity, detail),) = _scan(data)
    assert (rule, severity) == ("unresolved-import", Severity.CRITICAL)
    assert "the result of calling _codecs.encode" in detail


def test_non_string_stack_global_operands_are_unresolved() -> None:
    data = P4 + b"C\x02os" + u("system") + b"\x93."  # bytes, not str
    assert [r for r, _, _ in _scan(data)] == ["unresolved-import"]


def test_python2_names_are_mapped_as_the_unpickler_maps_them() -> None:
    assert artefacts.classify_import("__builtin__", "set") is None
    assert artefacts.classify_import("copy_reg", "_reconstructor") is None
    assert artefacts.classify_import("commands", "getoutput") is Severity.CRITICAL


def test_allow_list_is_exact_pairs_not_packages() -> None:
    assert artefacts.classify_import("torch._utils", "_rebuild_tensor_v2") is None
    assert artefacts.classify_import("numpy", "dtype") is None
    assert artefacts.classify_import("torch", "Tensor") is Severity.HIGH  # not on the list
    assert artefacts.classify_import("numpy", "load") is Severity.CRITICAL
    assert artefacts.classify_import("torch.storage", "_load_from_bytes") is Severity.HIGH
    assert artefacts.classify_import("collections", "OrderedDict.__globals__") is \
        Severity.CRITICAL


def test_pop_on_empty_frame_discards_the_mark_like_the_unpickler() -> None:
    # MARK then POP with nothing above the mark: the unpickler pops the mark; no corruption.
    data = P2 + b"(0" + call(g("os", "system"), u("id")) + b"."
    assert _scan(data) == [("dangerous-import", Severity.CRITICAL, "os.system")]


@pytest.mark.parametrize("opcode", [b"\x8e", b"\x96", b"B", b"X", b"\x8d"])
def test_huge_length_fields_are_not_allocated(opcode: bytes) -> None:
    # 8-byte (or 4-byte) lengths near 2**62: the read is capped to what the data holds.
    width = 8 if opcode in (b"\x8e", b"\x96", b"\x8d") else 4
    length = struct.pack("<Q", 2**62) if width == 8 else struct.pack("<I", 2**31 - 1)
    ((rule, severity, _),) = _scan(P4 + opcode + length + b"abc")
    assert (rule, severity) == ("truncated-pickle", Severity.HIGH)


def test_text_is_not_mistaken_for_a_pickle() -> None:
    for text in (b"torch==2.3.1\ntransformers==4.44.0\n", b"(not a pickle)\n", b"little"):
        assert not artefacts.looks_like_pickle(text)
    assert artefacts.looks_like_pickle(b"cos\nsystem\n(S'id'\ntR.")
    assert artefacts.looks_like_pickle(pickle.dumps({}, protocol=0))


def test_txt_file_holding_a_pickle_is_read_as_a_model_file(tmp_path: Path) -> None:
    from stackrift.bom.base import read_bom

    path = tmp_path / "requirements.txt"
    path.write_bytes(P2 + call(g("os", "system"), u("id")) + b".")
    document = read_bom(path)
    assert document.format == "huggingface"
    assert [f.severity for f in document.metadata["artefact_findings"]] == [Severity.CRITICAL]


SEEDS = [pickle.dumps(OrderedDict(a=[1.0, 2.0], b=("x", b"y"), c={1, 2}), protocol=p)
         for p in range(6)] + [P4 + u("os") + u("system") + b"\x93" + u("id") + b"\x85R."]


@settings(max_examples=300, deadline=None)
@given(seed=st.sampled_from(SEEDS),
       edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255),
                                st.sampled_from(["set", "delete", "insert"])), max_size=4))
def test_mutated_pickles_never_crash_the_scan(seed: bytes,
                                              edits: list[tuple[int, int, str]]) -> None:
    data = bytearray(seed)
    for position, value, action in edits:
        index = position % max(len(data), 1)
        if action == "set" and data:
            data[index] = value
        elif action == "delete" and data:
            del data[index]
        else:
            data.insert(index, value)
    findings = artefacts.scan_pickle_bytes(io.BytesIO(bytes(data)), "fuzz.pkl")
    assert all(isinstance(f, artefacts.ArtefactFinding) for f in findings)


def test_compressed_archive_that_holds_no_pickle_is_not_expanded(tmp_path: Path) -> None:
    import gzip
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("data/train.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    path = tmp_path / "dataset.tar.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    assert [(f.rule, f.severity) for f in artefacts.scan_file(path)] == [
        ("not-a-pickle", Severity.INFO)]


def test_bz2_pickle_whose_first_block_is_large_is_still_scanned(tmp_path: Path) -> None:
    import bz2
    import random

    filler = bytes(random.Random(1).randrange(256) for _ in range(400_000))
    data = P2 + call(g("os", "system"), u("id")) + b"B" + struct.pack(
        "<I", len(filler)) + filler + b"0."
    path = tmp_path / "model.pkl.bz2"
    path.write_bytes(bz2.compress(data))
    assert [(f.rule, f.severity) for f in artefacts.scan_file(path)] == [
        ("dangerous-import", Severity.CRITICAL)]


def test_encrypted_or_corrupt_zip_member_is_a_high_finding_not_a_crash(tmp_path: Path) -> None:
    import zipfile

    evil = P2 + call(g("os", "system"), u("id")) + b"."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", evil)
    data = bytearray(buffer.getvalue())
    encrypted = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # "encrypted" bit
        index = encrypted.find(signature)
        encrypted[index + flag_at] |= 1
    corrupt = bytearray(data)
    corrupt[30 + len("archive/data.pkl") + 2] ^= 0xFF  # inside the deflate stream
    for name, content in (("encrypted.pt", encrypted), ("corrupt.pt", corrupt)):
        path = tmp_path / name
        path.write_bytes(bytes(content))
        findings = artefacts.scan_file(path)
        assert findings and max(f.severity.rank for f in findings) >= Severity.HIGH.rank, name
