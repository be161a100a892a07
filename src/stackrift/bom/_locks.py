"""Pieces shared by the Python lock-file readers (pylock, Poetry, uv, Pipfile)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stackrift.bom._common import (
    IdAllocator,
    make_hash,
    prefixed_hash,
    pypi_name,
    pypi_purl,
    unique_hashes,
)
from stackrift.bom.base import BomDocument, Dependency
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component, ComponentType, Hash


def bad_record(path: Path, where: str, message: str, expected: str) -> InvalidInputError:
    """A problem in one record of a lock file (TOML keeps no positions, so the record is named)."""
    return InvalidInputError.single(path, f"{where}: {message}", expected)


def require_table_list(path: Path, data: dict[str, Any], key: str,
                       expected: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_record(path, key, "is not an array of tables", expected)
    return value


def require_name(path: Path, record: dict[str, Any], where: str) -> str:
    name = record.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_record(path, where, "has no package name", "name = \"...\" in every package")
    return name


def version_of(record: dict[str, Any]) -> str | None:
    """The record's ``version`` as text, or None when it has none."""
    value = record.get("version")
    return str(value) if value is not None else None


def dependency_names(record: dict[str, Any]) -> list[str]:
    """The names in ``dependencies = [{name = "..."}, ...]`` (pylock, uv); other entries skipped."""
    listed = record.get("dependencies")
    return [d["name"] for d in (listed if isinstance(listed, list) else ())
            if isinstance(d, dict) and isinstance(d.get("name"), str)]


def array_of(path: Path, where: str, value: Any) -> list[Any]:
    """``value`` when it is an array, ``[]`` when absent; anything else is a located error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_record(path, where, f"is {type(value).__name__}, not an array", "an array")
    return value


def hashes_from_prefixed(path: Path, where: str, values: Iterable[Any]) -> list[Hash]:
    found: list[Hash] = []
    if not isinstance(values, list | tuple):
        raise bad_record(path, where, f"is {type(values).__name__}, not an array",
                         "[\"ALGORITHM:HEXDIGEST\", ...]")
    for value in values:
        parsed = prefixed_hash(value) if isinstance(value, str) else None
        if parsed is None:
            raise bad_record(path, where, f"malformed hash {value!r}", "ALGORITHM:HEXDIGEST")
        found.append(parsed)
    return found


def hashes_from_table(path: Path, where: str, table: Any) -> list[Hash]:
    """PEP 751 ``hashes = {sha256 = "..."}``."""
    if table is None:
        return []
    if not isinstance(table, dict):
        raise bad_record(path, where, "hashes is not a table", "hashes = {sha256 = \"...\"}")
    return [make_hash(alg, str(value)) for alg, value in table.items()]


class LockBuilder:
    """Collects PyPI packages and name-based dependency edges into a :class:`BomDocument`."""

    def __init__(self) -> None:
        self.ids = IdAllocator()
        self.components: list[Component] = []
        self.by_name: dict[str, str] = {}
        self.edges: list[tuple[str, list[str]]] = []
        self.markers: dict[str, str] = {}
        self.groups: dict[str, str] = {}

    def add(self, name: str, version: str | None, hashes: Iterable[Hash], *,
            license: str | None = None, description: str | None = None,
            marker: str | None = None, group: str | None = None,
            depends_on: Iterable[str] = ()) -> str:
        normal = pypi_name(name)
        cid = self.ids.take(f"pypi:{normal}" + (f"@{version}" if version else ""), normal)
        self.components.append(Component(
            id=cid, type=ComponentType.LIBRARY, name=normal, version=version,
            purl=pypi_purl(normal, version), license=license, description=description,
            hashes=unique_hashes(hashes)))
        self.by_name.setdefault(normal, cid)
        if marker:
            self.markers[cid] = marker
        if group:
            self.groups[cid] = group
        targets = [pypi_name(d) for d in depends_on]
        if targets:
            self.edges.append((cid, targets))
        return cid

    def document(self, path: Path, fmt: str, version: str | None,
                 metadata: dict[str, Any] | None = None) -> BomDocument:
        dependencies = tuple(
            Dependency(cid, tuple(sorted({self.by_name[t] for t in targets if t in self.by_name})))
            for cid, targets in self.edges)
        return BomDocument(path=str(path), format=fmt, spec_version=version,
                           components=tuple(self.components),
                           dependencies=tuple(d for d in dependencies if d.depends_on),
                           metadata={"markers": self.markers, "groups": self.groups,
                                     **(metadata or {})})
