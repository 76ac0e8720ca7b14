"""Request and response bodies of the Crisp endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from frontdesk.kit.schemas import InputModel


class CrispConnectIn(InputModel):
    website_id: str = Field(
        min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="Crisp website ID"
    )
    identifier: str = Field(min_length=1, max_length=200, description="Plugin token identifier")
    # printable ASCII (what Crisp issues), so that the stored ciphertext fits its column
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=r"^[\x21-\x7e]+$",
        description="Plugin token key (write-only)",
    )
    signing_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=r"^[\x21-\x7e]+$",
        description="Web hook signing secret (write-only)",
    )


class DeliveryCounts(BaseModel):
    pending: int
    sent: int
    failed: int


class CrispStatusOut(BaseModel):
    connected: bool
    website_id: str | None = None
    identifier: str | None = None
    has_key: bool = False
    has_signing_secret: bool = False
    webhook_url: str | None = Field(
        default=None, description="Paste into Crisp as the web hook URL (it carries a secret token)"
    )
    deliveries: DeliveryCounts = DeliveryCounts(pending=0, sent=0, failed=0)
    last_event_at: datetime | None = None
    updated_at: datetime | None = None
    verified_at: datetime | None = Field(
        default=None,
        description="When Crisp last confirmed the plugin credentials for this website "
        "(empty for a connection made before that check: save it again to verify it)",
    )


class HookAck(BaseModel):
    status: str = Field(description="accepted | duplicate | handoff | ignored")
