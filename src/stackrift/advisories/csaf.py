"""CSAF 2.0 advisories, including the VEX profile's ``product_status``.

One record per (document, vulnerability): the id is the document's ``tracking.id`` (suffixed with
the CVE or index when a document covers several vulnerabilities); aliases are the CVE and
``ids[].text``. Each product id in ``product_status`` becomes an affected entry carrying its status
(``known_affected``, ``fixed``, ``known_not_affected``, ``under_investigation``, …), the product's
full name and, where the product tree gives one, its purl.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import orjson

from stackrift.advisories.feed import guarded_record, read_limited, register_feed, rejection
from stackrift.advisories.model import Advisory, Affected, Rating, Rejection
from stackrift.advisories.severity import cvss_rating
from stackrift.errors import InvalidInputError, json_syntax_error

STATUSES = ("known_affected", "first_affected", "last_affected", "fixed", "first_fixed",
            "recommended", "known_not_affected", "under_investigation")


@register_feed
class CsafFeed:
    """CSAF 2.x JSON documents."""

    format: ClassVar[str] = "csaf"
    source: ClassVar[str] = "csaf"

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name.lower().endswith(".json") and b'"csaf_version"' in head

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        try:
            raw = orjson.loads(read_limited(path))
        except orjson.JSONDecodeError as exc:
            raise json_syntax_error(path, exc, "not valid JSON ({reason})",
                                    "a CSAF 2.0 JSON document") from None
        document = raw.get("document") if isinstance(raw, dict) else None
        tracking = document.get("tracking") if isinstance(document, dict) else None
        if not isinstance(tracking, dict) or not isinstance(tracking.get("id"), str):
            raise InvalidInputError.single(path, "no document.tracking.id",
                                           "a CSAF 2.0 document with document.tracking")
        products = product_index(raw.get("product_tree"))
        vulnerabilities = raw.get("vulnerabilities") or []
        if not isinstance(vulnerabilities, list):
            raise InvalidInputError.single(path, "'vulnerabilities' is not a list",
                                           "a list of vulnerability objects")
        assert isinstance(document, dict)  # tracking was found inside it
        for index, vuln in enumerate(vulnerabilities):
            yield guarded_record(f"{path}#{index + 1}", partial(
                csaf_record, vuln, index, len(vulnerabilities), document, tracking, products,
                str(path)))


def product_index(tree: Any) -> dict[str, tuple[str, str | None]]:
    """product_id -> (full name, purl) from every branch and full_product_names entry."""
    found: dict[str, tuple[str, str | None]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        for key in ("product", "full_product_name"):
            product = node.get(key)
            if isinstance(product, dict) and isinstance(product.get("product_id"), str):
                helper = product.get("product_identification_helper") or {}
                purl = helper.get("purl") if isinstance(helper, dict) else None
                found[product["product_id"]] = (str(product.get("name", product["product_id"])),
                                                purl if isinstance(purl, str) else None)
        for key in ("branches", "full_product_names", "relationships"):
            if key in node:
                visit(node[key])

    visit(tree)
    return found


def csaf_record(vuln: Any, index: int, count: int, document: dict[str, Any],
                tracking: dict[str, Any], products: dict[str, tuple[str, str | None]],
                where: str) -> Advisory | Rejection:
    if not isinstance(vuln, dict):
        return rejection(where, f"vulnerabilities[{index}]", "not an object")
    cve = vuln.get("cve") if isinstance(vuln.get("cve"), str) else None
    doc_id = str(tracking["id"])
    record_id = doc_id if count == 1 else f"{doc_id}#{cve or index}"
    aliases = [cve] if cve else []
    for item in vuln.get("ids") or []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            aliases.append(item["text"])
    affected = []
    status = vuln.get("product_status") or {}
    for name in STATUSES:
        for product_id in status.get(name) or []:
            label, purl = products.get(str(product_id), (str(product_id), None))
            affected.append(Affected(purl=purl, product=label, status=name,
                                     **_purl_parts(purl)))
    severities = []
    for score in vuln.get("scores") or []:
        for key in ("cvss_v4", "cvss_v3", "cvss_v2"):
            vector = (score.get(key) or {}).get("vectorString") if isinstance(score, dict) else None
            if isinstance(vector, str) and (rating := cvss_rating(vector)):
                severities.append(rating)
    aggregate = (document.get("aggregate_severity") or {}).get("text")
    if isinstance(aggregate, str):
        severities.append(Rating("text", None, None, aggregate.lower()))
    notes = [n.get("text") for n in vuln.get("notes") or [] if isinstance(n, dict)]
    references = [r["url"] for r in vuln.get("references") or []
                  if isinstance(r, dict) and isinstance(r.get("url"), str)]
    return Advisory(
        source="csaf", id=record_id, aliases=tuple(dict.fromkeys(a for a in aliases
                                                                  if a != record_id)),
        published=tracking.get("initial_release_date"),
        modified=tracking.get("current_release_date"),
        title=vuln.get("title") or document.get("title"),
        details=next((n for n in notes if isinstance(n, str)), None),
        severities=tuple(severities), affected=tuple(affected),
        references=tuple(dict.fromkeys(references)), origin=where)


def _purl_parts(purl: str | None) -> dict[str, Any]:
    """ecosystem/name/versions from a purl, so CSAF products match like OSV packages."""
    from stackrift.advisories.matching import purl_identity

    identity = purl_identity(purl) if purl else None
    if identity is None:
        return {}
    ecosystem, name, version = identity
    return {"ecosystem": ecosystem, "name": name, "versions": (version,) if version else ()}
