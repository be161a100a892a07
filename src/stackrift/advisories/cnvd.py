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
from typing import Any, ClassVar, NamedTuple

import orjson

from stackrift.advisories.feed import (
    SHAPE_ERRORS,
    guarded_record,
    iter_xml,
    register_feed,
    rejection,
    shape_rejection,
)
from stackrift.advisories.model import ENCODING, Advisory, Affected, Rating, Rejection, digest_of
from stackrift.advisories.products import text_key
from stackrift.advisories.stored import StoredRecord

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

    def prepared(self, path: Path) -> Iterator[StoredRecord | Rejection]:
        """The records of :meth:`parse` in their stored form, built straight from the fields
        (a release holds ~10^4 entries: no record objects, nothing encoded twice)."""
        for index, element in enumerate(iter_xml(path, "vulnerability"), start=1):
            try:
                fields = _fields(element)
                yield (_stored(fields) if isinstance(fields, _Fields)
                       else rejection(f"{path}#{index}", *fields))
            except SHAPE_ERRORS as exc:
                yield shape_rejection(f"{path}#{index}", exc)


class _Fields(NamedTuple):
    """What a ``<vulnerability>`` says, checked and cleaned."""

    number: str
    cves: tuple[str, ...]
    opened: str | None
    title: str | None
    description: str | None
    rating: str | None
    products: tuple[str, ...]  # distinct, in order
    references: tuple[str, ...]  # distinct, in order


def _fields(element: Any) -> _Fields | tuple[str | None, str]:
    """The fields of one ``<vulnerability>`` element, or (its number, why it is rejected)."""
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
        return number, "missing or malformed <number>; expected CNVD-YYYY-NNNNN"
    opened = opened.strip() if opened else None
    if opened:
        if not _DATE.match(opened):
            return number, f"<openTime> '{opened}' is not a date; expected YYYY-MM-DD"
        opened = opened[:10]
    link = link.strip() if link else None
    if link:
        references.insert(0, link)
    return _Fields(number, tuple(cves), opened, (title.strip() or None) if title else None,
                   (description.strip() or None) if description else None,
                   rating.strip() if rating else None,
                   tuple(dict.fromkeys(products)) if len(products) > 1 else tuple(products),
                   tuple(dict.fromkeys(references)) if len(references) > 1
                   else tuple(references))


def cnvd_record(element: Any, where: str) -> Advisory | Rejection:
    """One ``<vulnerability>`` element as a record, or why it cannot be one."""
    fields = _fields(element)
    if not isinstance(fields, _Fields):
        return rejection(where, *fields)
    return Advisory(
        "cnvd", fields.number, fields.cves, fields.opened, fields.opened, None, fields.title,
        fields.description, _severities(fields.rating) if fields.rating else (),
        tuple([_product(p) for p in fields.products]), fields.references, where)


def _stored(fields: _Fields) -> StoredRecord:
    """:func:`prepare` of :func:`cnvd_record`'s record, from its fields: the encoded form
    written out as plain tuples (what ``Advisory.encode`` gives), the joining ids (the number
    and the CVE ids, all of which are vulnerability ids) and the product keys."""
    number, cves, opened, title, description, rating, products, references = fields
    data = orjson.dumps((ENCODING, "cnvd", number, cves, opened, opened, None, title,
                         description, _encoded_severities(rating) if rating else (),
                         tuple([_encoded_product(p) for p in products]), references))
    keys = {key for p in products if (key := text_key(p))}
    return StoredRecord("cnvd", number, opened, opened, None, digest_of(data), data,
                        (number, *cves), (), tuple(sorted(keys)) if len(keys) > 1 else tuple(keys))


# Records are immutable, so equal values are shared: two in three product strings and every rating
# word recur across releases, and building a frozen dataclass costs more than a cache look-up.
@lru_cache(maxsize=1024)
def _severities(rating: str) -> tuple[Rating, ...]:
    return (Rating("text", None, None, rating),)


@lru_cache(maxsize=262144)
def _product(product: str) -> Affected:
    return Affected(product=product)


@lru_cache(maxsize=1024)
def _encoded_severities(rating: str) -> tuple[tuple[str, None, None, str], ...]:
    return (("text", None, None, rating),)


def _encoded_product(product: str) -> tuple[Any, ...]:
    return (None, None, None, (), (), product, None, "affected")
