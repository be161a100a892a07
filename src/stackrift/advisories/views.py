"""JSON views of store content for ``db show``/``db import`` (the CLI only prints them)."""

from __future__ import annotations

from typing import Any

from stackrift.advisories.matching import fixed_versions
from stackrift.advisories.model import Advisory, ImportReport
from stackrift.advisories.severity import severity_of
from stackrift.advisories.store import GroupView


def record_json(record: Advisory) -> dict[str, Any]:
    """One source's view of a vulnerability: ids, dates, its own severity, what it says is hit."""
    affected = []
    for a in record.affected:
        item: dict[str, Any] = {"status": a.status}
        if a.name:
            item.update(ecosystem=a.ecosystem, package=a.name, purl=a.purl)
            if a.ranges:
                item["ranges"] = [{"type": r.type, "events": [{e.kind: e.version}
                                                               for e in r.events]}
                                  for r in a.ranges]
            if a.versions:
                item["versions_listed"] = len(a.versions)
            fixed = fixed_versions(a)
            if fixed:
                item["fixed"] = list(fixed)
        if a.product:
            item["product"] = a.product
        affected.append(item)
    return {
        "source": record.source, "id": record.id, "aliases": list(record.aliases),
        "published": record.published, "modified": record.modified,
        "withdrawn": record.withdrawn, "title": record.title,
        "severity": [{"scheme": r.scheme, "vector": r.vector, "score": r.score,
                      "rating": r.rating,
                      "severity": (s.value if (s := severity_of(r)) else None)}
                     for r in record.severities],
        "affected": affected, "references": list(record.references),
    }


def group_json(group: GroupView) -> dict[str, Any]:
    """``db show --json``: the group's ids, the sources that know it, and each source's record."""
    return {"group": group.group_id, "ids": list(group.ids), "sources": list(group.sources),
            "records": [record_json(r) for r in group.records]}


def import_json(report: ImportReport) -> dict[str, Any]:
    data = report.to_dict()
    data["skipped_files"] = data["skipped_files"][:200]
    return data
