"""Reading STIX bundles from partners or from StackRift, as hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError

MAX_BUNDLE = 256 << 20
MAX_OBJECTS = 1_000_000
MAX_DEPTH = 64


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, stopping as soon as it passes ``limit``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return deepest


# Properties whose shape the release engine and the matcher rely on.
_SHAPES: dict[str, type | tuple[type, ...]] = {
    "object_marking_refs": list, "created_by_ref": str, "extensions": dict, "source_ref": str,
    "target_ref": str, "sighting_of_ref": str, "pattern": str, "pattern_type": str,
    "value": str, "hashes": dict, "name": str, "external_references": list,
    "display_name": str, "user_id": str, "account_login": str}


def _shape_problem(obj: dict[str, Any]) -> str | None:
    for key, kind in _SHAPES.items():
        if key in obj and not isinstance(obj[key], kind):
            return f"'{key}' is not a {getattr(kind, '__name__', kind)}"
    refs = obj.get("object_marking_refs", [])
    if not all(isinstance(r, str) for r in refs):
        return "'object_marking_refs' holds a value that is not an id"
    if not all(isinstance(v, dict) for v in obj.get("extensions", {}).values()):
        return "an extension is not an object"
    return None


def parse_bundle(data: bytes, name: str) -> dict[str, Any]:
    """A STIX 2.1 bundle: a mapping with ``type: bundle`` and a list of objects each having a
    ``type`` and an ``id``; anything else is a located error."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError.single(name, f"not JSON ({exc})", "a STIX 2.1 bundle") from None
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise InvalidInputError.single(name, "not a STIX bundle (no top-level type 'bundle')",
                                       "a STIX 2.1 bundle")
    objects = document.get("objects", [])
    if not isinstance(objects, list) or len(objects) > MAX_OBJECTS:
        raise InvalidInputError.single(name, "'objects' is not a list of at most "
                                       f"{MAX_OBJECTS:,} objects", "a STIX 2.1 bundle")
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(
                obj.get("id"), str) or not obj["id"].startswith(f"{obj['type']}--"):
            raise InvalidInputError.single(name, f"objects[{index}] has no valid type and id",
                                           "each object with 'type' and an id 'TYPE--UUID'")
        problem = _shape_problem(obj)
        if problem is not None:
            raise InvalidInputError.single(name, f"objects[{index}] ({obj['id']}): {problem}",
                                           "a STIX 2.1 object")
        if _depth(obj, MAX_DEPTH) > MAX_DEPTH:
            raise InvalidInputError.single(name, f"objects[{index}] ({obj['id']}) nests deeper "
                                           f"than {MAX_DEPTH} levels", "a STIX object")
    return document


def read_bundle(path: Path) -> dict[str, Any]:
    """Read and check a bundle file (at most 256 MiB)."""
    return parse_bundle(read_bounded(path, MAX_BUNDLE), str(path))
