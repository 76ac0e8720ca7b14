from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, TenantOwned, TimestampMixin
from frontdesk.kit.time import utcnow


class KnowledgeBase(IdMixin, TenantOwned, Base):
    """One knowledge document of a tenant."""

    __tablename__ = "knowledge_bases"

    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KnowledgeGapResolution(IdMixin, TenantOwned, TimestampMixin, Base):
    """An unanswered question the tenant dealt with: answered (a Q&A entry was added) or dismissed.

    Keyed on a hash of the question's normalized text, so the question itself is not copied.
    """

    __tablename__ = "knowledge_gap_resolutions"
    __table_args__ = (Index("ix_knowledge_gap_resolutions_tenant_key", "tenant_id", "question_key"),)

    question_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # answered | dismissed
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("knowledge_bases.id", ondelete="SET NULL"), default=None
    )
    created_by: Mapped[str] = mapped_column(String(200))
