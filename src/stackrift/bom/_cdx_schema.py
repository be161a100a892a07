"""Validation of CycloneDX JSON documents against the official schemas, quickly.

The schemas are the ones bundled with ``cyclonedx-python-lib`` (the CycloneDX project's own files).
They are compiled once per version with ``jsonschema-rs``, a compiled draft-07 validator, because
the pure-Python reference validator needs minutes on a 1,000-component SBOM. References between the
schema files are served from the bundled copies only: validation never touches the network.
On top of the schema, the rules JSON Schema cannot express (``bom-ref`` uniqueness) are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from stackrift.bom._common import json_path, json_problem
from stackrift.errors import InvalidInputError, Problem

JSON_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
MAX_PROBLEMS = 25


def _schema_dir() -> Path:
    from cyclonedx.schema import _res  # the official schema files shipped with the library

    return Path(_res.__file__).parent


def _load(name: str) -> Any:
    return orjson.loads((_schema_dir() / name).read_bytes())


@cache
def _support_schemas() -> dict[str, Any]:
    names = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json",
             "cryptography-defs.SNAPSHOT.schema.json")
    return {name: _load(name) for name in names if (_schema_dir() / name).is_file()}


def _retrieve(uri: str) -> Any:
    name = uri.rsplit("/", 1)[-1].split("#", 1)[0]
    schemas = _support_schemas()
    if name in schemas:
        return schemas[name]
    # Only the bundled files may be referenced; anything else would mean a network fetch.
    raise ValueError(f"schema reference {uri} is not bundled")


@cache
def validator(version: str) -> Any:
    """The compiled validator for one CycloneDX JSON version (cached for the process)."""
    schema = _load(f"bom-{version}.SNAPSHOT.schema.json")
    return jsonschema_rs.Draft7Validator(schema, retriever=_retrieve, validate_formats=True)


def _short(message: str) -> str:
    # jsonschema-rs quotes the whole offending instance; keep messages readable.
    return message if len(message) <= 240 else message[:237] + "..."


# Sections that refer to bom-refs (or declare their own namespace), and leaf-only arrays.
_SKIP = frozenset({"dependencies", "compositions", "vulnerabilities", "annotations",
                   "formulation", "definitions", "declarations", "citations", "hashes",
                   "externalReferences", "properties"})


MAX_DEPTH = 200
"""Deepest object/array nesting accepted (real BOMs nest components a few levels)."""


class _TooDeepError(Exception):
    pass


def _declared_refs(node: Any, found: list[str], depth: int = 0) -> None:
    """Every ``bom-ref`` declared in the document (fast pass, no paths)."""
    if depth > MAX_DEPTH:
        raise _TooDeepError
    if isinstance(node, dict):
        ref = node.get("bom-ref")
        if isinstance(ref, str):
            found.append(ref)
        for key, value in node.items():
            if key not in _SKIP and isinstance(value, dict | list):
                _declared_refs(value, found, depth + 1)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _declared_refs(item, found, depth + 1)


def _bom_refs(node: Any, path: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    """Every ``bom-ref`` declared in the document, with the path of its object."""
    if isinstance(node, dict):
        ref = node.get("bom-ref")
        if isinstance(ref, str):
            yield ref, path
        for key, value in node.items():
            if key not in _SKIP and isinstance(value, dict | list):
                yield from _bom_refs(value, [*path, key])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _bom_refs(item, [*path, index])


def check(path: Path, raw: bytes, data: Any) -> str:
    """Validate a parsed CycloneDX JSON document: its spec version, or located errors."""
    problem = partial(json_problem, path, raw)

    if not isinstance(data, dict):
        raise InvalidInputError([problem([], "a CycloneDX document must be a JSON object",
                                         "an object with bomFormat and specVersion")])
    if data.get("bomFormat") != "CycloneDX":
        raise InvalidInputError([problem(["bomFormat"] if "bomFormat" in data else [],
                                         f"bomFormat is {data.get('bomFormat')!r}",
                                         "bomFormat \"CycloneDX\"")])
    version = data.get("specVersion")
    if version not in JSON_VERSIONS:
        raise InvalidInputError([problem(["specVersion"] if "specVersion" in data else [],
                                         f"specVersion {version!r} is not supported",
                                         f"one of {', '.join(JSON_VERSIONS)}")])
    problems: list[Problem] = []
    for error in validator(str(version)).iter_errors(data):
        problems.append(problem(list(error.instance_path), _short(error.message),
                                f"what the CycloneDX {version} schema allows"))
        if len(problems) >= MAX_PROBLEMS:
            break
    declared: list[str] = []
    if not problems:
        try:
            _declared_refs(data, declared)
        except _TooDeepError:
            raise InvalidInputError([problem([], f"objects nested more than {MAX_DEPTH} levels "
                                             "deep", "a BOM of realistic depth")]) from None
    if not problems and len(set(declared)) != len(declared):
        # Only now pay for paths, to say where both uses are.
        seen: dict[str, list[str | int]] = {}
        for ref, where in _bom_refs(data, []):
            if ref in seen:
                problems.append(problem([*where, "bom-ref"], f"bom-ref '{ref}' is already used "
                                        f"at {json_path([*seen[ref], 'bom-ref'])}",
                                        "bom-ref values unique within the BOM"))
            else:
                seen[ref] = where
    if problems:
        raise InvalidInputError(problems)
    return str(version)
