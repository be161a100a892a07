"""Load and validate an estate file, reporting every problem with its location at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from stackrift.errors import InvalidInputError, Location, Problem, combine
from stackrift.estate.model import Estate
from stackrift.estate.yamlsource import LocatedDocument, PathKey, load_located


@dataclass(frozen=True)
class LoadedEstate:
    """A validated estate together with where it came from, for locating findings in reports."""

    estate: Estate
    document: LocatedDocument

    @property
    def path(self) -> str:
        return self.document.path

    @property
    def base_dir(self) -> Path:
        return Path(self.document.path).parent

    def locate(self, collection: str, record_id: str, field: str | None = None) -> Location:
        """Location of a record (or one of its fields) identified by collection and id."""
        items = (
            self.document.data.get(collection, []) if isinstance(self.document.data, dict) else []
        )
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("id") == record_id:
                path: PathKey = (collection, index) if field is None else (collection, index, field)
                return self.document.locate(path)
        return Location(self.document.path, 1, 1)


def _model_for(path: PathKey, root: type[BaseModel]) -> type[BaseModel] | None:
    """The record class the value at ``path`` is validated as (for listing allowed keys)."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None
        model = _record_type(field.annotation)
    return model


def _record_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _describe(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


def _problem(doc: LocatedDocument, error: ErrorDetails, root: type[BaseModel]) -> Problem:
    path: PathKey = tuple(error["loc"])
    kind = error["type"]
    where = _describe(path)
    if kind == "extra_forbidden":
        key = str(path[-1])
        model = _model_for(path[:-1], root)
        allowed = _allowed_keys(model) if model else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return Problem(
            doc.locate(path, key=True),
            f"unknown key '{key}' in {_describe(path[:-1])}",
            f"{hint}allowed keys: {', '.join(allowed)}",
        )
    if kind == "missing":
        return Problem(
            doc.locate(path[:-1]),
            f"missing required key '{path[-1]}' in {_describe(path[:-1])}",
            f"a value for '{path[-1]}'",
        )
    message = error["msg"]
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        return Problem(
            doc.locate(path),
            f"{where}: {message}",
            "a valid ISO 3166-1 alpha-2 code" if "ISO 3166" in message else "a valid value",
        )
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return Problem(doc.locate(path), f"{where}: invalid value {shown}", f"one of {expected}")
    return Problem(
        doc.locate(path), f"{where}: invalid value {shown}", message[0].lower() + message[1:]
    )


def _references(doc: LocatedDocument, estate: Estate) -> Iterator[Problem]:
    """Dangling references and duplicate ids, each naming both ends."""
    data: dict[str, Any] = doc.data
    ids: dict[str, set[str]] = {}
    for collection in ("entities", "sites", "components", "systems", "data_flows"):
        seen: dict[str, int] = {}
        for index, item in enumerate(data.get(collection) or []):
            record_id = item.get("id")
            if record_id in seen:
                first = doc.locate((collection, seen[record_id], "id"))
                yield Problem(
                    doc.locate((collection, index, "id")),
                    f"duplicate id '{record_id}' in {collection} (first defined at {first})",
                    "ids unique within each list",
                )
            else:
                seen[record_id] = index
        ids[collection] = set(seen)

    def check(
        collection: str,
        index: int,
        field: str,
        owner_id: str,
        target: str | None,
        targets: tuple[str, ...],
        sub: int | None = None,
    ) -> Iterator[Problem]:
        if target is None or any(target in ids[t] for t in targets):
            return
        path: PathKey = (
            (collection, index, field) if sub is None else (collection, index, field, sub)
        )
        noun = " or ".join(t.rstrip("s").replace("entitie", "entity") for t in targets)
        known = sorted(set().union(*(ids[t] for t in targets)))
        listing = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
        yield Problem(
            doc.locate(path),
            f"{collection.rstrip('s').replace('entitie', 'entity').replace('_', ' ')} "
            f"'{owner_id}' names {noun} '{target}' in '{field}', which is not defined",
            f"the id of a defined {noun} ({listing or 'none defined'})",
        )

    for i, entity in enumerate(estate.entities):
        yield from check("entities", i, "parent", entity.id, entity.parent, ("entities",))
        if entity.parent == entity.id:
            yield Problem(
                doc.locate(("entities", i, "parent")),
                f"entity '{entity.id}' names itself as its parent",
                "another entity's id",
            )
    for i, site in enumerate(estate.sites):
        yield from check("sites", i, "entity", site.id, site.entity, ("entities",))
    for i, component in enumerate(estate.components):
        for j, base in enumerate(component.base_models):
            if "/" not in base:  # a Hugging Face id has an org; anything else must be a component
                yield from check(
                    "components", i, "base_models", component.id, base, ("components",), j
                )
    for i, system in enumerate(estate.systems):
        yield from check("systems", i, "owner", system.id, system.owner, ("entities",))
        yield from check("systems", i, "site", system.id, system.site, ("sites",))
        for j, ref in enumerate(system.components):
            yield from check("systems", i, "components", system.id, ref, ("components",), j)
    for i, flow in enumerate(estate.data_flows):
        yield from check("data_flows", i, "from", flow.id, flow.source, ("sites", "entities"))
        yield from check("data_flows", i, "to", flow.id, flow.destination, ("sites", "entities"))
        yield from check("data_flows", i, "recipient", flow.id, flow.recipient, ("entities",))
        yield from check("data_flows", i, "system", flow.id, flow.system, ("systems",))
        if flow.start and flow.end and flow.end < flow.start:
            yield Problem(
                doc.locate(("data_flows", i, "end")),
                f"data flow '{flow.id}' ends ({flow.end}) before it starts ({flow.start})",
                "an end date on or after the start date",
            )
    yield from _parent_cycles(doc, estate)


def _parent_cycles(doc: LocatedDocument, estate: Estate) -> Iterator[Problem]:
    parents = {e.id: e.parent for e in estate.entities}
    reported: set[str] = set()
    for i, entity in enumerate(estate.entities):
        chain = [entity.id]
        current = entity.parent
        while current is not None and current in parents and current not in chain:
            chain.append(current)
            current = parents[current]
        if current == entity.id and entity.id not in reported:
            reported.update(chain)
            yield Problem(
                doc.locate(("entities", i, "parent")),
                f"entity ownership forms a cycle: {' -> '.join([*chain, entity.id])}",
                "a parent chain that ends at a top-level entity",
            )


def validation_error(
    doc: LocatedDocument, exc: ValidationError, root: type[BaseModel]
) -> InvalidInputError:
    """Turn pydantic's errors for ``root`` into located, user-facing problems."""
    return InvalidInputError(
        sorted(
            (_problem(doc, e, root) for e in exc.errors()),
            key=lambda p: (p.location.file, p.location.line, p.location.column),
        )
    )


def validate_document(doc: LocatedDocument) -> LoadedEstate:
    """Validate a parsed document as an estate; raises with every problem found."""
    if not isinstance(doc.data, dict):
        raise InvalidInputError(
            [
                Problem(
                    doc.locate(()),
                    "the estate must be a mapping at top level",
                    "keys such as organisation, entities, sites, systems",
                )
            ]
        )
    try:
        estate = Estate.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(doc, exc, Estate) from exc
    error = combine(_references(doc, estate))
    if error is not None:
        raise error
    return LoadedEstate(estate, doc)


def load_estate(path: str | Path) -> LoadedEstate:
    """Read, parse and validate an estate file (YAML or JSON)."""
    return validate_document(load_located(Path(path)))
