"""Pipenv ``Pipfile.lock`` files."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from stackrift.bom._common import load_json
from stackrift.bom._locks import LockBuilder, bad_record, hashes_from_prefixed
from stackrift.bom.base import BomDocument, register_reader


@register_reader
class PipfileLockReader:
    """``Pipfile.lock``: the ``default`` and ``develop`` sections with pins, hashes, markers."""

    format: ClassVar[str] = "pipfile-lock"

    def accepts(self, path: Path, head: bytes) -> bool:
        return path.name.lower() == "pipfile.lock"

    def read(self, path: Path) -> BomDocument:
        data = load_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("_meta"), dict):
            raise bad_record(path, "$._meta", "is missing", "a Pipfile.lock with _meta, default "
                             "and develop")
        builder = LockBuilder()
        for group in ("default", "develop"):
            section = data.get(group, {})
            if not isinstance(section, dict):
                raise bad_record(path, f"$.{group}", "is not an object",
                                 "package names mapped to their pins")
            for name, entry in sorted(section.items()):
                where = f"$.{group}[{name!r}]"
                if not isinstance(entry, dict):
                    raise bad_record(path, where, "is not an object",
                                     "{\"version\": \"==X\", \"hashes\": [...]}")
                pin = entry.get("version")
                version = pin[2:] if isinstance(pin, str) and pin.startswith("==") else None
                builder.add(name, version, hashes_from_prefixed(path, f"{where}.hashes",
                                                                entry.get("hashes") or ()),
                            marker=entry.get("markers"), group=group)
        meta = data["_meta"]
        lock_hash = meta.get("hash")
        return builder.document(path, self.format, str(meta.get("pipfile-spec", "")) or None,
                                {"lock_hash": lock_hash.get("sha256")
                                 if isinstance(lock_hash, dict) else None})
