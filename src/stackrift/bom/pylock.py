"""PEP 751 ``pylock.toml`` lock files."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from stackrift.bom._common import load_toml
from stackrift.bom._locks import (
    LockBuilder,
    array_of,
    bad_record,
    dependency_names,
    hashes_from_table,
    require_name,
    require_table_list,
    version_of,
)
from stackrift.bom.base import BomDocument, register_reader
from stackrift.estate.model import Hash


@register_reader
class PyLockReader:
    """``pylock.toml`` / ``pylock.NAME.toml``: packages with their archive hashes and markers."""

    format: ClassVar[str] = "pylock"

    def accepts(self, path: Path, head: bytes) -> bool:
        name = path.name.lower()
        return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))

    def read(self, path: Path) -> BomDocument:
        data = load_toml(path)
        version = data.get("lock-version")
        if not isinstance(version, str):
            raise bad_record(path, "lock-version", "is missing", "lock-version = \"1.0\"")
        if not version.startswith("1."):
            raise bad_record(path, "lock-version", f"{version!r} is not supported",
                             "lock-version 1.x (PEP 751)")
        builder = LockBuilder()
        for index, package in enumerate(require_table_list(
                path, data, "packages", "[[packages]] tables (PEP 751)")):
            where = f"packages[{index}]"
            name = require_name(path, package, where)
            hashes: list[Hash] = []
            for key in ("sdist", "archive"):
                if isinstance(package.get(key), dict):
                    hashes += hashes_from_table(path, f"{where}.{key}", package[key].get("hashes"))
            for wheel_index, wheel in enumerate(
                    array_of(path, f"{where}.wheels", package.get("wheels"))):
                if isinstance(wheel, dict):
                    hashes += hashes_from_table(path, f"{where}.wheels[{wheel_index}]",
                                                wheel.get("hashes"))
            builder.add(name, version_of(package), hashes, marker=package.get("marker"),
                        depends_on=dependency_names(package))
        return builder.document(path, self.format, version,
                                {"created_by": data.get("created-by"),
                                 "requires_python": data.get("requires-python")})
