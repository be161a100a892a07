"""What the planner optimises (``stackrift plan --objective``); kept apart from the solver so
choosing one imports no solver."""

from __future__ import annotations

from enum import StrEnum


class Objective(StrEnum):
    COST = "cost"
    RESILIENCE = "resilience"
    BALANCED = "balanced"
