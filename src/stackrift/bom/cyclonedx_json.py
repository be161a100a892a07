"""CycloneDX JSON (1.2–1.7) reader: schema-checked, then mapped onto estate components."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from stackrift.bom import _cdx_schema
from stackrift.bom._cdx_fields import is_cyclonedx_json
from stackrift.bom._cdx_map import to_document
from stackrift.bom._common import read_json
from stackrift.bom.base import BomDocument, register_reader


@register_reader
class CycloneDxJsonReader:
    """Reads CycloneDX JSON; every document is validated against its version's official schema."""

    format: ClassVar[str] = "cyclonedx-json"

    def accepts(self, path: Path, head: bytes) -> bool:
        return is_cyclonedx_json(head)

    def read(self, path: Path) -> BomDocument:
        raw, data = read_json(path)
        version = _cdx_schema.check(path, raw, data)
        return to_document(data, str(path), self.format, version)
