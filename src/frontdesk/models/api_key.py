from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin


class ApiKey(IdMixin, TenantOwned, TimestampMixin, Base):
    __tablename__ = "api_keys"

    key_prefix: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(16))  # secret | publishable
    scopes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    allowed_origins: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
