"""CNNVD: the JSON API records (detail and list entries) and the XML feed.

JSON detail: ``{"cnnvdDetail": {"cnnvdCode", "cveCode", "publishTime", "updateTime",
"hazardLevel" (1 超危 … 4 低危), "vulName", "vulDesc", "affectedVendor", "patch", "referUrl"}}``;
list entries carry the same keys at the top level. XML feed: ``<entry>`` with ``<vuln-id>``,
``<name>``, ``<published>``, ``<modified>``, ``<severity>``, ``<vuln-software-list><product>``
and ``<other-id><cve-id>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import orjson

from stackrift.advisories.feed import (
    guarded_record,
    iter_xml,
    read_limited,
    register_feed,
    rejection,
)
from stackrift.advisories.model import Advisory, Affected, Rating, Rejection
from stackrift.advisories.severity import cnnvd_hazard

_CNNVD_ID = re.compile(r"^CNNVD-\d{6}-\d+$")
_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_URL = re.compile(r"https?://\S+")


@register_feed
class CnnvdFeed:
    """CNNVD JSON API records and XML feed files."""

    format: ClassVar[str] = "cnnvd"
    source: ClassVar[str] = "cnnvd"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b'"cnnvdCode"' in head or b"<vuln-id>" in head or b"<cnnvd" in head

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        head = path.name.lower()
        if head.endswith((".xml", ".xml.gz", ".gz")):
            for index, element in enumerate(iter_xml(path, "entry"), start=1):
                yield guarded_record(f"{path}#{index}", partial(_xml_record, element,
                                                                 f"{path}#{index}"))
            return
        try:
            raw = orjson.loads(read_limited(path))
        except orjson.JSONDecodeError as exc:
            yield rejection(path, None, f"not valid JSON ({exc})")
            return
        items = raw if isinstance(raw, list) else [raw]
        for index, item in enumerate(items):
            where = f"{path}#{index + 1}" if isinstance(raw, list) else str(path)
            yield guarded_record(where, partial(json_record, item, where))


def _date(value: Any) -> str | None:
    return value.strip()[:10] if isinstance(value, str) and value.strip() else None


def json_record(item: Any, where: str) -> Advisory | Rejection:
    data = item.get("cnnvdDetail", item) if isinstance(item, dict) else None
    code = data.get("cnnvdCode") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(code, str) or not _CNNVD_ID.match(code):
        return rejection(where, code if isinstance(code, str) else None,
                         "missing or malformed cnnvdCode; expected CNNVD-YYYYMM-NNN")
    cve = data.get("cveCode")
    rating = cnnvd_hazard(data.get("hazardLevel"))
    vendor = data.get("affectedVendor")
    products = [p for p in (data.get("affectedProduct"), data.get("product"))
                if isinstance(p, str) and p.strip()]
    references = _URL.findall(str(data.get("referUrl") or ""))
    if isinstance(data.get("patch"), str) and data["patch"].startswith("http"):
        references.append(data["patch"])
    return Advisory(
        source="cnnvd", id=code,
        aliases=(cve,) if isinstance(cve, str) and _CVE_ID.match(cve) else (),
        published=_date(data.get("publishTime")),
        modified=_date(data.get("updateTime")) or _date(data.get("publishTime")),
        title=data.get("vulName") if isinstance(data.get("vulName"), str) else None,
        details=data.get("vulDesc") if isinstance(data.get("vulDesc"), str) else None,
        severities=(Rating("text", None, None, rating),) if rating else (),
        affected=tuple(Affected(product=p, vendor=vendor if isinstance(vendor, str) else None)
                       for p in products),
        references=tuple(dict.fromkeys(references)), origin=where)


def _xml_text(element: Any, path: str) -> str | None:
    child = element.find(path)
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def _xml_record(element: Any, where: str) -> Advisory | Rejection:
    code = _xml_text(element, "vuln-id")
    if code is None or not _CNNVD_ID.match(code):
        return rejection(where, code, "missing or malformed <vuln-id>; expected CNNVD-YYYYMM-NNN")
    cves = [c.text.strip() for c in element.iterfind("other-id/cve-id")
            if c.text and _CVE_ID.match(c.text.strip())]
    products = [" ".join(p.text.split()) for p in element.iterfind("vuln-software-list/product")
                if p.text and p.text.strip()]
    rating = _xml_text(element, "severity")
    return Advisory(
        source="cnnvd", id=code, aliases=tuple(cves), published=_date(_xml_text(element,
                                                                                 "published")),
        modified=_date(_xml_text(element, "modified")) or _date(_xml_text(element, "published")),
        title=_xml_text(element, "name"), details=_xml_text(element, "vuln-descript"),
        severities=(Rating("text", None, None, rating),) if rating else (),
        affected=tuple(Affected(product=p) for p in dict.fromkeys(products)), origin=where)
