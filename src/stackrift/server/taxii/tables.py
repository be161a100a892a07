"""TAXII storage: collections (each in one organisation unit), per-user collection grants,
stored object versions and the status of each add request (migration ``0002``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stackrift.server.db.tables import Base, utcnow


class TaxiiCollection(Base):
    """A TAXII collection; ``taxii_id`` (a UUID) is its identifier in TAXII URLs."""

    __tablename__ = "taxii_collections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taxii_id: Mapped[str] = mapped_column(String(36), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    alias: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TaxiiGrant(Base):
    """An explicit read/write permission of one user on one collection; it replaces what the
    user's role in the collection's unit would give (never beyond that unit)."""

    __tablename__ = "taxii_grants"
    __table_args__ = (UniqueConstraint("collection_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("taxii_collections.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    can_read: Mapped[bool] = mapped_column(Boolean)
    can_write: Mapped[bool] = mapped_column(Boolean)


class TaxiiObject(Base):
    """One version of one STIX object in one collection, exactly as it was added."""

    __tablename__ = "taxii_objects"
    __table_args__ = (UniqueConstraint("collection_id", "stix_id", "version"),
                      Index("ix_taxii_objects_added", "collection_id", "date_added", "id"),
                      Index("ix_taxii_objects_stix_id", "collection_id", "stix_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("taxii_collections.id", ondelete="CASCADE"))
    stix_id: Mapped[str] = mapped_column(String(300))
    stix_type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(10))
    version: Mapped[str] = mapped_column(String(30))
    """``modified`` (else ``created``, else the date added) as a fixed-width UTC timestamp with
    nine fractional digits, so text order is time order on every database."""
    date_added: Mapped[datetime] = mapped_column(DateTime)
    content: Mapped[str] = mapped_column(Text)


class TaxiiStatus(Base):
    """The outcome of one add request (TAXII status resource)."""

    __tablename__ = "taxii_statuses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("taxii_collections.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    request_timestamp: Mapped[datetime] = mapped_column(DateTime)
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    successes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
