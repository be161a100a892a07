"""Installed Python distributions: a ``site-packages`` folder, or the running interpreter's."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, cast

from packaging.requirements import InvalidRequirement, Requirement

from stackrift.bom._common import pypi_name
from stackrift.bom._locks import LockBuilder
from stackrift.bom.base import BomDocument, register_reader
from stackrift.errors import InvalidInputError

_LICENCE_CLASSIFIER = "License :: OSI Approved :: "


def _field(dist: metadata.Distribution, key: str) -> str | None:
    # PackageMetadata is an email.message.Message underneath; its typed protocol lacks get().
    value = cast(Any, dist.metadata).get(key)
    return str(value) if value else None


def _licence(dist: metadata.Distribution) -> str | None:
    meta = dist.metadata
    expression = _field(dist, "License-Expression")
    if expression:
        return str(expression).strip()
    text = _field(dist, "License")
    # Some projects paste the whole licence text into this field; only a short name is useful.
    if text and len(str(text)) <= 80 and "\n" not in str(text):
        return str(text).strip()
    classifiers = [c[len(_LICENCE_CLASSIFIER):] for c in meta.get_all("Classifier") or ()
                   if c.startswith(_LICENCE_CLASSIFIER)]
    return " OR ".join(classifiers) if classifiers else None


def _requires(dist: metadata.Distribution) -> list[str]:
    names = []
    for line in dist.requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        # Extras-only requirements are not installed unless asked for.
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        names.append(requirement.name)
    return names


def read_distributions(where: Iterable[str], origin: str) -> BomDocument:
    """Every distribution found on the given ``sys.path``-like list of folders."""
    try:
        return _read_distributions(where, origin)
    except UnicodeDecodeError as exc:
        raise InvalidInputError.single(origin, f"a distribution's metadata is not UTF-8 text "
                                       f"(byte {exc.start})", "UTF-8 METADATA files") from None


def _read_distributions(where: Iterable[str], origin: str) -> BomDocument:
    builder = LockBuilder()
    seen: set[str] = set()
    dists = sorted(metadata.distributions(path=list(where)),
                   key=lambda d: (pypi_name(_field(d, "Name") or ""), d.version or ""))
    for dist in dists:
        name = _field(dist, "Name")
        if not name or pypi_name(name) in seen:
            continue  # the first one on the path wins, as at import time
        seen.add(pypi_name(name))
        summary = _field(dist, "Summary")
        builder.add(name, dist.version, (), license=_licence(dist),
                    description=str(summary) if summary else None, depends_on=_requires(dist))
    return builder.document(Path(origin), EnvironmentReader.format, None)


def read_environment() -> BomDocument:
    """The distributions installed for the running interpreter (``stackrift bom --env``)."""
    return read_distributions(sys.path, f"environment:{sys.prefix}")


@register_reader
class EnvironmentReader:
    """A ``site-packages`` (or any folder of ``*.dist-info``) read as installed packages."""

    format: ClassVar[str] = "environment"

    def accepts(self, path: Path, head: bytes) -> bool:
        return path.is_dir() and next(path.glob("*.dist-info"), None) is not None

    def read(self, path: Path) -> BomDocument:
        if not path.is_dir():
            raise InvalidInputError.single(path, "not a folder", "a site-packages folder")
        return read_distributions([str(path)], str(path))
