from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin
from frontdesk.kit.time import utcnow


class Conversation(IdMixin, TenantOwned, TimestampMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "session_id"),
        Index("ix_conversations_tenant_updated", "tenant_id", "updated_at"),
    )

    session_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32), default="api")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | handoff | closed
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(IdMixin, TenantOwned, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        # the unanswered-questions list reads a tenant's newest messages
        Index("ix_messages_tenant_created", "tenant_id", "created_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # user | assistant | operator | system
    content: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64), default=None)
    tokens: Mapped[int | None] = mapped_column(default=None)
    latency_ms: Mapped[int | None] = mapped_column(default=None)
    model: Mapped[str | None] = mapped_column(String(100), default=None)
    # confidence, language, sources … what the transcript view shows beside a message
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # the visitor's rating of an assistant answer: 1 thumbs up, -1 thumbs down (changeable)
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
