"""The BOM reader/writer interfaces: one module per format, discovered by name.

A reader turns an SBOM/AI-BOM or dependency file into estate components; a writer turns components
back into a standard document.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component


@dataclass(frozen=True)
class Dependency:
    """``ref`` depends on each of ``depends_on`` (component ids)."""

    ref: str
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class BomDocument:
    """What a reader extracted from one file."""

    path: str
    format: str  # e.g. "cyclonedx-json", "spdx-2", "requirements"
    spec_version: str | None
    components: tuple[Component, ...]
    dependencies: tuple[Dependency, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


class BomReader(Protocol):
    """Reads one input format."""

    format: ClassVar[str]

    def accepts(self, path: Path, head: bytes) -> bool:
        """Whether this reader recognises the file from its name and first bytes."""
        ...

    def read(self, path: Path) -> BomDocument:
        """Parse the file; raise :class:`InvalidInputError` with a location when it is malformed."""
        ...


T = TypeVar("T", bound=type[Any])
_READERS: dict[str, type[Any]] = {}


def register_reader(cls: T) -> T:
    _READERS[cls.format] = cls
    return cls


def _discover() -> None:
    import stackrift.bom as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name != "base":
            importlib.import_module(f"{package.__name__}.{module.name}")


def readers() -> dict[str, BomReader]:
    _discover()
    return {name: cls() for name, cls in sorted(_READERS.items())}


HEAD_BYTES = 4096


def read_bom(path: Path, format: str | None = None) -> BomDocument:
    """Read any supported file, detecting its format unless ``format`` forces one."""
    available = readers()
    if format is not None:
        if format not in available:
            raise InvalidInputError.single(
                path, f"unknown input format '{format}'", f"one of {', '.join(available)}"
            )
        return available[format].read(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InvalidInputError.single(
            path, f"cannot read file ({exc.strerror})", "an existing, readable file"
        ) from exc
    for reader in available.values():
        if reader.accepts(path, head):
            return reader.read(path)
    raise InvalidInputError.single(
        path,
        "not a recognised SBOM, AI-BOM or dependency file",
        f"one of {', '.join(available) or '(no readers installed)'}",
    )
