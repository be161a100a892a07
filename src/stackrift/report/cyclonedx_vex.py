"""CycloneDX 1.6 VEX output of a vulnerability scan.

Every scanned component that has a finding appears once in ``components``; every (group,
component) match is one entry in ``vulnerabilities`` with all the group's ids (as references),
each source's rating, the fixed versions and an ``analysis`` state: ``exploitable`` for open
findings (``will_not_fix`` with the reason when waived), ``not_affected`` or ``resolved`` where a
VEX statement said so. Output is deterministic: the serial number is derived from the content
and the timestamp is the as-of date.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import orjson

from stackrift import __version__
from stackrift.advisories.matcher import Match
from stackrift.advisories.scan import ScanResult

SOURCE_NAMES = {"osv": ("OSV", "https://osv.dev/vulnerability/"),
                "cnvd": ("CNVD", "https://www.cnvd.org.cn/flaw/show/"),
                "cnnvd": ("CNNVD", "https://www.cnnvd.org.cn/"),
                "cve5": ("CVE", "https://www.cve.org/CVERecord?id="),
                "csaf": ("CSAF", None)}
_METHODS = {"CVSS_V2": "CVSSv2", "CVSS_V3": "CVSSv31", "CVSS_V4": "CVSSv4"}
_SEVERITIES = {"critical", "high", "medium", "low", "info", "none"}
_ID_SOURCES = (("CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/"),
               ("GHSA-", "GitHub", "https://github.com/advisories/"),
               ("PYSEC-", "PyPA", "https://osv.dev/vulnerability/"),
               ("GO-", "Go", "https://pkg.go.dev/vuln/"),
               ("CNVD-", "CNVD", "https://www.cnvd.org.cn/flaw/show/"),
               ("CNNVD-", "CNNVD", None))


def _id_source(ident: str) -> dict[str, str]:
    for prefix, name, url in _ID_SOURCES:
        if ident.startswith(prefix):
            return {"name": name, "url": url + ident} if url else {"name": name}
    return {"name": "other"}


def _ratings(match: Match) -> list[dict[str, Any]]:
    ratings = []
    for record in match.records:
        name = SOURCE_NAMES.get(record.source, (record.source, None))[0]
        for rating in record.ratings:
            entry: dict[str, Any] = {"source": {"name": f"{name} {record.id}"}}
            if rating["score"] is not None:
                entry["score"] = rating["score"]
            word = rating["severity"] or rating["rating"]
            entry["severity"] = word if word in _SEVERITIES else "unknown"
            entry["method"] = _METHODS.get(rating["scheme"], "other")
            if rating["vector"]:
                entry["vector"] = rating["vector"]
            ratings.append(entry)
    return ratings


def _analysis(match: Match, suppressed_because: str | None) -> dict[str, Any]:
    vex = match.vex or {}
    status = vex.get("status")
    if status == "not_affected":
        return {"state": "not_affected", "detail": suppressed_because or "VEX: not affected"}
    if status == "fixed":
        return {"state": "resolved", "detail": suppressed_because or "VEX: fixed"}
    if suppressed_because:  # waived: a known, accepted risk
        return {"state": "exploitable", "response": ["will_not_fix"],
                "detail": suppressed_because}
    if status == "under_investigation":
        return {"state": "in_triage"}
    if match.fixed:
        return {"state": "exploitable", "response": ["update"]}
    return {"state": "exploitable"}


def build(result: ScanResult, as_of: date) -> dict[str, Any]:
    """The VEX document as a dict (validated by the caller's tests against CycloneDX 1.6)."""
    entries = [(m, None) for m in result.matches] + list(result.suppressed)
    components: dict[str, dict[str, Any]] = {}
    vulnerabilities = []
    for match, why in entries:
        target = match.target
        ref = target.ref
        if ref not in components:
            component: dict[str, Any] = {"type": "library", "bom-ref": ref, "name": target.name}
            if target.version:
                component["version"] = target.version
            if target.purl:
                component["purl"] = target.purl
            components[ref] = component
        primary = match.records[0]
        name, base = SOURCE_NAMES.get(primary.source, (primary.source, None))
        entry: dict[str, Any] = {
            "bom-ref": f"{match.group_id}:{ref}",
            "id": match.group_id,
            "source": _id_source(match.group_id),
            "references": [{"id": i, "source": _id_source(i)} for i in match.ids
                           if i != match.group_id],
            "ratings": _ratings(match),
            "analysis": _analysis(match, why),
            "affects": [{"ref": ref, "versions": [{"version": target.version or "unknown",
                                                   "status": "affected"}]}],
            "properties": [
                {"name": "stackrift:sources", "value": ",".join(match.sources)},
                {"name": "stackrift:match-method", "value": match.method},
                {"name": "stackrift:match-confidence", "value": f"{match.confidence:.2f}"},
            ],
        }
        if match.title:
            entry["description"] = match.title
        if match.fixed:
            entry["recommendation"] = f"Upgrade to {', '.join(match.fixed)} or later"
        published = match.first_published
        if published:
            entry["published"] = f"{min(published.values())}T00:00:00Z"
        for source, day in published.items():
            entry["properties"].append({"name": f"stackrift:published:{source}", "value": day})
        if name and base is None:
            entry["properties"].append({"name": "stackrift:primary-source", "value": name})
        vulnerabilities.append(entry)
    body = {"components": sorted(components.values(), key=lambda c: c["bom-ref"]),
            "vulnerabilities": sorted(vulnerabilities, key=lambda v: v["bom-ref"])}
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "stackrift:vex:" + orjson.dumps(
        body, option=orjson.OPT_SORT_KEYS).decode())
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {"timestamp": f"{as_of.isoformat()}T00:00:00Z",
                     "tools": {"components": [{"type": "application", "name": "stackrift",
                                               "version": __version__}]}},
        **body,
    }


def render(result: ScanResult, as_of: date) -> str:
    return orjson.dumps(build(result, as_of), option=orjson.OPT_INDENT_2).decode() + "\n"
