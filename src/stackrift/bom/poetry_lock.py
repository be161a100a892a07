"""Poetry ``poetry.lock`` files (lock formats 1.x and 2.x)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from stackrift.bom._common import load_toml
from stackrift.bom._locks import (
    LockBuilder,
    bad_record,
    hashes_from_prefixed,
    require_name,
    require_table_list,
)
from stackrift.bom.base import BomDocument, register_reader


@register_reader
class PoetryLockReader:
    """``poetry.lock``: packages, file hashes (per package or under ``[metadata.files]``)."""

    format: ClassVar[str] = "poetry-lock"

    def accepts(self, path: Path, head: bytes) -> bool:
        return path.name.lower() == "poetry.lock"

    def read(self, path: Path) -> BomDocument:
        data = load_toml(path)
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict):
            raise bad_record(path, "metadata", "is not a table", "[metadata] with lock-version")
        legacy_files: Any = metadata.get("files", {})
        builder = LockBuilder()
        for index, package in enumerate(require_table_list(
                path, data, "package", "[[package]] tables")):
            where = f"package[{index}]"
            name = require_name(path, package, where)
            files = package.get("files")
            if files is None and isinstance(legacy_files, dict):
                files = legacy_files.get(name, [])
            if not isinstance(files, list | None):
                raise bad_record(path, f"{where}.files", "is not an array",
                                 "files = [{file = \"...\", hash = \"sha256:...\"}]")
            hashes = hashes_from_prefixed(path, f"{where}.files",
                                          [f.get("hash") for f in files or ()
                                           if isinstance(f, dict)])
            dependencies = package.get("dependencies") or {}
            builder.add(name, _opt_str(package.get("version")), hashes,
                        description=_opt_str(package.get("description")),
                        group=_opt_str(package.get("category")),
                        depends_on=dependencies if isinstance(dependencies, dict) else ())
        return builder.document(path, self.format, _opt_str(metadata.get("lock-version")),
                                {"content_hash": metadata.get("content-hash")})


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None and str(value).strip() else None
