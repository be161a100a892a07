"""CNVD official XML releases (plain or ``.xml.gz``): ``<vulnerabilitys><vulnerability>…``.

Fields: ``number`` (CNVD-YYYY-NNNNN), ``cves/cve/cveNumber``, ``title``, ``serverity``
(sic; 高/中/低), ``products/product`` (free text such as ``Google TensorFlow <2.6.0``),
``submitTime`` (received), ``openTime`` (published), ``referenceLink``, ``formalWay`` (remedy),
``description`` (Chinese).
CNVD has no modification date; a revised entry carries a later ``openTime`` or changed text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, ClassVar

from stackrift.advisories.feed import guarded_record, iter_xml, register_feed, rejection
from stackrift.advisories.model import Advisory, Affected, Rating, Rejection

_CNVD_ID = re.compile(r"^CNVD-(C-)?\d{4}-\d+$")
_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@register_feed
class CnvdFeed:
    """CNVD XML feed."""

    format: ClassVar[str] = "cnvd"
    source: ClassVar[str] = "cnvd"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"<vulnerabilitys" in head or (b"<vulnerability>" in head and b"CNVD-" in head)

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        for index, element in enumerate(iter_xml(path, "vulnerability"), start=1):
            yield guarded_record(f"{path}#{index}", partial(cnvd_record, element,
                                                             f"{path}#{index}"),
                                 check_types=False)  # XML text is text


def cnvd_record(element: Any, where: str) -> Advisory | Rejection:
    """One ``<vulnerability>`` element as a record, or why it cannot be one."""
    number = opened = link = rating = title = description = None
    cves: list[str] = []
    products: list[str] = []
    references: list[str] = []
    # One pass over the children, each tag and text read once (lxml builds a new string per
    # access). Only the fields used are decoded: the long remedy and patch texts
    # (formalWay, patchDescription) and the rest are passed over.
    for child in element:
        tag = child.tag
        if tag == "number":
            number = child.text
        elif tag == "title":
            title = child.text
        elif tag == "serverity":
            rating = child.text
        elif tag == "products":
            for product in child:
                text = product.text
                if text and not text.isspace():
                    products.append(" ".join(text.split()))
        elif tag == "openTime":
            opened = child.text
        elif tag == "description":
            description = child.text
        elif tag == "cves":
            for cve in child:
                for part in cve:
                    text = part.text
                    if not text:
                        continue
                    text = text.strip()
                    kind = part.tag
                    if kind == "cveNumber":
                        if _CVE_ID.match(text) and text not in cves:
                            cves.append(text)
                    elif kind == "cveUrl" and text:
                        references.append(text)
        elif tag == "referenceLink":
            link = child.text
    number = number.strip() if number else None
    if not number or not _CNVD_ID.match(number):
        return rejection(where, number, "missing or malformed <number>; expected CNVD-YYYY-NNNNN")
    opened = opened.strip() if opened else None
    if opened:
        if not _DATE.match(opened):
            return rejection(where, number, f"<openTime> '{opened}' is not a date; expected "
                             "YYYY-MM-DD")
        opened = opened[:10]
    link = link.strip() if link else None
    if link:
        references.insert(0, link)
    rating = rating.strip() if rating else None
    return Advisory(
        "cnvd", number, tuple(cves), opened, opened, None,
        (title.strip() or None) if title else None,
        (description.strip() or None) if description else None,
        _severities(rating) if rating else (), _affected(tuple(products)),
        tuple(dict.fromkeys(references)) if len(references) > 1 else tuple(references), where)


# Records are immutable, so equal values are shared: two in three product strings and every rating
# word recur across releases, and building a frozen dataclass costs more than a cache look-up.
@lru_cache(maxsize=1024)
def _severities(rating: str) -> tuple[Rating, ...]:
    return (Rating("text", None, None, rating),)


@lru_cache(maxsize=262144)
def _product(product: str) -> Affected:
    return Affected(product=product)


def _affected(products: tuple[str, ...]) -> tuple[Affected, ...]:
    if len(products) == 1:
        return (_product(products[0]),)
    return tuple(_product(p) for p in dict.fromkeys(products))
