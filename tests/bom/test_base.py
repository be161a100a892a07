"""read_bom: detection, forced formats, and bad values becoming located input errors."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from stackrift.bom import base
from stackrift.bom.base import BomDocument, read_bom
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component


class _BrokenReader:
    format: ClassVar[str] = "broken"

    def accepts(self, path: Path, head: bytes) -> bool:
        return False

    def read(self, path: Path) -> BomDocument:
        component = Component(id="x", type="library", name="x", version=3)  # type: ignore[arg-type]
        return BomDocument(str(path), self.format, None, (component,))


def test_unrepresentable_value_is_input_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    base.readers()  # discover the real readers first
    monkeypatch.setitem(base.READERS.registered, "broken", _BrokenReader)
    path = tmp_path / "x.bom"
    path.write_text("{}")
    with pytest.raises(InvalidInputError, match=r"x.bom: a broken record cannot be represented: "
                       r"version: Input should be a valid string"):
        read_bom(path, "broken")


def test_unknown_forced_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(InvalidInputError, match="unknown input format 'nope'; one of "):
        read_bom(path, "nope")


def test_unrecognised_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# hello")
    with pytest.raises(InvalidInputError, match="not a recognised SBOM"):
        read_bom(path)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("bom.json", '{"bomFormat": "CycloneDX", "specVersion": "1.6"}', "cyclonedx-json"),
    ("x.json", '{"$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json", "bomFormat": '
     '"CycloneDX", "specVersion": "1.6"}', "cyclonedx-json"),
    ("x.spdx.json", '{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}', "spdx-2"),
    ("x.json", '{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}',
     "spdx-3"),
    ("requirements-dev.txt", "six==1.16.0\n", "requirements"),
])
def test_detection(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert read_bom(path).format == expected


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"bomFormat": "CycloneDX", "specVersion": "1.6",\n'
                     b'"components": [{"type": "library", "name": "a"}]}')
    assert [c.name for c in read_bom(path).components] == ["a"]
