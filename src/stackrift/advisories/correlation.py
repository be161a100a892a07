"""Correlation: every record's id and aliases join one vulnerability group (union-find).

A group's id is its lowest CVE id when it has one (the identifier every source shares), otherwise
its lowest id, so group ids are stable across imports and machines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _group_key(ident: str) -> tuple[int, str]:
    return (0 if ident.startswith("CVE-") else 1, ident)


def group_records(links: Mapping[tuple[str, str], Iterable[str]]
                  ) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Group records by shared ids.

    ``links`` maps (source, record id) to the record's joining ids. Returns (id -> group id,
    (source, record id) -> group id).
    """
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:  # path compression keeps later finds O(1)
            parent[item], item = root, parent[item]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # the smaller group key becomes the root, so the root is the group id
            if _group_key(rb) < _group_key(ra):
                ra, rb = rb, ra
            parent[rb] = ra

    first_id: dict[tuple[str, str], str] = {}
    for record, idents in links.items():
        first: str | None = None
        for ident in idents:
            if ident not in parent:
                parent[ident] = ident
                if first is None:
                    first = ident
                else:  # a new id joins the record's first id's group: no search needed
                    parent[ident] = find(first)
                    if _group_key(ident) < _group_key(parent[ident]):
                        root = parent[ident]
                        parent[root] = parent[ident] = ident
            elif first is None:
                first = ident
            else:
                union(first, ident)
        if first is None:
            first = record[1]
            parent.setdefault(first, first)
        first_id[record] = first
    ident_group = {ident: find(ident) for ident in parent}
    record_group = {record: ident_group[first] for record, first in first_id.items()}
    return ident_group, record_group
