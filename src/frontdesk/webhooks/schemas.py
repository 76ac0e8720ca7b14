"""What the platform's admins see of a web hook event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["stripe", "crisp"]
Status = Literal["received", "processed", "ignored", "skipped", "failed"]


class WebhookEventOut(BaseModel):
    source: Source
    id: str = Field(description="Stripe's event id, or the Crisp event's id")
    event_type: str = Field(description="Stripe's event type, or Crisp's event name")
    tenant_id: uuid.UUID | None = Field(description="None for a Stripe event no tenant was found for")
    status: str = Field(
        description="received (due at next_attempt_at) | processed | ignored | skipped | failed"
    )
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    received_at: datetime
