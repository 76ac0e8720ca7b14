from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, TimestampMixin


class Tenant(IdMixin, TimestampMixin, Base):
    """A business using Frontdesk. Scoped by its own ``id`` (ORM and RLS)."""

    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    subscription_status: Mapped[str] = mapped_column(String(32), default="active")
    plan: Mapped[str] = mapped_column(String(32), default="free")
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None
