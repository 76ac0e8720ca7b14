"""Pydantic models of the chat API and of the conversation endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.chat.ratings import RATING_NAMES, Rating
from frontdesk.chat.turn import MAX_MESSAGE_CHARS
from frontdesk.kit.schemas import InputModel

# --- Conversations and transcripts (output of /api/v1/conversations) ------------------------

ConversationStatus = Literal["open", "handoff", "closed"]
MessageRole = Literal["user", "assistant", "operator", "system"]


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: str
    channel: str
    status: ConversationStatus
    language: str | None
    created_at: datetime
    updated_at: datetime


class ConversationSummaryOut(ConversationOut):
    """One line of the conversation list."""

    message_count: int
    last_message: str | None = Field(description="Preview of the newest message (at most 120 characters)")
    last_message_role: MessageRole | None
    last_message_at: datetime | None
    last_intent: str | None = Field(description="The newest intent detected in the conversation")


class TranscriptMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: MessageRole
    content: str
    intent: str | None
    meta: dict[str, Any] = Field(description="Confidence, language, sources … recorded with the message")
    tokens: int | None
    latency_ms: int | None
    model: str | None
    rating: Rating | None = Field(default=None, description="The visitor's rating of this answer, if any")
    created_at: datetime

    @field_validator("rating", mode="before")
    @classmethod
    def _rating_name(cls, value: object) -> object:
        return RATING_NAMES.get(value, value) if isinstance(value, int) else value


class TranscriptOut(ConversationOut):
    """A conversation with its messages, oldest first (at most the newest 1,000)."""

    messages: list[TranscriptMessageOut]


# --- POST /api/v1/chat ------------------------------------------------------------------------


class ChatRequest(InputModel):
    session_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\w.:@-]+$",
        description="The visitor's session; history is kept per session",
    )
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    metadata: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, max_length=20, description="Stored with the visitor's message (page URL, …)"
    )


class SourceOut(BaseModel):
    document_id: str
    document_name: str
    heading: str | None
    snippet: str
    score: float


class LeadRef(BaseModel):
    id: uuid.UUID
    status: str
    captured: list[str] = Field(description="Which contact fields the lead holds")


class ChatResponse(BaseModel):
    reply: str = Field(description="Empty while a person has taken over the conversation")
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    intent: str
    confidence: float
    language: str | None
    sources: list[SourceOut]
    lead: LeadRef | None
    handoff: bool


# --- POST /api/v1/chat/messages/{message_id}/rating ------------------------------------------


class RatingRequest(InputModel):
    session_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\w.:@-]+$",
        description="The session the answer was given in",
    )
    rating: Rating | None = Field(description="Thumbs up or down; null removes the rating")


class RatingOut(BaseModel):
    message_id: uuid.UUID
    rating: Rating | None
    rated_at: datetime | None
