"""uv ``uv.lock`` files."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from stackrift.bom._common import load_toml
from stackrift.bom._locks import (
    LockBuilder,
    array_of,
    bad_record,
    dependency_names,
    hashes_from_prefixed,
    require_name,
    require_table_list,
    version_of,
)
from stackrift.bom.base import BomDocument, register_reader


@register_reader
class UvLockReader:
    """``uv.lock``: packages with sdist/wheel hashes and their dependency edges."""

    format: ClassVar[str] = "uv-lock"

    def accepts(self, path: Path, head: bytes) -> bool:
        return path.name.lower() == "uv.lock"

    def read(self, path: Path) -> BomDocument:
        data = load_toml(path)
        version = data.get("version")
        if not isinstance(version, int):
            raise bad_record(path, "version", "is missing or not an integer", "version = 1")
        builder = LockBuilder()
        for index, package in enumerate(require_table_list(
                path, data, "package", "[[package]] tables")):
            where = f"package[{index}]"
            name = require_name(path, package, where)
            archives = []
            if isinstance(package.get("sdist"), dict):
                archives.append(package["sdist"])
            archives += [w for w in array_of(path, f"{where}.wheels", package.get("wheels"))
                         if isinstance(w, dict)]
            hashes = hashes_from_prefixed(path, f"{where}.wheels",
                                          [a["hash"] for a in archives if "hash" in a])
            source = package.get("source")
            local = isinstance(source, dict) and any(
                k in source for k in ("editable", "virtual", "directory", "path"))
            builder.add(name, version_of(package), hashes,
                        description="local project" if local else None,
                        depends_on=dependency_names(package))
        return builder.document(path, self.format, str(version),
                                {"requires_python": data.get("requires-python")})
