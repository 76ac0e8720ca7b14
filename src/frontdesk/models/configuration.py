from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned
from frontdesk.kit.time import utcnow
from frontdesk.privacy.encryption import SECRET_DOCUMENT


class TenantConfiguration(IdMixin, TenantOwned, Base):
    __tablename__ = "tenant_configurations"
    __table_args__ = (UniqueConstraint("tenant_id", "config_type"),)

    config_type: Mapped[str] = mapped_column(String(64))
    # secrets in it (the bot's llm.api_key) are privacy.encryption ciphertext
    config_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, info=SECRET_DOCUMENT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
