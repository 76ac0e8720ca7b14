from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, TenantOwned
from frontdesk.kit.time import utcnow


class KnowledgeBase(IdMixin, TenantOwned, Base):
    """One knowledge document of a tenant."""

    __tablename__ = "knowledge_bases"

    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
