"""A digest of an advisory store's content, independent of when and where it was imported."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stackrift.advisories.store import SqliteStore

# what an import stores; first_seen/updated_at (the time of import) and row numbers are left out
CONTENT_QUERIES = (
    "SELECT source, id, group_id, modified, published, withdrawn, digest FROM records "
    "ORDER BY source, id",
    "SELECT ident, source, record_id FROM idents ORDER BY source, record_id, ident",
    "SELECT ecosystem, name, source, record_id FROM packages ORDER BY 1, 2, 3, 4",
    "SELECT key, source, record_id FROM products ORDER BY 1, 2, 3",
    "SELECT key, ecosystem, name, support FROM product_map ORDER BY 1, 2, 3",
    "SELECT file, reason FROM skipped_files ORDER BY 1",
    "SELECT file, record, reason FROM rejections ORDER BY 1, 2",
)


def content_digest(store: SqliteStore, root: Path) -> str:
    """SHA-256 over every table's rows in a fixed order (file names relative to ``root``)."""
    digest = hashlib.sha256()
    prefix = f"{root}/"
    for query in CONTENT_QUERIES:
        digest.update(query.encode())
        for row in store.db.execute(query):
            text = "\x1f".join("" if v is None else str(v).removeprefix(prefix) for v in row)
            digest.update(text.encode() + b"\x1e")
    return digest.hexdigest()
