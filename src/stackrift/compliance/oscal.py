"""Read the controls of an OSCAL 1.x JSON catalogue (ids, labels, titles; nothing else kept).

The NIST SP 800-53 Rev 5 catalogues are public domain but are read where the user keeps them,
never copied into the package. Reads are bounded; the structure is checked as it is walked, and
every problem names the file and the JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from stackrift.boundedio import read_bounded
from stackrift.compliance.model import ComplianceInputError
from stackrift.errors import Location, Problem, json_syntax_error

# properties in our own namespace (OSCAL lets each organisation qualify its names by a URI)
NAMESPACE = "urn:stackrift:oscal"
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._\-]")
MAX_CATALOG_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 8  # controls nest as control -> enhancement; groups may nest a little


@dataclass(frozen=True, kw_only=True)
class OscalControl:
    """One control (or enhancement) of an OSCAL catalogue."""

    id: str
    label: str
    title: str
    group: str


@dataclass(frozen=True, kw_only=True)
class OscalCatalog:
    """The controls of an OSCAL catalogue, by id."""

    path: str
    title: str
    version: str
    controls: Mapping[str, OscalControl]


def _fail(path: Path, where: str, message: str, expected: str) -> ComplianceInputError:
    return ComplianceInputError([Problem(Location(f"{path}#{where}"), message, expected)])


def _label(control: Mapping[str, Any]) -> str:
    for prop in control.get("props") or ():
        if isinstance(prop, dict) and prop.get("name") == "label" and "class" not in prop:
            return str(prop.get("value", ""))
    return str(control.get("id", "")).upper()


def _walk(path: Path, items: Any, where: str, group: str, depth: int
          ) -> Iterator[OscalControl]:
    if depth > MAX_DEPTH:
        raise _fail(path, where, "controls nested too deeply", f"at most {MAX_DEPTH} levels")
    if not isinstance(items, list):
        raise _fail(path, where, "not a list", "a JSON array of controls")
    for i, item in enumerate(items):
        here = f"{where}/{i}"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("title"), str):
            raise _fail(path, here, "a control without a string id and title",
                        "OSCAL controls with 'id' and 'title'")
        yield OscalControl(id=item["id"], label=_label(item), title=item["title"], group=group)
        yield from _walk(path, item.get("controls") or [], f"{here}/controls", group, depth + 1)


def _groups(path: Path, groups: Any, where: str, depth: int) -> Iterator[OscalControl]:
    if depth > MAX_DEPTH:
        raise _fail(path, where, "groups nested too deeply", f"at most {MAX_DEPTH} levels")
    if not isinstance(groups, list):
        raise _fail(path, where, "not a list", "a JSON array of groups")
    for i, grp in enumerate(groups):
        here = f"{where}/{i}"
        if not isinstance(grp, dict):
            raise _fail(path, here, "a group that is not an object", "OSCAL groups")
        name = str(grp.get("title") or grp.get("id") or "")
        yield from _walk(path, grp.get("controls") or [], f"{here}/controls", name, 0)
        yield from _groups(path, grp.get("groups") or [], f"{here}/groups", depth + 1)


def read_catalog(path: Path) -> OscalCatalog:
    """The controls of one OSCAL JSON catalogue. Raises :class:`ComplianceInputError`."""
    raw = read_bounded(path, MAX_CATALOG_BYTES)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise json_syntax_error(path, exc, "not valid JSON ({reason})", "an OSCAL JSON catalogue",
                                ComplianceInputError) from None
    catalog = document.get("catalog") if isinstance(document, dict) else None
    if not isinstance(catalog, dict):
        raise _fail(path, "", "no 'catalog' object at top level", "an OSCAL JSON catalogue")
    metadata = catalog.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    controls: dict[str, OscalControl] = {}
    found = [*_groups(path, catalog.get("groups") or [], "/catalog/groups", 0),
             *_walk(path, catalog.get("controls") or [], "/catalog/controls", "", 0)]
    for control in found:
        controls.setdefault(control.id, control)
    return OscalCatalog(path=str(path), title=str(metadata.get("title", "")),
                        version=str(metadata.get("version", "")), controls=controls)


def target_token(ref: str) -> str:
    """An OSCAL token for a requirement reference (``eu-ai-act:art9`` → ``eu-ai-act_art9``):
    tokens hold no colon; other characters outside the token alphabet become ``-``."""
    token = _NOT_TOKEN.sub("-", ref.replace(":", "_", 1))
    return token if token[0].isalpha() or token[0] == "_" else f"_{token}"
