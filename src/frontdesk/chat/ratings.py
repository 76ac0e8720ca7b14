"""Visitors rate the bot's answers: thumbs up or down on one assistant message, changeable.

A visitor rates only the answers of their own conversation: the message must be an assistant
message of a conversation of the session's tenant (the ORM scopes it) with the visitor's
``session_id`` (and, for a browser's publishable key, of the widget channel). Anything else is
404, exactly like a message that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import Conflict, NotFound
from frontdesk.kit.time import utcnow
from frontdesk.models import Conversation, Message

Rating = Literal["up", "down"]
RATING_VALUES: Final[dict[str, int]] = {"up": 1, "down": -1}
RATING_NAMES: Final[dict[int, Rating]] = {1: "up", -1: "down"}


@dataclass(frozen=True, slots=True)
class RatedMessage:
    message_id: uuid.UUID
    rating: Rating | None
    rated_at: datetime | None


def rating_name(value: int | None) -> Rating | None:
    return RATING_NAMES.get(value) if value is not None else None


def rateable(message: Message) -> bool:
    """An answer the bot gave: not a silent turn (a person has the conversation), not the
    hand-over reply, not the configured greeting, not empty."""
    meta = message.meta or {}
    return (
        message.role == "assistant"
        and bool(message.content.strip())
        and not meta.get("silent")
        and not meta.get("handoff")
        and not meta.get("greeting")
    )


async def rate_message(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    session_id: str,
    rating: Rating | None,
    channel: str | None = None,
) -> RatedMessage:
    """Set (or with ``None`` clear) the rating of an answer of the visitor's conversation."""
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id == message_id, Conversation.session_id == session_id)
    )
    if channel is not None:
        query = query.where(Conversation.channel == channel)
    message = await session.scalar(query)
    if message is None or message.role != "assistant":
        raise NotFound("No such message in this conversation.")
    if not rateable(message):
        raise Conflict("This message is not an answer of the bot and cannot be rated.")
    message.rating = RATING_VALUES[rating] if rating is not None else None
    message.rated_at = utcnow() if rating is not None else None
    await session.flush()
    return RatedMessage(message.id, rating, message.rated_at)
