"""The BOM reader/writer interfaces: one module per format, discovered by name.

A reader turns an SBOM/AI-BOM or dependency file into estate components; a writer turns components
back into a standard document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from stackrift.bom._common import HEAD_BYTES, UTF8_BOM
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component
from stackrift.gcpause import paused_gc
from stackrift.registry import Registry


@dataclass(frozen=True)
class Dependency:
    """``ref`` relates to each of ``depends_on`` (component ids).

    ``kind`` says how: ``depends-on`` (the default), ``trained-on`` or ``tested-on`` (a model and
    its datasets).
    """

    ref: str
    depends_on: tuple[str, ...]
    kind: str = "depends-on"


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


# modules of the package that hold no reader: detection need not import them (the model
# artefact checks import a pickle disassembler; the writers their schemas)
_NOT_READERS = frozenset({"base", "artefacts", "cyclonedx_out", "estate", "export", "provenance",
                          "spdx3_out", "targets"})
READERS: Registry[type[BomReader]] = Registry("BOM reader", "stackrift.bom",
                                             lambda cls: cls.format, skip=_NOT_READERS)
register_reader = READERS.register


def readers() -> dict[str, BomReader]:
    return {name: cls() for name, cls in READERS.discover().items()}


def _detected(path: Path, head: bytes) -> BomReader | None:
    """The first reader, in module order, that accepts the file. Modules are imported one at a
    time, so reading a common format does not import every other format's reader."""
    for cls in READERS.by_module():
        reader: BomReader = cls()
        if reader.accepts(path, head):
            return reader
    return None


def _guarded(reader: BomReader, path: Path) -> BomDocument:
    """Run a reader; a value no component can hold is the input's fault, not an internal error."""
    try:
        with paused_gc():
            return reader.read(path)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError.single(
            path, f"a {reader.format} record cannot be represented: {where}: {first['msg']}",
            "values of the types the format defines") from None


def read_bom(path: Path, format: str | None = None) -> BomDocument:
    """Read any supported file or folder, detecting its format unless ``format`` forces one.

    Readers are tried in the order of their modules' names. Folders (a Hugging Face model
    folder, a ``site-packages``) are offered to every reader with empty first bytes.
    """
    if format is not None:
        available = readers()
        if format not in available:
            raise InvalidInputError.single(
                path, f"unknown input format '{format}'", f"one of {', '.join(available)}"
            )
        return _guarded(available[format], path)
    try:
        if path.is_dir():
            head = b""
        else:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES).removeprefix(UTF8_BOM)
    except OSError as exc:
        raise InvalidInputError.single(
            path, f"cannot read file ({exc.strerror})", "an existing, readable file"
        ) from exc
    reader = _detected(path, head)
    if reader is not None:
        return _guarded(reader, path)
    raise InvalidInputError.single(
        path,
        "not a recognised SBOM, AI-BOM or dependency file",
        f"one of {', '.join(readers()) or '(no readers installed)'}",
    )
