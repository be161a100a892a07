"""CVE JSON 5.x records (``dataType: CVE_RECORD``) as published by CVE Services / cvelistV5.

The CNA container's ``affected`` entries become package entries when the collection is a known
package registry (PyPI, npm, Go, Maven, crates.io) and product text otherwise; ``versions`` with
``lessThan``/``lessThanOrEqual`` become ranges. A ``REJECTED`` record is withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson

from stackrift.advisories.feed import guarded_record, read_limited, register_feed, rejection
from stackrift.advisories.model import Advisory, Affected, Event, Range, Rating, Rejection
from stackrift.advisories.severity import cvss_rating

_COLLECTIONS = {"pypi.org": "PyPI", "npmjs": "npm", "pkg.go.dev": "Go", "proxy.golang.org": "Go",
                "repo.maven.apache.org": "Maven", "crates.io": "crates.io"}


@register_feed
class Cve5Feed:
    """CVE JSON 5 records, one per file."""

    format: ClassVar[str] = "cve5"
    source: ClassVar[str] = "cve5"

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name.lower().endswith(".json") and (b'"CVE_RECORD"' in head
                                                         or b'"cveMetadata"' in head)

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        try:
            raw = orjson.loads(read_limited(path))
        except orjson.JSONDecodeError as exc:
            yield rejection(path, None, f"not valid JSON ({exc})")
            return
        yield guarded_record(str(path), lambda: cve5_record(raw, str(path)))


def _ecosystem(collection: Any) -> str | None:
    if not isinstance(collection, str):
        return None
    return next((eco for host, eco in _COLLECTIONS.items() if host in collection), None)


def cve5_record(raw: Any, where: str) -> Advisory | Rejection:
    meta = raw.get("cveMetadata") if isinstance(raw, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("cveId"), str):
        return rejection(where, None, "no cveMetadata.cveId; expected a CVE JSON 5 record")
    cve_id = meta["cveId"]
    containers = raw.get("containers") or {}
    cna = (containers.get("cna") if isinstance(containers, dict) else None) or {}
    if not isinstance(cna, dict):
        return rejection(where, cve_id, "containers.cna is not an object")
    affected = []
    for item in cna.get("affected") or []:
        if not isinstance(item, dict):
            return rejection(where, cve_id, "an affected entry is not an object")
        events: list[Event] = []
        exact: list[str] = []
        for version in item.get("versions") or []:
            if not isinstance(version, dict) or version.get("status") != "affected":
                continue
            start = str(version.get("version", "0"))
            if "lessThan" in version or "lessThanOrEqual" in version:
                events.append(Event("introduced", "0" if start in ("*", "") else start))
                if "lessThan" in version:
                    events.append(Event("fixed", str(version["lessThan"])))
                else:
                    events.append(Event("last_affected", str(version["lessThanOrEqual"])))
            elif start not in ("*", "", "n/a"):
                exact.append(start)
        kind = "SEMVER" if any(str(v.get("versionType", "")).lower() == "semver"
                               for v in item.get("versions") or [] if isinstance(v, dict)
                               ) else "ECOSYSTEM"
        ranges = tuple(Range(kind, tuple(events[i:i + 2])) for i in range(0, len(events), 2))
        ecosystem = _ecosystem(item.get("collectionURL"))
        name = item.get("packageName") if ecosystem else None
        vendor, product = item.get("vendor"), item.get("product")
        affected.append(Affected(
            ecosystem=ecosystem, name=name if isinstance(name, str) else None, ranges=ranges,
            versions=tuple(exact), vendor=vendor if isinstance(vendor, str) else None,
            product=" ".join(str(p) for p in (vendor, product) if p and p != "n/a") or None))
    severities = []
    for metric in cna.get("metrics") or []:
        for key in ("cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"):
            block = metric.get(key) if isinstance(metric, dict) else None
            if isinstance(block, dict) and isinstance(block.get("vectorString"), str):
                rating = cvss_rating(block["vectorString"])
                if rating:
                    severities.append(rating)
                elif isinstance(block.get("baseSeverity"), str):
                    severities.append(Rating("text", None, None, block["baseSeverity"].lower()))
    descriptions = [d.get("value") for d in cna.get("descriptions") or []
                    if isinstance(d, dict) and str(d.get("lang", "")).startswith("en")]
    references = [r["url"] for r in cna.get("references") or []
                  if isinstance(r, dict) and isinstance(r.get("url"), str)]
    state = meta.get("state")
    return Advisory(
        source="cve5", id=cve_id, published=meta.get("datePublished"),
        modified=meta.get("dateUpdated") or meta.get("datePublished"),
        withdrawn=(meta.get("dateRejected") or meta.get("dateUpdated") or "rejected")
        if state == "REJECTED" else None,
        title=cna.get("title") if isinstance(cna.get("title"), str) else None,
        details=next((d for d in descriptions if isinstance(d, str)), None),
        severities=tuple(severities), affected=tuple(affected),
        references=tuple(dict.fromkeys(references)), origin=where)
