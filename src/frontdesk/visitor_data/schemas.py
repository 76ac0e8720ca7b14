"""Pydantic models of the privacy endpoints: the visitor selector, the export, the erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from frontdesk.chat.ratings import Rating
from frontdesk.kit.schemas import CleanStr, Email, InputModel

SelectorKind = Literal["session_id", "email", "lead_id"]


class VisitorSelector(InputModel):
    """Exactly one of: the visitor's chat session id, the email on their leads, or one lead's id."""

    session_id: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
    lead_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> VisitorSelector:
        given = [v for v in (self.session_id, self.email, self.lead_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of session_id, email or lead_id")
        return self

    @property
    def kind(self) -> SelectorKind:
        if self.session_id is not None:
            return "session_id"
        return "email" if self.email is not None else "lead_id"

    @property
    def value(self) -> str:
        return str(self.session_id or self.email or self.lead_id)


class MessageExport(BaseModel):
    id: uuid.UUID
    role: str
    content: str
    intent: str | None
    meta: dict[str, Any]
    rating: Rating | None = Field(default=None, description="The visitor's rating of an answer")
    created_at: datetime


class ConversationExport(BaseModel):
    id: uuid.UUID
    channel: str
    session_id: str
    status: str
    language: str | None
    created_at: datetime
    updated_at: datetime
    messages: list[MessageExport]


class LeadExport(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID | None
    intent: str | None
    contact: dict[str, str]
    status: str
    created_at: datetime
    updated_at: datetime


class CrispEventExport(BaseModel):
    id: uuid.UUID
    event: str
    session_id: str
    payload: dict[str, Any]
    received_at: datetime


class CrispDeliveryExport(BaseModel):
    id: uuid.UUID
    session_id: str
    content: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class VisitorExport(BaseModel):
    """Everything stored about one visitor in this workspace."""

    selector: SelectorKind
    exported_at: datetime
    conversations: list[ConversationExport]
    leads: list[LeadExport]
    crisp_events: list[CrispEventExport]
    crisp_deliveries: list[CrispDeliveryExport]
    truncated: bool = Field(
        description="True when the visitor has more messages than one export holds (MAX_EXPORT_MESSAGES)"
    )


class Erased(BaseModel):
    """How many rows the erasure deleted (all zero when nothing matched)."""

    conversations: int = 0
    messages: int = 0
    leads: int = 0
    crisp_events: int = 0
    crisp_deliveries: int = 0
