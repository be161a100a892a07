"""Scan's direct CycloneDX JSON path gives the targets, and the errors, of the reader's path.

The reference is the reader (``read_bom``: estate components, then ``targets_from_document``),
run on every CycloneDX JSON file of the real data (``../shared/data``: the CycloneDX examples
and conformance suite, the AI-BOMs) and on small documents that exercise the walk's corners.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import astuple
from pathlib import Path
from typing import Any

import orjson
import pytest

from stackrift.advisories.matcher import Target
from stackrift.advisories.sbom_targets import cyclonedx_targets
from stackrift.advisories.scan import targets_from_document
from stackrift.bom.base import READERS, read_bom
from stackrift.errors import InputError


def _reference(path: Path) -> list[Target] | str:
    try:
        return targets_from_document(read_bom(path))
    except InputError as exc:
        return "\n".join(exc.diagnostics())


def _direct(path: Path) -> list[Target] | str | None:
    try:
        return cyclonedx_targets(path)
    except InputError as exc:
        return "\n".join(exc.diagnostics())


def _fields(found: list[Target] | str | None) -> Any:
    # astuple leaves out nothing a target holds (identity included)
    return found if found is None or isinstance(found, str) else [
        (*astuple(t), t.identity) for t in found]


def _json_files(shared_data: Path) -> list[Path]:
    folders = [shared_data / name for name in ("cyclonedx", "aibom", "spdx")]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.json"))


def test_real_sboms_give_the_readers_targets_and_errors(shared_data: Path) -> None:
    files = _json_files(shared_data)
    assert len(files) > 300, "expected the CycloneDX examples and conformance suite"
    direct_read = 0
    for path in files:
        direct = _direct(path)
        if direct is None:  # not CycloneDX JSON: detection gives it to another reader
            assert not _is_cyclonedx(path), path
            continue
        direct_read += 1
        assert _fields(direct) == _fields(_reference(path)), path
    assert direct_read > 250


def _is_cyclonedx(path: Path) -> bool:
    try:
        return read_bom(path).format == "cyclonedx-json"
    except InputError:
        return False


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "bom.json"
    path.write_bytes(orjson.dumps(document))
    return path


def _bom(components: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": components, **extra}


CORNERS = [
    # ids: repeated, invalid, absent bom-refs; group and version in the fallback id
    _bom([{"type": "library", "name": "a", "version": "1", "bom-ref": "x y"},
          {"type": "library", "name": "a", "version": "1", "bom-ref": "x-y"},
          {"type": "library", "name": "a", "group": "g", "version": "1"},
          {"type": "library", "name": "a", "group": "g", "version": "1"},
          {"type": "library", "name": " ", "version": "1"},
          {"type": "library", "name": "b", "cpe": "cpe:2.3:a:acme:b:2.0:*:*:*:*:*:*:*"},
          {"type": "library", "name": "c", "purl": "pkg:pypi/c@3.1"},
          {"type": "library", "name": "d", "version": "1", "supplier": {"name": "S"},
           "manufacturer": {"name": "M"}, "publisher": "P", "author": "A"},
          {"type": "library", "name": "e", "version": "1", "publisher": " ", "author": "A",
           "properties": [{"name": "stackrift:vendor", "value": "V"},
                          {"name": "stackrift:vendor", "value": "W"}]}]),
    # nesting: metadata subject, children, services, pedigree, model card datasets
    _bom([{"type": "machine-learning-model", "name": "m", "version": "1", "bom-ref": "m",
           "modelCard": {"modelParameters": {"datasets": [
               {"type": "dataset", "name": "inline", "version": "2"}, {"ref": "d1"}]}},
           "pedigree": {"ancestors": [{"type": "library", "name": "anc", "version": "0.1"}]},
           "components": [{"type": "library", "name": "child", "version": "1",
                           "components": [{"type": "library", "name": "grandchild"}]}]},
          {"type": "library", "name": "p", "version": "1",
           "properties": [{"name": "stackrift:base-models", "value": "x"}],
           "pedigree": {"ancestors": [{"type": "library", "name": "skipped"}]}},
          {"type": "data", "name": "d1", "bom-ref": "d1"}],
         metadata={"component": {"type": "application", "name": "app", "version": "9",
                                 "bom-ref": "m"}},
         services=[{"name": "svc", "version": "1", "provider": {"name": "Cloud"},
                    "services": [{"name": "inner"}]}]),
    # errors: schema and duplicate bom-ref
    _bom([{"type": "library", "name": "a", "version": 1}]),
    _bom([{"type": "library", "name": "a", "bom-ref": "r"},
          {"type": "library", "name": "b", "bom-ref": "r"}]),
]


@pytest.mark.parametrize("document", CORNERS)
def test_corners_give_the_readers_targets_and_errors(tmp_path: Path,
                                                     document: dict[str, Any]) -> None:
    path = _write(tmp_path, document)
    direct = _direct(path)
    assert direct is not None
    assert _fields(direct) == _fields(_reference(path))


def test_other_inputs_are_left_to_the_reader(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.0\n")
    (tmp_path / "broken.json").write_bytes(b'{"bomFormat": "CycloneDX", ')
    assert cyclonedx_targets(tmp_path / "requirements.txt") is None
    assert cyclonedx_targets(tmp_path) is None
    assert cyclonedx_targets(tmp_path / "absent.json") is None
    assert isinstance(_direct(tmp_path / "broken.json"), str)
    assert _direct(tmp_path / "broken.json") == _reference(tmp_path / "broken.json")


def test_cyclonedx_json_is_the_first_reader_detection_tries() -> None:
    # the direct path stands in for detection only because no reader is tried before it
    assert READERS.modules()[0] == "stackrift.bom.cyclonedx_json"


def test_the_direct_path_loads_no_model() -> None:
    code = ("import sys; from stackrift.advisories.sbom_targets import cyclonedx_targets; "
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic.main', "
            "'stackrift.estate.model', 'stackrift.catalog.model'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
