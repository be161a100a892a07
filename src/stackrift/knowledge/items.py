"""What the knowledge audit reports: one item per fact (or pair of facts) at issue."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stackrift.knowledge.facts import Fact


class Category(StrEnum):
    NO_SOURCE = "no-source"
    UNVERIFIED = "unverified"
    NOT_CHECKED = "not-checked"
    IN_FORCE_SINCE_CHECK = "in-force-since-check"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True)
class AuditItem:
    """One fact (or pair of facts) at issue."""

    category: Category
    kind: str
    id: str
    where: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category.value, "kind": self.kind, "id": self.id,
                "where": self.where, "message": self.message, "detail": self.detail}


def item(category: Category, fact: Fact, message: str, **detail: Any) -> AuditItem:
    """An item about ``fact``, located at the fact's file and line."""
    return AuditItem(category, fact.kind.value, fact.id, fact.where, message, detail)
