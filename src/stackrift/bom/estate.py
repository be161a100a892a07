"""SBOMs and model folders referenced by estate systems, merged into the estate's components.

A system's ``sboms`` entries (paths relative to the estate file) may name any input
:func:`stackrift.bom.base.read_bom` reads. Their components join the estate with ids prefixed by
the entry (``sboms/app.cdx.json:pkg-foo``) and are added to the system, so every analysis sees
them. Documents are read once per process and file version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from stackrift.bom._common import slug
from stackrift.bom.base import BomDocument, read_bom
from stackrift.errors import InvalidInputError
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import System


@dataclass(frozen=True)
class SystemBom:
    """One SBOM entry of one system, read."""

    system: System
    reference: str  # as written in the estate
    path: Path
    document: BomDocument

    def component_id(self, local_id: str) -> str:
        return f"{slug(self.reference)[:80]}:{local_id}"[:200]


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> BomDocument:
    del mtime_ns, size  # part of the cache key only: a changed file is read again
    return read_bom(Path(path))


def read_cached(path: Path) -> BomDocument:
    """Read a BOM, reusing the result while the file (or folder) is unchanged."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read file ({exc.strerror})",
                                       "an existing SBOM, lock file or model folder") from exc
    return _read(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def system_boms(loaded: LoadedEstate) -> list[SystemBom]:
    """Every SBOM entry of every system, read (errors name the SBOM file and location)."""
    found = []
    for system in loaded.estate.systems:
        for reference in system.sboms:
            path = (loaded.base_dir / reference).resolve()
            if not path.exists():
                location = loaded.locate("systems", system.id, "sboms")
                raise InvalidInputError.single(
                    location.file, f"system '{system.id}' names SBOM '{reference}', which does "
                    f"not exist ({path})", "a path relative to the estate file",
                    location.line, location.column)
            found.append(SystemBom(system, reference, path, read_cached(path)))
    return found


def merge_sboms(loaded: LoadedEstate) -> LoadedEstate:
    """The estate with every system's SBOM components added (unchanged when there are none)."""
    boms = system_boms(loaded)
    if not boms:
        return loaded
    components = {c.id: c for c in loaded.estate.components}
    systems = {s.id: s for s in loaded.estate.systems}
    for bom in boms:
        local = {c.id for c in bom.document.components}
        added = []
        for component in bom.document.components:
            new_id = bom.component_id(component.id)
            bases = tuple(bom.component_id(b) if b in local else b for b in component.base_models)
            components.setdefault(new_id, component.model_copy(
                update={"id": new_id, "base_models": bases}))
            added.append(new_id)
        system = systems[bom.system.id]
        merged = tuple(dict.fromkeys((*system.components, *added)))
        systems[system.id] = system.model_copy(update={"components": merged})
    estate = loaded.estate.model_copy(update={
        "components": tuple(components.values()),
        "systems": tuple(systems[s.id] for s in loaded.estate.systems)})
    return replace(loaded, estate=estate)
