"""What changed between two knowledge sets: files, and facts added, removed or changed by id."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from stackrift.errors import InvalidInputError
from stackrift.knowledge.facts import Fact, read_facts
from stackrift.knowledge.manifest import MANIFEST_NAME, read_manifest, set_files, sha256_file
from stackrift.knowledge.sets import active_knowledge, packaged_set


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class FactChange:
    """One fact that differs; ``fields`` names the record's keys whose values changed."""

    file: str
    kind: str
    id: str
    change: Change
    fields: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class SideOfDiff:
    """One of the two sets compared."""

    label: str
    root: Path
    version: str | None


@dataclass(frozen=True)
class KnowledgeDiff:
    old: SideOfDiff
    new: SideOfDiff
    files: tuple[tuple[str, Change], ...]
    facts: tuple[FactChange, ...]

    @property
    def empty(self) -> bool:
        return not self.files and not self.facts

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"set": self.old.label, "version": self.old.version},
            "new": {"set": self.new.label, "version": self.new.version},
            "files": [{"file": f, "change": c.value} for f, c in self.files],
            "facts": [{"file": c.file, "kind": c.kind, "id": c.id, "change": c.change.value,
                       "fields": list(c.fields), "line": c.line} for c in self.facts],
        }


def resolve_side(reference: str) -> SideOfDiff:
    """``packaged``, ``active`` or a knowledge-set folder (its manifest is optional here)."""
    if reference in ("packaged", "active"):
        chosen = packaged_set() if reference == "packaged" else active_knowledge()
        return SideOfDiff(reference, chosen.root, chosen.manifest.version)
    root = Path(reference)
    if not root.is_dir():
        raise InvalidInputError.single(root, "not a folder", "a knowledge-set folder, "
                                       "'packaged' or 'active'")
    version = (read_manifest(root / MANIFEST_NAME).version
               if (root / MANIFEST_NAME).is_file() else None)
    return SideOfDiff(reference, root, version)


def diff_sets(old: SideOfDiff, new: SideOfDiff) -> KnowledgeDiff:
    """Files and facts that differ from ``old`` to ``new``, sorted by file, kind and id."""
    old_files, new_files = set(set_files(old.root)), set(set_files(new.root))
    files = [(f, Change.ADDED) for f in new_files - old_files]
    files += [(f, Change.REMOVED) for f in old_files - new_files]
    files += [(f, Change.CHANGED) for f in old_files & new_files
              if sha256_file(old.root / f) != sha256_file(new.root / f)]
    before, after = _index(read_facts(old.root)), _index(read_facts(new.root))
    changes = [FactChange(*key, Change.ADDED, line=after[key].line)
               for key in after.keys() - before.keys()]
    changes += [FactChange(*key, Change.REMOVED, line=before[key].line)
                for key in before.keys() - after.keys()]
    for key in before.keys() & after.keys():
        fields = _changed_fields(before[key].record, after[key].record)
        if fields:
            changes.append(FactChange(*key, Change.CHANGED, fields, after[key].line))
    return KnowledgeDiff(old, new, tuple(sorted(files)),
                         tuple(sorted(changes, key=lambda c: (c.file, c.kind, c.id))))


def _index(facts: list[Fact]) -> dict[tuple[str, str, str], Fact]:
    indexed: dict[tuple[str, str, str], Fact] = {}
    for fact in facts:
        key, n = (fact.file, fact.kind.value, fact.id), 1
        while key in indexed:  # the same id twice in a file: number the repeats
            n += 1
            key = (fact.file, fact.kind.value, f"{fact.id}#{n}")
        indexed[key] = fact
    return indexed


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                        default=str)


def _changed_fields(old: Any, new: Any) -> tuple[str, ...]:
    if isinstance(old, dict) and isinstance(new, dict):
        return tuple(sorted(k for k in old.keys() | new.keys()
                            if _canonical(old.get(k)) != _canonical(new.get(k))))
    return ("value",) if _canonical(old) != _canonical(new) else ()
