"""The conversation store: conversations, their messages, and the lists the dashboard reads.

Every function takes a tenant-scoped session (the ORM adds the tenant filter and stamps new
rows), flushes and never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Table, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import tenancy
from frontdesk.db.tenancy import tenant_filter, tenant_values
from frontdesk.db.upsert import insert_for
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
#
# The chat pipeline's statements are Core statements built once and run on the session's
# connection: the ORM's unit of work and per-statement compilation cost more than the chat
# turn's own logic. The tenant is still set for the transaction (``app.tenant_id``, RLS on
# PostgreSQL), and every statement carries it explicitly: ``tenant_filter``/``tenant_values``,
# bound to the session's tenant by ``tenancy.execute``.

_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_messages: Table = Message.__table__  # type: ignore[assignment]
_CONVERSATION_COLUMNS = (
    _conversations.c.id,
    _conversations.c.tenant_id,
    _conversations.c.status,
    _conversations.c.language,
    _conversations.c.updated_at,
)
_FIND_CONVERSATION = select(*_CONVERSATION_COLUMNS).where(
    tenant_filter(_conversations),
    _conversations.c.channel == bindparam("channel"),
    _conversations.c.session_id == bindparam("session_id"),
)
_INSERT_MESSAGE = _messages.insert().values(tenant_values())
_TOUCH_CONVERSATION = (
    _conversations.update()
    .where(tenant_filter(_conversations), _conversations.c.id == bindparam("conversation_id"))
    .values(updated_at=bindparam("at"), language=bindparam("lang"))
)
_HISTORY = (
    select(_messages.c.role, _messages.c.content)
    .where(
        tenant_filter(_messages),
        _messages.c.conversation_id == bindparam("conversation_id"),
        _messages.c.role.in_(DIALOGUE_ROLES),
    )
    .order_by(_messages.c.created_at.desc(), _messages.c.id.desc())
    .limit(bindparam("limit"))
)


@dataclass(slots=True)
class ConversationRef:
    """A conversation as the pipeline needs it; ``updated_at`` and ``language`` follow its writes."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    status: str
    language: str | None
    updated_at: datetime
    created: bool = False  # inserted by this transaction, with no message yet


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Turn:
    """One line of dialogue history."""

    role: str
    content: str


def _ref(row: Any, *, created: bool = False) -> ConversationRef:
    return ConversationRef(row.id, row.tenant_id, row.status, row.language, to_utc(row.updated_at), created)


async def get_or_create_conversation(
    session: AsyncSession, *, channel: str, session_id: str, language: str | None = None
) -> ConversationRef:
    """The conversation for ``(channel, session_id)``, created on first use (with ``language``).

    Safe under concurrency: two requests racing for the same new session end with one row —
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` returns nothing for the loser, which re-reads.
    """
    key = {"channel": channel, "session_id": session_id}
    found = (await tenancy.execute(session, _FIND_CONVERSATION, key)).first()
    if found is not None:
        return _ref(found)
    insert = insert_for(await session.connection())
    now = utcnow()
    statement = (
        insert(_conversations)
        .values(
            id=new_id(),
            status="open",
            language=language,
            created_at=now,
            updated_at=now,
            **key,
            **tenant_values(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "channel", "session_id"])
        .returning(*_CONVERSATION_COLUMNS)
    )
    created = (await tenancy.execute(session, statement)).first()
    if created is not None:
        return _ref(created, created=True)
    found = (await tenancy.execute(session, _FIND_CONVERSATION, key)).first()
    if found is None:
        raise RuntimeError("conversation insert conflicted but no row was found")
    return _ref(found)


async def open_conversation(
    session: AsyncSession, *, channel: str, session_id: str, history: int, language: str | None = None
) -> tuple[ConversationRef, list[Turn]]:
    """The chat pipeline's entry: the conversation and its recent history (no query for a new one)."""
    conversation = await get_or_create_conversation(
        session, channel=channel, session_id=session_id, language=language
    )
    if conversation.created or conversation.status == "handoff":
        return conversation, []
    return conversation, await recent_history(session, conversation.id, limit=history)


async def recent_history(session: AsyncSession, conversation_id: uuid.UUID, *, limit: int) -> list[Turn]:
    """The newest ``limit`` user/assistant/operator messages, oldest first (system notes left out)."""
    if limit <= 0:
        return []
    rows = await tenancy.execute(session, _HISTORY, {"conversation_id": conversation_id, "limit": limit})
    return [Turn(role, content) for role, content in reversed(rows.all())]


async def add_message(
    session: AsyncSession,
    conversation: ConversationRef,
    *,
    role: str,
    content: str,
    intent: str | None = None,
    tokens: int | None = None,
    latency_ms: int | None = None,
    model: str | None = None,
    meta: dict[str, Any] | None = None,
    language: str | None = None,
) -> StoredMessage:
    """Append a message; the conversation's ``updated_at`` (and ``language``, when given) follow.

    Timestamps within a conversation strictly increase, so "oldest first" is the order the
    messages were added even when two arrive within the clock's resolution. The first message
    of a conversation created in this transaction takes its creation time, so the conversation
    row needs no UPDATE.
    """
    if role not in ROLES:
        raise ValueError(f"unknown message role {role!r}")
    if conversation.created:
        now = conversation.updated_at
        conversation.created = False
    else:
        now = max(utcnow(), conversation.updated_at + _TICK)
    message = await _insert_message(
        session, conversation.id, role, content, intent, tokens, latency_ms, model, meta, now
    )
    language = language or conversation.language
    if now != conversation.updated_at or language != conversation.language:
        await tenancy.execute(
            session, _TOUCH_CONVERSATION, {"conversation_id": conversation.id, "at": now, "lang": language}
        )
        conversation.updated_at, conversation.language = now, language
    return message


async def _insert_message(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    role: str,
    content: str,
    intent: str | None,
    tokens: int | None,
    latency_ms: int | None,
    model: str | None,
    meta: dict[str, Any] | None,
    created_at: datetime,
) -> StoredMessage:
    message_id = new_id()
    await tenancy.execute(
        session,
        _INSERT_MESSAGE,
        {
            "id": message_id,
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "intent": intent,
            "tokens": tokens,
            "latency_ms": latency_ms,
            "model": model,
            "meta": dict(meta or {}),
            "created_at": created_at,
        },
    )
    return StoredMessage(message_id, created_at)


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
) -> StoredMessage:
    """Store the bot's reply to the visitor message stored at ``after`` — one INSERT: the
    conversation was touched by that message a moment ago and is not updated again."""
    return await _insert_message(
        session,
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


async def set_status(session: AsyncSession, conversation_id: uuid.UUID, status: str) -> None:
    """Set a conversation's status (and ``updated_at``); Conversation objects already loaded
    in the session see the change."""
    if status not in STATUSES:
        raise ValueError(f"unknown conversation status {status!r}")
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status != status)
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


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
    await set_status(session, conversation.id, "open")
    return conversation
