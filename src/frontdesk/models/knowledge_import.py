"""A tenant's import of knowledge from a website (crawled, re-synced on a schedule) or a file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin


class KnowledgeImport(IdMixin, TenantOwned, TimestampMixin, Base):
    """One import and its progress. Each page it indexed is a ``KnowledgeBase`` document that
    points back here (``import_id``, ``source_url``), so a re-sync updates it in place."""

    __tablename__ = "knowledge_imports"
    __table_args__ = (Index("ix_knowledge_imports_next_sync_at", "next_sync_at"),)

    kind: Mapped[str] = mapped_column(String(16))  # website | file
    source: Mapped[str] = mapped_column(String(2000))  # start URL, sitemap URL or file name
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    pages_found: Mapped[int] = mapped_column(default=0)
    pages_fetched: Mapped[int] = mapped_column(default=0)
    pages_indexed: Mapped[int] = mapped_column(default=0)
    pages_unchanged: Mapped[int] = mapped_column(default=0)
    pages_failed: Mapped[int] = mapped_column(default=0)
    # [{"item": url or file name, "reason": why}], at most imports.MAX_ERRORS
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    max_pages: Mapped[int] = mapped_column(default=50)
    resync_hours: Mapped[int | None] = mapped_column(default=None)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)  # when a run was last asked for
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    next_sync_at: Mapped[datetime | None] = mapped_column(default=None)
