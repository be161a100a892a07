"""Enumerations whose members are ordered as declared (verdicts, release actions, TLP levels)."""

from __future__ import annotations

from enum import StrEnum

# member -> position, per enumeration; filled on first use (rank is asked in inner loops)
_RANKS: dict[type[StrEnum], dict[StrEnum, int]] = {}


class RankedStrEnum(StrEnum):
    """A string enumeration whose ``rank`` is a member's position: later members rank higher."""

    @property
    def rank(self) -> int:
        ranks = _RANKS.get(type(self))
        if ranks is None:
            ranks = _RANKS[type(self)] = {member: index for index, member in enumerate(type(self))}
        return ranks[self]
