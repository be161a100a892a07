"""Load rule packs (packaged and user-supplied) with every problem located as FILE:LINE:COL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from stackrift.errors import InvalidInputError, Location, Problem, combine
from stackrift.estate.loader import validation_error
from stackrift.estate.yamlsource import LocatedDocument, PathKey, load_located
from stackrift.rules.model import Condition, Conflict, Pack, Rule, Scope

PACK_SUFFIXES = (".yaml", ".yml", ".json")
MAX_PACK_FILES = 500


@dataclass(frozen=True)
class LoadedPack:
    """A validated pack and the file it came from.

    ``read`` gives the file's parsed document with the location of every value; a pack taken
    from its validated copy is parsed only if a location is asked for (a problem to report)."""

    pack: Pack
    path: str
    packaged: bool
    read: Callable[[], LocatedDocument] = field(repr=False, compare=False)

    @cached_property
    def document(self) -> LocatedDocument:
        return self.read()

    def locate_rule(self, rule_id: str) -> Location:
        for collection in ("rules", "conflicts"):
            items = self.document.data.get(collection) or []
            for i, item in enumerate(items):
                if isinstance(item, dict) and item.get("id") == rule_id:
                    return self.document.locate((collection, i))
        return Location(self.path, 1, 1)


@dataclass(frozen=True)
class RuleSet:
    """Every loaded rule and conflict, with the pack each came from."""

    packs: tuple[LoadedPack, ...]
    rules: tuple[Rule, ...] = field(init=False)
    conflicts: tuple[Conflict, ...] = field(init=False)
    _owners: dict[str, LoadedPack] = field(init=False, repr=False, compare=False)
    _rules_by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)
    derived: dict[str, object] = field(init=False, repr=False, compare=False)
    """Things computed once per rule set by its users (e.g. the engine's compiled rules)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(r for p in self.packs for r in p.pack.rules))
        object.__setattr__(self, "conflicts",
                           tuple(c for p in self.packs for c in p.pack.conflicts))
        owners: dict[str, LoadedPack] = {}
        for loaded in self.packs:
            for item_id in [r.id for r in loaded.pack.rules] + [c.id for c in
                                                                 loaded.pack.conflicts]:
                owners.setdefault(item_id, loaded)
        object.__setattr__(self, "_owners", owners)
        by_id: dict[str, Rule] = {}
        for rule in self.rules:
            by_id.setdefault(rule.id, rule)
        object.__setattr__(self, "_rules_by_id", by_id)
        object.__setattr__(self, "derived", {})

    def pack_of(self, item_id: str) -> LoadedPack | None:
        return self._owners.get(item_id)

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules_by_id.get(rule_id)

    def conflict(self, conflict_id: str) -> Conflict | None:
        return next((c for c in self.conflicts if c.id == conflict_id), None)

    def regime_of(self, rule: Rule) -> str:
        if rule.regime:
            return rule.regime
        loaded = self.pack_of(rule.id)
        return loaded.pack.regime if loaded else "unknown"

    def conditions_for(self, item_id: str) -> Mapping[str, Condition]:
        loaded = self.pack_of(item_id)
        return loaded.pack.conditions if loaded else {}


def _pack_problems(locate: Callable[[PathKey], Location], pack: Pack) -> Iterator[Problem]:
    """Fact names, operators, references and cycles, checked per rule's scope (``locate``: where
    a path of the pack's file is)."""
    defined = frozenset(pack.conditions)

    def cycles(name: str, trail: tuple[str, ...]) -> Iterator[str]:
        cond = pack.conditions[name]
        for ref in _refs(cond):
            if ref in trail:
                yield " -> ".join((*trail, ref))
            elif ref in pack.conditions:
                yield from cycles(ref, (*trail, ref))

    for name in sorted(pack.conditions):
        for cycle in cycles(name, (name,)):
            yield Problem(locate(("conditions", name)), f"condition refs form a cycle: {cycle}",
                          "refs that end in plain conditions")
            return

    def check(cond: Condition, scope: Scope, path: PathKey) -> Iterator[Problem]:
        seen: set[str] = set()
        pending = [cond]
        for sub, message in cond.check_facts(scope, defined):
            yield Problem(locate((*path, *sub)), message,
                          f"a condition valid for {scope.value} rules")
        while pending:
            current = pending.pop()
            for ref in _refs(current):
                if ref in pack.conditions and ref not in seen:
                    seen.add(ref)
                    referenced = pack.conditions[ref]
                    for sub, message in referenced.check_facts(scope, defined):
                        yield Problem(locate(("conditions", ref, *sub)),
                                      f"{message} (used by a {scope.value} rule at {path[-2]})",
                                      f"a condition valid for {scope.value} rules")
                    pending.append(referenced)

    for i, rule in enumerate(pack.rules):
        yield from check(rule.when, rule.scope, ("rules", i, "when"))
    for i, conflict in enumerate(pack.conflicts):
        for j, side in enumerate(conflict.sides):
            yield from check(side.when, conflict.scope, ("conflicts", i, "sides", j, "when"))


def _refs(cond: Condition) -> Iterator[str]:
    if cond.ref is not None:
        yield cond.ref
    for child in (*(cond.all or ()), *(cond.any or ()),
                  *((cond.not_,) if cond.not_ is not None else ()),
                  *((cond.volume.exclude,) if cond.volume and cond.volume.exclude else ())):
        yield from _refs(child)


def load_pack(path: Path, *, packaged: bool = False, text: str | None = None) -> LoadedPack:
    """Read and validate one pack file; raises :class:`InvalidInputError` with located problems."""
    doc = load_located(path, text=text)
    if not isinstance(doc.data, dict):
        raise InvalidInputError([Problem(doc.locate(()), "a rule pack must be a mapping at top "
                                         "level", "keys pack, title, regime, version, rules")])
    try:
        pack = Pack.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(doc, exc, Pack) from exc
    error = combine(_pack_problems(doc.locate, pack))
    if error is not None:
        raise error
    return LoadedPack(pack, doc.path, packaged, lambda: doc)


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InvalidInputError.single(directory, "not a folder of rule packs",
                                       "an existing folder holding *.yaml rule packs")
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in PACK_SUFFIXES
                   and p.is_file())
    if not files:
        raise InvalidInputError.single(directory, "no rule packs found",
                                       "at least one *.yaml, *.yml or *.json file")
    if len(files) > MAX_PACK_FILES:
        raise InvalidInputError.single(directory, f"{len(files)} pack files",
                                       f"at most {MAX_PACK_FILES}")
    return files


def _packaged_packs() -> tuple[LoadedPack, ...]:
    """The packs of the active knowledge set (read once per process and set)."""
    from stackrift.knowledge.sets import KnowledgeSource, active_knowledge

    knowledge = active_knowledge()
    # Packs shipped in the package are named by their package path, the same on every machine.
    label = "stackrift/rules/packs" if knowledge.source is KnowledgeSource.PACKAGED else None
    return _knowledge_packs(knowledge.section("rules/packs"), label)


class _PackCopy(BaseModel):
    """The packs of a knowledge set as validated (see ``stackrift/validatedcopy.py``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    names: tuple[str, ...]
    packs: tuple[Pack, ...]


_COPY_KIND = "rule-packs"
_COPY_FORMAT = b"stackrift-rule-packs-1"
# the models that validate a pack and the module that checks its references
_COPY_MODULES = ("stackrift.rules.model", "stackrift.rules.conditions", __name__)


@cache
def _knowledge_packs(root: Path, label: str | None) -> tuple[LoadedPack, ...]:
    from stackrift.validatedcopy import copy_key, read_copy, write_copy

    sources: list[tuple[Path, str]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(PACK_SUFFIXES) and entry.is_file():
            name = Path(f"{label}/{entry.name}") if label else entry
            sources.append((name, entry.read_text(encoding="utf-8")))
    key = copy_key(_COPY_FORMAT, _COPY_MODULES,
                   [(str(name), text.encode()) for name, text in sources])
    copy = read_copy(_COPY_KIND, key, _PackCopy) if key is not None else None
    if copy is not None and copy.names == tuple(str(name) for name, _ in sources):
        loaded = tuple(_from_copy(pack, name, text) for pack, (name, text)
                       in zip(copy.packs, sources, strict=True))
        # a copy is checked like the files it stands for; one that fails is not used
        if not any(next(_pack_problems(_locator(p), p.pack), None) for p in loaded):
            return loaded
    loaded = tuple(load_pack(name, packaged=True, text=text) for name, text in sources)
    if key is not None:
        write_copy(_COPY_KIND, key, _PackCopy(names=tuple(p.path for p in loaded),
                                              packs=tuple(p.pack for p in loaded))
                   .model_dump_json(by_alias=True).encode())
    return loaded


def _locator(loaded: LoadedPack) -> Callable[[PathKey], Location]:
    return lambda path: loaded.document.locate(path)


def _from_copy(pack: Pack, name: Path, text: str) -> LoadedPack:
    return LoadedPack(pack, str(name), True, lambda: load_located(name, text=text))


def _set_problems(packs: Sequence[LoadedPack]) -> Iterator[Problem]:
    first: dict[str, LoadedPack] = {}
    pack_names: dict[str, LoadedPack] = {}
    for loaded in packs:
        name = loaded.pack.pack
        if name in pack_names:
            yield Problem(loaded.document.locate(("pack",)), f"pack name '{name}' is already used "
                          f"by {pack_names[name].path}", "a unique pack name")
        pack_names.setdefault(name, loaded)
        for item_id in [r.id for r in loaded.pack.rules] + [c.id for c in loaded.pack.conflicts]:
            if item_id in first:
                yield Problem(loaded.locate_rule(item_id), f"rule id '{item_id}' is already "
                              f"defined in {first[item_id].path} at "
                              f"{first[item_id].locate_rule(item_id)}",
                              "ids unique across all packs")
            else:
                first[item_id] = loaded
    known = set(first)
    for loaded in packs:
        for i, rule in enumerate(loaded.pack.rules):
            for j, target in enumerate(rule.supersedes):
                if target not in known:
                    yield Problem(loaded.document.locate(("rules", i, "supersedes", j)),
                                  f"rule '{rule.id}' supersedes '{target}', which is not defined",
                                  "the id of a rule in a loaded pack")


def load_rules(extra_dirs: Sequence[Path] = (), *, include_packaged: bool = True) -> RuleSet:
    """The packaged packs plus every pack in ``extra_dirs``, checked as one set."""
    packs: list[LoadedPack] = list(_packaged_packs()) if include_packaged else []
    problems: list[Problem] = []
    for directory in extra_dirs:
        for path in _files(directory):
            try:
                packs.append(load_pack(path))
            except InvalidInputError as exc:
                problems.extend(exc.problems)
    problems.extend(_set_problems(packs))
    error = combine(problems)
    if error is not None:
        raise error
    return RuleSet(tuple(packs))
