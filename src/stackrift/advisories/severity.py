"""Severity: CVSS vectors parsed with the ``cvss`` library; each source's own rating kept."""

from __future__ import annotations

from stackrift.advisories.model import Rating
from stackrift.severities import Severity

_WORDS = {
    "critical": Severity.CRITICAL, "high": Severity.HIGH, "important": Severity.HIGH,
    "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM, "low": Severity.LOW,
    "none": Severity.INFO, "info": Severity.INFO,
    # CNVD and CNNVD ratings
    "超危": Severity.CRITICAL, "高": Severity.HIGH, "高危": Severity.HIGH, "中": Severity.MEDIUM,
    "中危": Severity.MEDIUM, "低": Severity.LOW, "低危": Severity.LOW,
}


def rating_word(text: str | None) -> Severity | None:
    """Map a source's rating word (English or Chinese) to a severity; None when unknown."""
    if not text:
        return None
    return _WORDS.get(text.strip().lower())


def cvss_rating(vector: str) -> Rating | None:
    """Parse a CVSS v2/v3/v4 vector into a rating with base score; None if it does not parse."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    text = vector.strip()
    try:
        if text.startswith("CVSS:4"):
            v4 = CVSS4(text)
            return Rating("CVSS_V4", text, float(v4.base_score), str(v4.severity).lower())
        if text.startswith("CVSS:3"):
            v3 = CVSS3(text)
            return Rating("CVSS_V3", text, float(v3.base_score), str(v3.severities()[0]).lower())
        v2 = CVSS2(text)
        score = float(v2.base_score)
        word = "high" if score >= 7 else "medium" if score >= 4 else "low"
        return Rating("CVSS_V2", text, score, word)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None


def severity_of(rating: Rating) -> Severity | None:
    """A finding severity from one rating (CVSS score bands first, then the word)."""
    if rating.score is not None and rating.scheme.startswith("CVSS"):
        s = rating.score
        if s >= 9.0:
            return Severity.CRITICAL
        if s >= 7.0:
            return Severity.HIGH
        if s >= 4.0:
            return Severity.MEDIUM
        return Severity.LOW if s > 0 else Severity.INFO
    return rating_word(rating.rating)


def cnnvd_hazard(level: object) -> str | None:
    """CNNVD ``hazardLevel`` 1-4 (1 = 超危 critical ... 4 = 低危 low) as a rating word."""
    words = {1: "critical", 2: "high", 3: "medium", 4: "low"}
    try:
        return words.get(int(str(level)))
    except ValueError:
        return None
