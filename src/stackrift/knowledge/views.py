"""Plain-text and JSON views of knowledge sets, audits and diffs for the command line."""

from __future__ import annotations

from typing import Any

from stackrift.knowledge.audit import AuditReport
from stackrift.knowledge.diff import KnowledgeDiff
from stackrift.knowledge.items import Category
from stackrift.knowledge.sets import KnowledgeSet, KnowledgeStamp

_AUDIT_HEADINGS = {
    Category.NO_SOURCE: "Facts without a source",
    Category.UNVERIFIED: "Unverified facts",
    Category.NOT_CHECKED: "Facts not checked within the window",
    Category.IN_FORCE_SINCE_CHECK: "In-force dates passed since the check",
    Category.CONTRADICTION: "Contradictions between records",
}


def stamp_json(stamp: KnowledgeStamp) -> dict[str, Any]:
    return dict(stamp.to_json())


def set_json(knowledge: KnowledgeSet) -> dict[str, Any]:
    manifest = knowledge.manifest
    return {**stamp_json(knowledge.stamp()), "description": manifest.description,
            "root": str(knowledge.root), "files": len(manifest.files)}


def set_text(knowledge: KnowledgeSet) -> str:
    data = set_json(knowledge)
    lines = [f"knowledge {data['version']} of {data['date']} ({data['source']})",
             f"  from:   {data['location'] or 'the installed stackrift package'}",
             f"  files:  {data['files']}", f"  digest: sha256:{data['digest']}"]
    if data["description"]:
        lines.append(f"  {data['description']}")
    return "\n".join(lines)


def audit_text(report: AuditReport) -> str:
    counts = report.counts()
    lines = [f"Knowledge audit as of {report.as_of} (checks older than {report.older_than_days} "
             f"days count as stale): {sum(counts.values())} items",
             "Looked at: " + ", ".join(f"{n} {k}" for k, n in report.facts_by_kind.items())
             + f"; {report.citations} citations"]
    for category in Category:
        chosen = [i for i in report.items if i.category is category]
        lines.append(f"\n{_AUDIT_HEADINGS[category]}: {len(chosen)}")
        lines += [f"  {i.where}: {i.kind} {i.id}: {i.message}" for i in chosen]
    return "\n".join(lines)


def diff_text(diff: KnowledgeDiff) -> str:
    lines = [f"{diff.old.label} ({diff.old.version or 'no manifest'}) -> "
             f"{diff.new.label} ({diff.new.version or 'no manifest'})"]
    if diff.empty:
        return lines[0] + "\nno differences"
    lines += [f"file {change.value}: {name}" for name, change in diff.files]
    current = None
    for change in diff.facts:
        if change.file != current:
            current = change.file
            lines.append(f"\n{current}")
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        lines.append(f"  {change.change.value:8} {change.kind} {change.id}{fields}")
    return "\n".join(lines)
