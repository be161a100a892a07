"""The report formats, one per renderer module (``--format``); a test holds the two in step."""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"
    MD = "md"
    HTML = "html"
    SARIF = "sarif"
