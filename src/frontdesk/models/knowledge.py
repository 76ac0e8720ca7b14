from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
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
    # where an imported document came from (a page's URL, a file's name) and the import that
    # keeps it up to date; None for documents written by hand
    source_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("knowledge_imports.id", ondelete="SET NULL"), index=True, default=None
    )
    # sha256 of the extracted text an import last stored: unchanged pages are not rewritten
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class KnowledgeChunk(IdMixin, TenantOwned, Base):
    """A retrievable piece of a document, with its embedding once the job has computed it.

    Rows are rewritten by ``knowledge.chunks.sync_chunks`` whenever the document is written;
    a chunk whose ``content_hash`` is unchanged keeps its ``embedding`` (same model), so
    re-importing an unchanged page embeds nothing.
    """

    __tablename__ = "knowledge_chunks"
    __table_args__ = (UniqueConstraint("document_id", "ordinal"),)

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of heading + text
    language: Mapped[str | None] = mapped_column(String(8))  # the document's, detected at sync
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # little-endian float32
    embedding_model: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
