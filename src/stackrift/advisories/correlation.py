"""Correlation: every record's id and aliases join one vulnerability group (union-find).

A group's id is its lowest CVE id when it has one (the identifier every source shares), otherwise
its lowest id, so group ids are stable across imports and machines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _precedes(a: str, b: str) -> bool:
    """Whether id ``a`` comes before ``b`` as a group's id: CVE ids first, then by text."""
    a_cve, b_cve = a.startswith("CVE-"), b.startswith("CVE-")
    return a_cve > b_cve if a_cve != b_cve else a < b


def group_records(links: Mapping[tuple[str, str], Iterable[str]]
                  ) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Group records by shared ids.

    ``links`` maps (source, record id) to the record's joining ids. Returns (id -> group id,
    (source, record id) -> group id).
    """
    correlator = Correlator()
    for record, idents in links.items():
        correlator.add(record, idents)
    return correlator.groups()


class Correlator:
    """Union-find over joining ids, fed one record at a time (an import feeds it while the
    rest of its files are still being parsed). Each record must be added once."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        # source -> record id -> the record's first joining id (held by source and id: an
        # import adds 10^5 records)
        self.first_id: dict[str, dict[str, str]] = {}
        # ids that were a group's id once (for a record added before), and no longer are
        self.demoted: list[str] = []

    def _find(self, item: str) -> str:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:  # path compression keeps later finds O(1)
            parent[item], item = root, parent[item]
        return root

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            # the smaller group key becomes the root, so the root is the group id
            if _precedes(rb, ra):
                ra, rb = rb, ra
            self.parent[rb] = ra
            self.demoted.append(rb)

    def add(self, record: tuple[str, str], idents: Iterable[str]) -> str:
        """Add a record with its joining ids; its group now (what :meth:`group_of` says)."""
        parent = self.parent
        first: str | None = None
        root: str | None = None  # the group's id, when known without a search
        fresh = False  # whether the group's id is an id this call created (no row has it yet)
        for ident in idents:
            if ident not in parent:
                parent[ident] = ident
                if first is None:
                    first = root = ident
                    fresh = True
                    continue
                # a new id joins the record's first id's group: no search needed
                if root is None:
                    root = self._find(first)
                if _precedes(ident, root):
                    parent[root] = ident
                    if not fresh:
                        self.demoted.append(root)
                    fresh = True
                    root = ident
                else:
                    parent[ident] = root
            elif first is None:
                first = ident
            else:
                self._union(first, ident)
                fresh = False
                root = None
        if first is None:
            first, root = record[1], None
            parent.setdefault(first, first)
        source = self.first_id.get(record[0])
        if source is None:
            source = self.first_id[record[0]] = {}
        source[record[1]] = first
        return root if root is not None else self._find(first)

    def link(self, record: tuple[str, str], idents: Iterable[str]) -> None:
        """Join ``idents`` to an added record's group (the ids of a later copy of it)."""
        parent = self.parent
        first = self.first_id[record[0]][record[1]]
        for ident in idents:
            parent.setdefault(ident, ident)
            self._union(first, ident)

    def moved_groups(self) -> list[tuple[str, str]]:
        """(former group id, group id now) for every group that joined another: what
        :meth:`group_of` said before is, for each record, either still its group or one of
        these former ids."""
        find = self._find
        return [(old, new) for old in dict.fromkeys(self.demoted) if (new := find(old)) != old]

    def group_of(self, record: tuple[str, str]) -> str:
        """The group of an added record, from the records added so far."""
        return self._find(self.first_id[record[0]][record[1]])

    def record_groups(self) -> dict[tuple[str, str], str]:
        """(source, record id) -> group id."""
        find = self._find
        return {(source, ident): find(first) for source, firsts in self.first_id.items()
                for ident, first in firsts.items()}

    def groups(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """(id -> group id, (source, record id) -> group id)."""
        ident_group = {ident: self._find(ident) for ident in self.parent}
        record_group = {(source, ident): ident_group[first]
                        for source, firsts in self.first_id.items()
                        for ident, first in firsts.items()}
        return ident_group, record_group
