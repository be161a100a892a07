"""Enumerations whose members are ordered as declared (verdicts, release actions, TLP levels)."""

from __future__ import annotations

from enum import StrEnum


class RankedStrEnum(StrEnum):
    """A string enumeration whose ``rank`` is a member's position: later members rank higher."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)
