"""Load and validate an estate file, reporting every problem with its location at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from stackrift.errors import InvalidInputError, Location, Problem
from stackrift.estate.model import Estate
from stackrift.estate.yamlsource import LocatedDocument, PathKey, load_located


@dataclass(frozen=True)
class LoadedEstate:
    """A validated estate together with where it came from, for locating findings in reports."""

    estate: Estate
    document: LocatedDocument
    _indexes: dict[str, dict[object, int]] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def path(self) -> str:
        return self.document.path

    @property
    def base_dir(self) -> Path:
        return Path(self.document.path).parent

    def locate(self, collection: str, record_id: str, field: str | None = None) -> Location:
        """Location of a record (or one of its fields) identified by collection and id."""
        index = self._index(collection).get(record_id)
        if index is None:
            return Location(self.document.path, 1, 1)
        path: PathKey = (collection, index) if field is None else (collection, index, field)
        return self.document.locate(path)

    def _index(self, collection: str) -> dict[object, int]:
        """Record id -> position in the collection, built once (a report locates every
        finding's subject; scanning the collection each time is quadratic)."""
        if collection not in self._indexes:
            items = (self.document.data.get(collection, [])
                     if isinstance(self.document.data, dict) else [])
            found: dict[object, int] = {}
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get("id"), str | int):
                    found.setdefault(item["id"], index)  # the first record with an id wins
            self._indexes[collection] = found
        return self._indexes[collection]


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
        import difflib  # only for a problem: a valid estate never needs it

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
    shown = repr(value)
    if len(shown) > 60:  # a whole mapping or list: name its type rather than dump it
        shown = type(value).__name__
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        return Problem(
            doc.locate(path),
            f"{where}: {message}",
            "an ISO 3166-1 alpha-2 code such as US, DE or CN"
            if "ISO 3166" in message
            else "a valid value",
        )
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return Problem(doc.locate(path), f"{where}: invalid value {shown}", f"one of {expected}")
    return Problem(
        doc.locate(path), f"{where}: invalid value {shown}", message[0].lower() + message[1:]
    )


def _records(data: dict[str, Any], collection: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(collection)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )


_NOUN = {
    "entities": "entity",
    "sites": "site",
    "components": "component",
    "systems": "system",
    "data_flows": "data flow",
}


def _references(doc: LocatedDocument) -> Iterator[Problem]:
    """Dangling references and duplicate ids, each naming both ends.

    Works on the raw document so that these problems are reported together with type errors.
    """
    data: dict[str, Any] = doc.data
    ids: dict[str, set[str]] = {}
    for collection in _NOUN:
        seen: dict[str, int] = {}
        for index, item in _records(data, collection):
            record_id = _text(item.get("id"))
            if record_id is None:
                continue
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
        collection: str, index: int, item: dict[str, Any], field: str, targets: tuple[str, ...]
    ) -> list[Problem]:
        value = item.get(field)
        if value is None or (type(value) is str and value in ids[targets[0]]):
            return []  # most references: absent, or naming the first kind they may name
        refs = [(None, value)] if isinstance(value, str) else _texts(value)
        owner = _text(item.get("id")) or f"#{index + 1}"
        problems = []
        for sub, target in refs:
            if any(target in ids[t] for t in targets):
                continue
            if collection == "components" and "/" in target:
                continue  # a Hugging Face repository id, not a component reference
            path: PathKey = (collection, index, field) + (() if sub is None else (sub,))
            noun = " or ".join(_NOUN[t] for t in targets)
            known = sorted(set().union(*(ids[t] for t in targets)))
            listing = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            problems.append(Problem(
                doc.locate(path),
                f"{_NOUN[collection]} '{owner}' names {noun} '{target}' in '{field}', "
                "which is not defined",
                f"the id of a defined {noun} ({listing or 'none defined'})",
            ))
        return problems

    for i, item in _records(data, "entities"):
        yield from check("entities", i, item, "parent", ("entities",))
        if item.get("parent") is not None and item.get("parent") == item.get("id"):
            yield Problem(
                doc.locate(("entities", i, "parent")),
                f"entity '{item.get('id')}' names itself as its parent",
                "another entity's id",
            )
    for i, item in _records(data, "sites"):
        yield from check("sites", i, item, "entity", ("entities",))
    for i, item in _records(data, "components"):
        yield from check("components", i, item, "base_models", ("components",))
    for i, item in _records(data, "systems"):
        yield from check("systems", i, item, "owner", ("entities",))
        yield from check("systems", i, item, "site", ("sites",))
        yield from check("systems", i, item, "components", ("components",))
    for i, item in _records(data, "data_flows"):
        yield from check("data_flows", i, item, "from", ("sites", "entities"))
        yield from check("data_flows", i, item, "to", ("sites", "entities"))
        yield from check("data_flows", i, item, "recipient", ("entities",))
        yield from check("data_flows", i, item, "system", ("systems",))
        yield from check("data_flows", i, item, "peer_system", ("systems",))
        yield from check("data_flows", i, item, "crypto_gateway", ("systems",))
    yield from _parent_cycles(doc)


def _date_order(doc: LocatedDocument, estate: Estate) -> Iterator[Problem]:
    for i, flow in enumerate(estate.data_flows):
        if flow.start and flow.end and flow.end < flow.start:
            yield Problem(
                doc.locate(("data_flows", i, "end")),
                f"data flow '{flow.id}' ends ({flow.end}) before it starts ({flow.start})",
                "an end date on or after the start date",
            )


def _parent_cycles(doc: LocatedDocument) -> Iterator[Problem]:
    entities = _records(doc.data, "entities")
    parents = {_text(e.get("id")): _text(e.get("parent")) for _, e in entities}
    reported: set[str] = set()
    for i, entity in entities:
        entity_id = _text(entity.get("id"))
        if entity_id is None:
            continue
        chain = [entity_id]
        current = parents.get(entity_id)
        while current is not None and current in parents and current not in chain:
            chain.append(current)
            current = parents[current]
        # A self-parent (chain of one) is reported on its own by _references.
        if current == entity_id and len(chain) > 1 and entity_id not in reported:
            reported.update(chain)
            yield Problem(
                doc.locate(("entities", i, "parent")),
                f"entity ownership forms a cycle: {' -> '.join([*chain, entity_id])}",
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
    problems = list(_references(doc))
    try:
        estate = Estate.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_error(doc, exc, Estate).problems)
        raise InvalidInputError(_ordered(problems)) from exc
    problems.extend(_date_order(doc, estate))
    if problems:
        raise InvalidInputError(_ordered(problems))
    return LoadedEstate(estate, doc)


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.file, p.location.line, p.location.column))


def load_estate(path: str | Path, *, locate_now: bool = True) -> LoadedEstate:
    """Read, parse and validate an estate file (YAML or JSON).

    Every value's location is found as the file is read, for reports that locate their
    findings; ``locate_now=False`` leaves that until a location is first asked for (a problem
    in the file still names its line and column), for commands that report none."""
    return validate_document(load_located(Path(path), locate_now=locate_now))
