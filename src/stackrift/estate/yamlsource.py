"""Safe YAML/JSON reading that remembers where every value came from.

PyYAML's safe composer (libyaml's, when available) builds a node tree with line/column marks; we
construct plain Python values from it ourselves so that each value's key path maps to its
location. Only the safe constructor is used (no Python object tags), duplicate keys are errors,
and both the file size and the number of nodes (which alias expansion would otherwise multiply)
are bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError, Location, Problem

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_NODES = 1_000_000

PathKey = tuple[str | int, ...]

# Only plain collections: a tagged one (e.g. !!python/object/apply) is refused, never constructed.
_PLAIN_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class LocatedDocument:
    """A parsed document and the location of every value (and of every mapping key) in it."""

    path: str
    data: Any
    value_locations: Mapping[PathKey, Location] = field(default_factory=dict)
    key_locations: Mapping[PathKey, Location] = field(default_factory=dict)

    def locate(self, path: PathKey, *, key: bool = False) -> Location:
        """Where ``path`` is; falls back to the nearest enclosing value that has a location."""
        table = self.key_locations if key else self.value_locations
        if path in table:
            return table[path]
        probe = path
        while probe:
            probe = probe[:-1]
            if probe in self.value_locations:
                return self.value_locations[probe]
        return Location(self.path, 1, 1)


class _Locations(Mapping[PathKey, Location]):
    """Locations made on demand from the parser's marks: a document has one per value, and
    only the few that a problem or a finding points at are ever asked for."""

    __slots__ = ("_file", "_marks")

    def __init__(self, file: str, marks: dict[PathKey, yaml.Mark]) -> None:
        self._file = file
        self._marks = marks

    def __getitem__(self, path: PathKey) -> Location:
        mark = self._marks[path]
        return Location(self._file, mark.line + 1, mark.column + 1)

    def __contains__(self, path: object) -> bool:
        return path in self._marks

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[PathKey, yaml.Mark] = {}
        self.keys: dict[PathKey, yaml.Mark] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")  # only its safe scalar constructors are used

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def _key(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value  # what the safe constructor makes of text, without its dispatch
        return self.constructor.construct_object(node, deep=True)

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidInputError(
                [
                    Problem(
                        self.loc(node),
                        "document expands to too many values (alias expansion?)",
                        f"at most {MAX_NODES:,} values",
                    )
                ]
            )
        self.values[path] = node.start_mark
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_COLLECTION_TAGS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag '{node.tag}'",
                node.start_mark,
            )
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                if not isinstance(key, str | int | bool) or isinstance(key, bool):
                    self.problems.append(
                        Problem(
                            self.loc(key_node),
                            f"mapping key {key!r} is not a string",
                            "plain text keys",
                        )
                    )
                    continue
                key = str(key)
                if key in result:
                    self.problems.append(
                        Problem(
                            self.loc(key_node),
                            f"duplicate key '{key}'",
                            "each key once per mapping",
                        )
                    )
                    continue
                self.keys[(*path, key)] = key_node.start_mark
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        # What the safe constructor makes of plain text and nulls, without its dispatch.
        if node.tag == _STR_TAG:
            return node.value
        if node.tag == _NULL_TAG:
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except ValueError as exc:  # e.g. a timestamp such as 2026-13-01 that is not a real date
            self.problems.append(
                Problem(self.loc(node), f"invalid value '{node.value}' ({exc})", "a valid value")
            )
            return node.value


class _NodeError(Exception):
    """A node that cannot become a value: an alias to one of its own ancestors (infinite
    expansion), or text that is not Unicode (a lone surrogate such as ``"\\uD800"``)."""

    def __init__(self, node: yaml.Node, message: str, expected: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.expected = expected


_SURROGATE = re.compile("[\ud800-\udfff]")


def _expanded_size(node: yaml.Node, memo: dict[int, int], open_nodes: set[int]) -> int:
    """How many values the document has once aliases are expanded, counted without expanding.

    Aliases share node objects, so memoising per node keeps this linear in the file's size
    even for a "billion laughs" document; a node met again while it is still being counted is
    an alias to one of its own ancestors, whose expansion would never end.
    """
    known = memo.get(id(node))
    if known is not None:
        return known
    if id(node) in open_nodes:
        raise _NodeError(node, "an alias refers to a collection that contains it (recursive "
                         "alias)", "aliases to finished values only")
    open_nodes.add(id(node))
    total = 1
    if isinstance(node, yaml.ScalarNode):
        if _SURROGATE.search(node.value):  # JSON writers and terminals cannot encode these
            raise _NodeError(node, "text holds a lone UTF-16 surrogate escape (such as "
                             "\\uD800), which is not a Unicode character",
                             "text of Unicode characters only")
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, memo, open_nodes) - 1 for k, _ in node.value)
        total += sum(_expanded_size(v, memo, open_nodes) for _, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(v, memo, open_nodes) for v in node.value)
    open_nodes.discard(id(node))
    memo[id(node)] = min(total, MAX_NODES + 1)
    return memo[id(node)]


def _may_alias_or_escape(text: str) -> bool:
    """Whether a text may hold an anchor (so aliases) or a ``\\u``/``\\U`` escape (so a lone
    surrogate): what the node tree's checks look for, and only they."""
    return "&" in text or "\\u" in text or "\\U" in text


def check_expansion(node: yaml.Node, name: str, text: str | None = None) -> None:
    """Refuse a composed document whose alias expansion is recursive or too large, or whose
    text is not Unicode.

    Every YAML input goes through this before any value is constructed. Given the ``text``,
    the walk is skipped when it cannot find anything: no ``&`` means no anchor (so no alias),
    and no ``\\u``/``\\U`` escape means no surrogate (decoded UTF-8 holds none).
    """
    if text is not None and not _may_alias_or_escape(text):
        return
    try:
        size = _expanded_size(node, {}, set())
    except _NodeError as exc:
        mark = exc.node.start_mark
        raise InvalidInputError.single(name, exc.message, exc.expected, mark.line + 1,
                                       mark.column + 1) from None
    if size > MAX_NODES:
        raise InvalidInputError.single(
            name,
            f"document expands to {size:,} values (alias expansion?)",
            f"at most {MAX_NODES:,} values",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader with its implicit tag resolution remembered per plain scalar text.

    Without path resolvers (the safe loader has none), a scalar's tag depends only on its text
    and on whether it was written plain; estates repeat the same short values (countries,
    categories) thousands of times, and the resolver's regular expressions dominated parsing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= _MAX_REMEMBERED_TEXT:
                    self._plain_tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_MAX_REMEMBERED_TEXT = 64


def _yaml_problem(name: str, exc: yaml.YAMLError, line_offset: int) -> InvalidInputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "malformed YAML"
        return InvalidInputError.single(name, f"YAML syntax error: {what}",
                                        "well-formed YAML or JSON", line, col)
    return InvalidInputError.single(name, f"YAML error: {exc}", "well-formed YAML or JSON")


def load_yaml_data(text: str, name: str, *, line_offset: int = 0) -> Any:
    """Plain values from YAML text, with the guards of :func:`load_located` (safe constructors
    only, alias expansion counted before construction, nesting bounded) but no locations; the
    C parser is used when available. ``None`` for an empty document. Raises
    :class:`InvalidInputError`; ``line_offset`` shifts reported lines (YAML inside a file)."""
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, name, text)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_problem(name, exc, line_offset) from None
    except RecursionError:
        raise InvalidInputError.single(name, "document is nested too deeply",
                                       "a reasonably flat YAML or JSON document") from None
    except ValueError as exc:  # a scalar the safe constructor cannot convert (a bad date)
        raise InvalidInputError.single(name, f"invalid value ({exc})", "valid YAML values"
                                       ) from None
    finally:
        loader.dispose()


def load_plain_yaml_data(text: str, name: str) -> Any:
    """:func:`load_yaml_data`'s values (and errors), built straight from libyaml's events when
    the document is plain: one document without anchors, aliases, explicit tags, merge keys,
    collection keys, ``\\u`` escapes or deep nesting, and no more values than the limit.
    Anything else, or any syntax error, goes through :func:`load_yaml_data` itself. Building
    from events skips the node tree, the larger part of the cost of a small document."""
    if "\\u" not in text and "\\U" not in text:
        try:
            return _plain_from_events(text)
        except _UnusualDocumentError:
            pass
    return load_yaml_data(text, name)


# Implicitly resolved scalar tags built from events, with the safe constructor's function for
# each (text and null are built inline); any other tag sends a document to the node path.
_PLAIN_SCALAR_TAGS = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                                "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"})
_PLAIN_MAX_DEPTH = 64  # deeper documents take the node path (whose recursion limit applies)


_NO_KEY: Any = object()  # a mapping's next scalar is a key
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar text -> its implicit tag (a safe resolver's)


def _typed_scalar(tag: str, value: str) -> Any:
    """A plain scalar that is not text nor null, as the safe constructor makes it."""
    if tag in _PLAIN_SCALAR_TAGS:
        constructor = _PLAIN_CONSTRUCTOR
        try:
            return constructor.yaml_constructors[tag](constructor, yaml.ScalarNode(tag, value))
        except (ValueError, ArithmeticError, yaml.YAMLError):  # a bad date: its error there
            raise _UnusualDocumentError from None
    raise _UnusualDocumentError  # merge and value keys, or a resolver's own tag


def _scalar_value(event: Any) -> Any:
    """A plain document's scalar, as the safe constructor makes it."""
    value = event.value
    if not event.implicit[0]:  # quoted, or a block: text
        return value
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = _event_tag(value, event.implicit)
        if len(value) <= _MAX_REMEMBERED_TEXT and len(_PLAIN_TAGS) < 100_000:
            _PLAIN_TAGS[value] = tag
    if tag == _STR_TAG:
        return value
    return None if tag == _NULL_TAG else _typed_scalar(tag, value)


def _mapping_key(key: Any, mapping: dict[Any, Any], estate_keys: bool) -> Any:
    if not estate_keys:
        return key
    if type(key) is not str:
        if type(key) is not int:
            raise _UnusualDocumentError
        key = str(key)
    if key in mapping:
        raise _UnusualDocumentError
    return key


def _plain_from_events(text: str, *, estate_keys: bool = False) -> Any:
    """The value of a plain document (see :func:`load_plain_yaml_data`); raises
    :class:`_UnusualDocumentError` for anything else.

    With ``estate_keys``, mapping keys are what :func:`load_located` accepts: text, or whole
    numbers made text; any other key, or a key given twice, is unusual here (the located
    builders then report it with its location)."""
    parser = _BaseLoader(text)
    try:
        documents, root = _plain_events_built(parser.get_event, estate_keys)
    except yaml.YAMLError:
        raise _UnusualDocumentError from None
    finally:
        parser.dispose()
    if documents != 1 or len(root) != 1:
        raise _UnusualDocumentError
    return root[0]


def _plain_events_built(get_event: Callable[[], Any], estate_keys: bool
                        ) -> tuple[int, list[Any]]:
    """How many documents the events hold, and their values. One loop with the placing of
    values inline: calls per event were most of the cost."""
    # open collections under the innermost (``top``): a list, or a mapping as [mapping, its
    # pending key or _NO_KEY], each with whether it is a list
    stack: list[tuple[Any, bool]] = []
    root: list[Any] = []
    top: Any = root
    top_is_list = True
    documents = nodes = 0
    scalar_event, mapping_start, sequence_start = (yaml.ScalarEvent, yaml.MappingStartEvent,
                                                   yaml.SequenceStartEvent)
    while (event := get_event()) is not None:
        kind = type(event)
        if kind is scalar_event or kind is mapping_start or kind is sequence_start:
            nodes += 1
            if (nodes > MAX_NODES or len(stack) >= _PLAIN_MAX_DEPTH
                    or event.anchor is not None or event.tag not in (None, "!")):
                raise _UnusualDocumentError
            scalar = kind is scalar_event
            value = _scalar_value(event) if scalar else {} if kind is mapping_start else []
            if top_is_list:
                top.append(value)
            elif top[1] is not _NO_KEY:
                top[0][top[1]] = value
                top[1] = _NO_KEY
            elif scalar:
                top[1] = _mapping_key(value, top[0], estate_keys)
            else:  # a collection as a key
                raise _UnusualDocumentError
            if not scalar:
                stack.append((top, top_is_list))
                top_is_list = kind is sequence_start
                top = value if top_is_list else [value, _NO_KEY]
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            top, top_is_list = stack.pop()
        elif kind is yaml.AliasEvent:
            raise _UnusualDocumentError
        else:
            documents += kind is yaml.DocumentStartEvent
    return documents, root


def _compose(text: str) -> yaml.Node | None:
    """The node tree of a single document, from libyaml's parser when PyYAML was built with it
    (several times faster; its nodes carry the same line and column marks). A document libyaml
    rejects is parsed again by PyYAML's own parser, whose error messages (and checks, such as
    the one for lone surrogate escapes) the rest of this module and its users rely on."""
    loader = _FastLoader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError:
        if _BaseLoader is yaml.SafeLoader:
            raise
    finally:
        loader.dispose()
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _UnusualDocumentError(Exception):
    """The document uses something the event builder leaves to the node path (anchors and
    aliases, explicit tags, complex keys, several documents, a syntax error)."""


_EVENT_RESOLVER = yaml.resolver.Resolver()
_PLAIN_CONSTRUCTOR: Any = yaml.SafeLoader("")  # only its safe scalar constructors are used
_RESOLVED: dict[tuple[str, bool, bool], str] = {}


def _event_tag(value: str, implicit: tuple[bool, bool]) -> str:
    """The tag the composer would give an untagged scalar (remembered for short texts)."""
    key = (value, implicit[0], implicit[1])
    tag = _RESOLVED.get(key)
    if tag is None:
        tag = str(_EVENT_RESOLVER.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, value, implicit))
        if len(value) <= _MAX_REMEMBERED_TEXT and len(_RESOLVED) < 100_000:
            _RESOLVED[key] = tag
    return tag


class _EventBuilder:
    """Values, marks, problems and limits as :class:`_Builder` gives them from nodes, built
    straight from libyaml's events (no node objects: a fraction of the cost). Raises
    :class:`_UnusualDocumentError` for what it leaves to the node path."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        # open collections: (container, its path, pending mapping key and its event)
        self.stack: list[tuple[Any, PathKey, tuple[str, Any] | None]] = []
        self.skipping = 0  # depth inside a value whose key was refused (not built)
        self.root: Any = None

    def run(self, text: str) -> tuple[bool, Any]:
        documents = 0
        try:
            for event in yaml.parse(text, Loader=_BaseLoader):
                kind = type(event)
                if kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise _UnusualDocumentError
                elif kind is yaml.AliasEvent:
                    raise _UnusualDocumentError
                elif kind in _NODE_EVENTS:
                    self._node(event, kind)
                elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    if self.skipping:
                        self.skipping -= 1
                    else:
                        self.stack.pop()
        except yaml.YAMLError:
            raise _UnusualDocumentError from None
        return documents > 0, self.root

    def _node(self, event: Any, kind: type) -> None:
        if event.anchor is not None or event.tag not in (None, "!"):
            raise _UnusualDocumentError
        if self.skipping:
            self.skipping += kind is not yaml.ScalarEvent
            return
        stack = self.stack
        if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is None:
            if kind is not yaml.ScalarEvent:  # a collection as a key
                raise _UnusualDocumentError
            self._key(event)
            return
        path = self._path()
        if path is None:  # the value of a refused key
            stack[-1] = (stack[-1][0], stack[-1][1], None)
            self.skipping += kind is not yaml.ScalarEvent
            return
        self.b.nodes += 1
        if self.b.nodes > MAX_NODES:
            raise InvalidInputError([Problem(
                self._loc(event), "document expands to too many values (alias expansion?)",
                f"at most {MAX_NODES:,} values")])
        self.b.values[path] = event.start_mark
        value: Any = (self._scalar(event) if kind is yaml.ScalarEvent
                      else {} if kind is yaml.MappingStartEvent else [])
        if stack:
            container, parent, pending = stack[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                assert pending is not None
                container[pending[0]] = value
                stack[-1] = (container, parent, None)
        else:
            self.root = value
        if kind is not yaml.ScalarEvent:
            stack.append((value, path, None))

    def _key(self, event: Any) -> None:
        container, path, _ = self.stack[-1]
        key = self._scalar(event)
        refused = None
        if not isinstance(key, str | int) or isinstance(key, bool):
            refused = Problem(self._loc(event), f"mapping key {key!r} is not a string",
                              "plain text keys")
        elif str(key) in container:
            refused = Problem(self._loc(event), f"duplicate key '{key}'",
                              "each key once per mapping")
        if refused is not None:
            self.b.problems.append(refused)
            self.stack[-1] = (container, path, ("", None))  # None event: refused
            return
        self.b.keys[(*path, str(key))] = event.start_mark
        self.stack[-1] = (container, path, (str(key), event))

    def _path(self) -> PathKey | None:
        if not self.stack:
            return ()
        container, path, pending = self.stack[-1]
        if isinstance(container, list):
            return (*path, len(container))
        assert pending is not None
        return None if pending[1] is None else (*path, pending[0])

    def _scalar(self, event: Any) -> Any:
        tag = _event_tag(event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value
        if tag == _NULL_TAG:
            return None
        return self.b._scalar(yaml.ScalarNode(tag, event.value, event.start_mark,
                                              event.end_mark))

    def _loc(self, event: Any) -> Location:
        return Location(self.b.path, event.start_mark.line + 1, event.start_mark.column + 1)


_NODE_EVENTS = frozenset({yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent})


def _located_from_events(name: str, text: str) -> LocatedDocument | None:
    """The document built straight from events, or ``None`` when it needs the node path (for
    anchors, aliases or escapes, whose checks walk the node tree, or anything unusual)."""
    if _may_alias_or_escape(text):
        return None
    builder = _Builder(name)
    try:
        found, data = _EventBuilder(builder).run(text)
    except _UnusualDocumentError:
        return None
    if not found:
        raise InvalidInputError.single(name, "file is empty", "a YAML or JSON document", 1, 1)
    if builder.problems:
        raise InvalidInputError(builder.problems)
    return LocatedDocument(name, data, _Locations(name, builder.values),
                           _Locations(name, builder.keys))


def _read_text(path: Path) -> str:
    raw = read_bounded(path, MAX_FILE_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError.single(
            str(path), f"not valid UTF-8 at byte {exc.start}", "a UTF-8 encoded YAML or JSON file"
        ) from exc


class _DeferredMarks:
    """The marks of a document that was built without them, found when first asked for by
    building it again with them (most documents are read without a problem or a finding
    pointing into them, so their marks are never needed)."""

    __slots__ = ("_name", "_tables", "_text")

    def __init__(self, name: str, text: str) -> None:
        self._name = name
        self._text: str | None = text
        self._tables: tuple[Mapping[PathKey, Location], Mapping[PathKey, Location]] | None = None

    def table(self, keys: bool) -> Mapping[PathKey, Location]:
        if self._tables is None:
            assert self._text is not None
            located = _load_located_now(self._name, self._text)  # its values are not kept
            self._tables = (located.value_locations, located.key_locations)
            self._text = None
        return self._tables[1] if keys else self._tables[0]


class _DeferredLocations(Mapping[PathKey, Location]):
    """A location table (of values, or of mapping keys) filled on first use."""

    __slots__ = ("_keys", "_marks")

    def __init__(self, marks: _DeferredMarks, keys: bool) -> None:
        self._marks = marks
        self._keys = keys

    def __getitem__(self, path: PathKey) -> Location:
        return self._marks.table(self._keys)[path]

    def __contains__(self, path: object) -> bool:
        return path in self._marks.table(self._keys)

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._marks.table(self._keys))

    def __len__(self) -> int:
        return len(self._marks.table(self._keys))


def _located_later(name: str, text: str) -> LocatedDocument | None:
    """The document's values built without marks (its locations found when first asked for),
    or ``None`` when the document needs a located builder now: anything unusual, and any
    problem (a refused or repeated key, a bad value, too many values), which is reported with
    its location."""
    if _may_alias_or_escape(text):
        return None
    try:
        data = _plain_from_events(text, estate_keys=True)
    except _UnusualDocumentError:
        return None
    marks = _DeferredMarks(name, text)
    return LocatedDocument(name, data, _DeferredLocations(marks, keys=False),
                           _DeferredLocations(marks, keys=True))


def load_located(path: Path, *, text: str | None = None,
                 locate_now: bool = False) -> LocatedDocument:
    """Parse a YAML or JSON file safely, keeping locations. Raises :class:`InvalidInputError`.

    Locations are found when first asked for (most documents never need one), or, with
    ``locate_now``, while the document is read: quicker when many will be asked for."""
    name = str(path)
    if text is None:
        text = _read_text(path)
    return (None if locate_now else _located_later(name, text)) or _load_located_now(name, text)


def _load_located_now(name: str, text: str) -> LocatedDocument:
    """:func:`load_located` with every value's mark kept as the document is built."""
    fast = _located_from_events(name, text)
    if fast is not None:
        return fast
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "malformed YAML"
        raise InvalidInputError(
            [
                Problem(
                    Location(name, line, col),
                    f"YAML syntax error: {what}",
                    "well-formed YAML or JSON",
                )
            ]
        ) from exc
    except RecursionError as exc:
        raise InvalidInputError.single(
            name, "document is nested too deeply", "a reasonably flat YAML or JSON document"
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError.single(
            name, f"YAML error: {exc}", "well-formed YAML or JSON"
        ) from exc
    if node is None:
        raise InvalidInputError.single(name, "file is empty", "a YAML or JSON document", 1, 1)
    builder = _Builder(name)
    try:
        check_expansion(node, name, text)
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise InvalidInputError(
            [
                Problem(
                    Location(name, line, col),
                    f"unsupported YAML value: {exc.problem}",
                    "plain YAML scalars, lists and mappings (no tags)",
                )
            ]
        ) from exc
    except RecursionError as exc:
        raise InvalidInputError.single(
            name, "document is nested too deeply", "a reasonably flat YAML or JSON document"
        ) from exc
    if builder.problems:
        raise InvalidInputError(builder.problems)
    return LocatedDocument(name, data, _Locations(name, builder.values),
                           _Locations(name, builder.keys))
