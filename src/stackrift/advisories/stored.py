"""Records in their stored form: encoded once, with the keys the stores index them by.

Every feed yields :class:`StoredRecord` values for an import (``FeedParser.prepared``): most feeds
build :class:`~stackrift.advisories.model.Advisory` records and :func:`prepare` them; a feed with
very many records (CNVD) may build the stored form directly, which must equal what
:func:`prepare` gives for the record its ``parse`` yields (tests compare both on the real corpora).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from stackrift.advisories.matching import ecosystem_key, normalise_name
from stackrift.advisories.model import Advisory, Rejection, digest_of
from stackrift.advisories.products import text_key


class StoredRecord(NamedTuple):
    """A record prepared for storage: its encoded form and digest, and the keys the store
    indexes it by. Preparing is the costly per-record step of an import; a tuple is cheap to
    build and to hold."""

    source: str
    id: str
    modified: str | None
    published: str | None
    withdrawn: str | None
    digest: str
    data: bytes
    ids: tuple[str, ...]
    packages: tuple[tuple[str, str], ...]
    products: tuple[str, ...]


def prepare(record: Advisory) -> StoredRecord:
    """The stored form of a record."""
    data = record.encode()
    packages: set[tuple[str, str]] = set()
    products: set[str] = set()
    for a in record.affected:
        if a.name:
            if package := _package_key(a.ecosystem, a.name):
                packages.add(package)
        elif a.product and (key := text_key(a.product)):
            products.add(key)
    return StoredRecord(record.source, record.id, record.modified, record.published,
                        record.withdrawn, digest_of(data), data, record.ids,
                        tuple(sorted(packages)), tuple(sorted(products)))


def prepare_all(items: Iterable[Advisory | Rejection]) -> Iterator[StoredRecord | Rejection]:
    """:func:`prepare` for each record of a feed's ``parse``; rejections pass through."""
    for item in items:
        yield item if isinstance(item, Rejection) else prepare(item)


@lru_cache(maxsize=65536)
def _package_key(ecosystem: str | None, name: str) -> tuple[str, str] | None:
    """(canonical ecosystem, normalised name) as the packages table keeps them."""
    eco = ecosystem_key(ecosystem)
    return (eco, normalise_name(eco, name)) if eco else None
