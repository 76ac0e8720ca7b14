"""The conversation store: conversations, their messages, and the lists the dashboard reads.

Every function takes a tenant-scoped session (the ORM adds the tenant filter and stamps new
rows), flushes and never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.tenancy import current_tenant
from frontdesk.kit.errors import Conflict, NotFound
from frontdesk.kit.ids import new_id
from frontdesk.kit.pagination import PageParams
from frontdesk.kit.time import to_utc, utcnow
from frontdesk.models import Conversation, Message

STATUSES: Final = ("open", "handoff", "closed")
ROLES: Final = ("user", "assistant", "operator", "system")
# What the model sees as history and what a transcript shows as the dialogue.
DIALOGUE_ROLES: Final = ("user", "assistant", "operator")
PREVIEW_CHARS: Final = 120
TRANSCRIPT_LIMIT: Final = 1_000
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ConversationSummaryRow:
    """One line of the conversation list."""

    conversation: Conversation
    message_count: int
    last_message: str | None  # preview of the newest message, at most PREVIEW_CHARS characters
    last_message_role: str | None
    last_message_at: datetime | None
    last_intent: str | None  # the newest intent detected in the conversation


# --- writes (the chat pipeline) ------------------------------------------------------------


def _find_conversation(channel: str, session_id: str) -> Select[Conversation]:
    return select(Conversation).where(Conversation.channel == channel, Conversation.session_id == session_id)


async def get_or_create_conversation(session: AsyncSession, *, channel: str, session_id: str) -> Conversation:
    """The conversation for ``(channel, session_id)``, created on first use.

    Safe under concurrency: two requests racing for the same new session end with one row —
    the loser's insert fails on the unique constraint inside a savepoint and it re-reads.
    """
    return (await _get_or_create(session, channel, session_id))[0]


async def _get_or_create(session: AsyncSession, channel: str, session_id: str) -> tuple[Conversation, bool]:
    found = await session.scalar(_find_conversation(channel, session_id))
    if found is not None:
        return found, False
    # INSERT … ON CONFLICT DO NOTHING RETURNING: one statement, no savepoint; a racing request
    # that inserted first makes this return nothing, and the re-read finds its row.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    statement = (
        insert(Conversation)
        .values(
            id=new_id(),
            tenant_id=current_tenant(session),
            channel=channel,
            session_id=session_id,
            status="open",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "channel", "session_id"])
        .returning(Conversation)
    )
    created = await session.scalar(statement)
    if created is not None:
        return created, True
    found = await session.scalar(_find_conversation(channel, session_id))
    if found is None:
        raise RuntimeError("conversation insert conflicted but no row was found")
    return found, False


async def open_conversation(
    session: AsyncSession, *, channel: str, session_id: str, history: int
) -> tuple[Conversation, list[Message]]:
    """The chat pipeline's entry: the conversation and its recent history (no query for a new one)."""
    conversation, created = await _get_or_create(session, channel, session_id)
    if created or conversation.status == "handoff":
        return conversation, []
    return conversation, await recent_history(session, conversation.id, limit=history)


async def recent_history(session: AsyncSession, conversation_id: uuid.UUID, *, limit: int) -> list[Message]:
    """The newest ``limit`` user/assistant/operator messages, oldest first (system notes left out)."""
    if limit <= 0:
        return []
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role.in_(DIALOGUE_ROLES))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def add_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    role: str,
    content: str,
    intent: str | None = None,
    tokens: int | None = None,
    latency_ms: int | None = None,
    model: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Append a message and touch the conversation's ``updated_at``.

    Timestamps within a conversation strictly increase, so "oldest first" is the order the
    messages were added even when two arrive within the clock's resolution.
    """
    if role not in ROLES:
        raise ValueError(f"unknown message role {role!r}")
    now = utcnow()
    if conversation.updated_at is not None and now <= conversation.updated_at:
        now = conversation.updated_at + _TICK
    message = _new_message(conversation.id, role, content, intent, tokens, latency_ms, model, meta, now)
    session.add(message)
    conversation.updated_at = now
    await session.flush()
    return message


def _new_message(
    conversation_id: uuid.UUID,
    role: str,
    content: str,
    intent: str | None,
    tokens: int | None,
    latency_ms: int | None,
    model: str | None,
    meta: dict[str, Any] | None,
    created_at: datetime,
) -> Message:
    return Message(
        conversation_id=conversation_id,
        role=role,
        content=content,
        intent=intent,
        tokens=tokens,
        latency_ms=latency_ms,
        model=model,
        meta=dict(meta or {}),
        created_at=created_at,
    )


async def add_reply(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    *,
    after: datetime,
    content: str,
    intent: str | None,
    tokens: int | None,
    latency_ms: int | None,
    model: str | None,
    meta: dict[str, Any],
) -> Message:
    """Store the bot's reply to the visitor message stored at ``after`` — one INSERT: the
    conversation was touched by that message a moment ago and is not loaded again."""
    message = _new_message(
        conversation_id,
        "assistant",
        content,
        intent,
        tokens,
        latency_ms,
        model,
        meta,
        max(utcnow(), after + _TICK),
    )
    session.add(message)
    await session.flush()
    return message


async def set_status(session: AsyncSession, conversation: Conversation, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown conversation status {status!r}")
    if conversation.status != status:
        conversation.status = status
        conversation.updated_at = utcnow()
        await session.flush()


# --- reads (the dashboard and the API) -----------------------------------------------------


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conversation_filters(
    *,
    status: str | None,
    channel: str | None,
    intent: str | None,
    q: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if status:
        filters.append(Conversation.status == status)
    if channel:
        filters.append(Conversation.channel == channel)
    if intent:
        filters.append(exists().where(Message.conversation_id == Conversation.id, Message.intent == intent))
    if q:
        filters.append(
            exists().where(
                Message.conversation_id == Conversation.id,
                Message.content.ilike(_like_pattern(q), escape="\\"),
            )
        )
    if since is not None:
        filters.append(Conversation.created_at >= to_utc(since))
    if until is not None:
        filters.append(Conversation.created_at < to_utc(until))
    return filters


def _preview(content: str | None) -> str | None:
    if content is None or len(content) <= PREVIEW_CHARS:
        return content
    return content[: PREVIEW_CHARS - 1].rstrip() + "…"


async def list_conversations(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None,
    channel: str | None,
    intent: str | None,
    q: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[ConversationSummaryRow], int]:
    """A page of conversations, most recently active first, with the total that match.

    ``q`` searches message text (case-insensitive, literal), ``intent`` keeps conversations with
    a message of that intent, ``since``/``until`` bound when the conversation started
    (inclusive/exclusive). Two statements: the count, and the page with its aggregates.
    """
    filters = _conversation_filters(
        status=status, channel=channel, intent=intent, q=q, since=since, until=until
    )
    total = await session.scalar(select(func.count(Conversation.id)).where(*filters)) or 0
    if total == 0:
        return [], 0

    def newest(column: Any, *criteria: ColumnElement[bool]) -> Any:
        return (
            select(column)
            .where(Message.conversation_id == Conversation.id, *criteria)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
            .correlate(Conversation)
            .scalar_subquery()
        )

    message_count = (
        select(func.count(Message.id))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    query = (
        select(
            Conversation,
            message_count.label("message_count"),
            newest(func.substr(Message.content, 1, PREVIEW_CHARS + 1)).label("last_message"),
            newest(Message.role).label("last_message_role"),
            newest(Message.created_at).label("last_message_at"),
            newest(Message.intent, Message.intent.is_not(None)).label("last_intent"),
        )
        .where(*filters)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    rows = [
        ConversationSummaryRow(
            conversation=conversation,
            message_count=count or 0,
            last_message=_preview(last_message),
            last_message_role=last_role,
            last_message_at=last_at,
            last_intent=last_intent,
        )
        for conversation, count, last_message, last_role, last_at, last_intent in (
            await session.execute(query)
        ).all()
    ]
    return rows, total


async def get_conversation(session: AsyncSession, conversation_id: uuid.UUID) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


async def transcript(session: AsyncSession, conversation_id: uuid.UUID) -> tuple[Conversation, list[Message]]:
    """The conversation and its messages, oldest first (the newest TRANSCRIPT_LIMIT of them)."""
    conversation = await get_conversation(session, conversation_id)
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    )
    return conversation, list(reversed(rows.all()))


async def release_handoff(session: AsyncSession, conversation_id: uuid.UUID) -> Conversation:
    """Hand a conversation back to the bot: ``handoff`` → ``open``; 409 from any other status."""
    conversation = await get_conversation(session, conversation_id)
    if conversation.status != "handoff":
        raise Conflict(
            f"This conversation is not waiting for an operator (its status is '{conversation.status}')."
        )
    await set_status(session, conversation, "open")
    return conversation
