"""A chat turn as a channel sees it: what goes in (``ChatInput``) and what comes out (``ChatOutcome``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# What POST /chat accepts; longer messages from other channels (Crisp) are cut to it, and metadata
# strings to the second, so redaction and a tenant's regexes only ever scan bounded text.
MAX_MESSAGE_CHARS = 4000
MAX_METADATA_CHARS = 2000


@dataclass(frozen=True)
class ChatInput:
    session_id: str
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)
    channel: str = "api"
    visitor_ip: str | None = None  # set for browser channels (publishable keys): limited per address


@dataclass(frozen=True)
class ChatOutcome:
    reply: str
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    intent: str
    confidence: float
    language: str | None
    sources: list[dict[str, Any]]
    lead: dict[str, Any] | None
    handoff: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "conversation_id": str(self.conversation_id),
            "message_id": str(self.message_id),
            "intent": self.intent,
            "confidence": self.confidence,
            "language": self.language,
            "sources": self.sources,
            "lead": self.lead,
            "handoff": self.handoff,
        }
