"""The tables of the SQL advisory store (SQLAlchemy Core), shared by the store and its
migrations.

The same content as the SQLite store's schema (see ``store.py``): records with their group,
each record's joining ids, the packages and product-text keys it names, learned product
mappings and import bookkeeping. Names carry a ``stackrift_adv_`` prefix so the store can share
a database with other applications' tables (a server's own).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

# Alembic's version table of this store: apart from any other Alembic history in the database
VERSION_TABLE = "stackrift_advisories_version"

metadata = MetaData()

records = Table(
    "stackrift_adv_records", metadata,
    Column("source", String(16), nullable=False),
    Column("id", Text, nullable=False),
    Column("group_id", Text, nullable=False),
    Column("modified", Text),
    Column("published", Text),
    Column("withdrawn", Text),
    Column("digest", String(64), nullable=False),
    Column("first_seen", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("source", "id", name="stackrift_adv_records_pk"),
    Index("stackrift_adv_records_group", "group_id"),
)

idents = Table(
    "stackrift_adv_idents", metadata,
    Column("ident", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("record_id", Text, nullable=False),
    Index("stackrift_adv_idents_ident", "ident"),
    Index("stackrift_adv_idents_record", "source", "record_id"),
)

packages = Table(
    "stackrift_adv_packages", metadata,
    # the order keys were written in: look-ups return records in it, as the SQLite store does
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ecosystem", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("record_id", Text, nullable=False),
    Index("stackrift_adv_packages_name", "ecosystem", "name"),
    Index("stackrift_adv_packages_record", "source", "record_id"),
)

products = Table(
    "stackrift_adv_products", metadata,
    Column("key", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("record_id", Text, nullable=False),
    Index("stackrift_adv_products_key", "key"),
    Index("stackrift_adv_products_record", "source", "record_id"),
)

product_map = Table(
    "stackrift_adv_product_map", metadata,
    Column("key", Text, nullable=False),
    Column("ecosystem", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("support", Integer, nullable=False),
    PrimaryKeyConstraint("ecosystem", "name", "key", name="stackrift_adv_product_map_pk"),
)

skipped_files = Table(
    "stackrift_adv_skipped_files", metadata,
    Column("file", Text, primary_key=True),
    Column("reason", Text, nullable=False),
)

rejections = Table(
    "stackrift_adv_rejections", metadata,
    Column("file", Text, nullable=False),
    Column("record", Text, nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("file", "record", name="stackrift_adv_rejections_pk"),
)

meta = Table(
    "stackrift_adv_meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
