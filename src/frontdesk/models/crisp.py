"""Crisp channel: a tenant's connection, the hook events it received, the replies it owes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin
from frontdesk.kit.inbox import InboxRow, QueueRow
from frontdesk.kit.time import utcnow
from frontdesk.privacy.encryption import EncryptedString


class CrispIntegration(IdMixin, TenantOwned, TimestampMixin, Base):
    """One per tenant. ``api_key`` and ``signing_secret`` are write-only through the API and
    stored encrypted. A website belongs to the last tenant whose plugin credentials Crisp
    confirmed for it."""

    __tablename__ = "crisp_integrations"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("website_id"))

    website_id: Mapped[str] = mapped_column(String(64))
    identifier: Mapped[str] = mapped_column(String(200))
    api_key: Mapped[str] = mapped_column(EncryptedString(1000))
    signing_secret: Mapped[str] = mapped_column(EncryptedString(1000))
    # SHA-256 of the secret token in the webhook URL (the token is derived, never stored)
    webhook_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # when Crisp last confirmed these credentials for this website (None: connected before the check)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class CrispEvent(IdMixin, TenantOwned, InboxRow, Base):
    """The inbox: every accepted hook event, once (Crisp retries deliver the same fingerprint).
    Status: received → processed | skipped, or failed (``kit.inbox``'s columns and queue)."""

    __tablename__ = "crisp_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint"),
        Index("ix_crisp_events_status_next", "status", "next_attempt_at"),
    )

    fingerprint: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class CrispDelivery(IdMixin, TenantOwned, TimestampMixin, QueueRow, Base):
    """The outbox: a reply to post into a Crisp conversation, retried until Crisp takes it.
    Status: pending → sent, or failed (``kit.inbox``'s columns and queue)."""

    __tablename__ = "crisp_deliveries"
    __table_args__ = (Index("ix_crisp_deliveries_status_next", "status", "next_attempt_at"),)

    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crisp_events.id", ondelete="SET NULL"), default=None
    )
    website_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # Crisp's fingerprint of the message we posted: its echo in a hook is ours, not an operator's
    crisp_fingerprint: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
