from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin
from frontdesk.kit.time import utcnow


class Lead(IdMixin, TenantOwned, TimestampMixin, Base):
    __tablename__ = "leads"

    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), default=None, unique=True
    )
    intent: Mapped[str | None] = mapped_column(String(64), default=None)
    # Contact details kept in one field so that encryption at rest can wrap it later.
    contact_info: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="new")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
