"""Conversations and transcripts: a tenant's (both doors) and, for platform support, any tenant's."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from frontdesk.auth.context import AuthContext, Authorize, StaffInTenant, TenantSession
from frontdesk.auth.permissions import CONVERSATIONS_READ, CONVERSATIONS_WRITE
from frontdesk.chat import store
from frontdesk.chat.schemas import (
    ConversationOut,
    ConversationStatus,
    ConversationSummaryOut,
    TranscriptMessageOut,
    TranscriptOut,
)
from frontdesk.kit.dates import UtcDatetime, check_range
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.kit.schemas import CleanStr
from frontdesk.models import Conversation, Message

router = APIRouter(prefix="/conversations", tags=["conversations"])
# platform staff reading a tenant's conversations (support): audited, in the tenant's scope
support = APIRouter(prefix="/api/v1/admin/tenants", tags=["admin: tenants"])
ConversationsRead = Annotated[AuthContext, Depends(Authorize(CONVERSATIONS_READ))]
ConversationsWrite = Annotated[AuthContext, Depends(Authorize(CONVERSATIONS_WRITE))]


def summary_page(
    rows: list[store.ConversationSummaryRow], total: int, params: PageParams
) -> Page[ConversationSummaryOut]:
    items = [
        ConversationSummaryOut(
            **ConversationOut.model_validate(row.conversation).model_dump(),
            message_count=row.message_count,
            last_message=row.last_message,
            last_message_role=row.last_message_role,
            last_message_at=row.last_message_at,
            last_intent=row.last_intent,
        )
        for row in rows
    ]
    return Page(items=items, total=total, page=params.page, limit=params.limit)


def transcript_out(conversation: Conversation, messages: list[Message]) -> TranscriptOut:
    return TranscriptOut(
        **ConversationOut.model_validate(conversation).model_dump(),
        messages=[TranscriptMessageOut.model_validate(m) for m in messages],
    )


@router.get("", response_model=Page[ConversationSummaryOut])
async def list_conversations(
    auth: ConversationsRead,
    session: TenantSession,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ConversationStatus | None, Query(description="open, handoff or closed")] = None,
    channel: Annotated[CleanStr | None, Query(max_length=32, description="api, widget, crisp …")] = None,
    intent: Annotated[
        CleanStr | None, Query(max_length=64, description="Conversations with a message of this intent")
    ] = None,
    q: Annotated[CleanStr | None, Query(max_length=200, description="Search message text")] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="Started at or after (ISO 8601; UTC if no offset)")
    ] = None,
    until: Annotated[
        UtcDatetime | None, Query(description="Started before (ISO 8601; UTC if no offset)")
    ] = None,
) -> Page[ConversationSummaryOut]:
    """Conversations, most recently active first, with the newest message and intent of each."""
    check_range(since, until)
    rows, total = await store.list_conversations(
        session, params, status=status, channel=channel, intent=intent, q=q, since=since, until=until
    )
    return summary_page(rows, total, params)


@router.get("/{conversation_id}", response_model=TranscriptOut)
async def get_transcript(
    auth: ConversationsRead, session: TenantSession, conversation_id: uuid.UUID
) -> TranscriptOut:
    """The conversation and its transcript, oldest message first."""
    return transcript_out(*await store.transcript(session, conversation_id))


@router.post("/{conversation_id}/release", response_model=ConversationOut)
async def release_handoff(
    auth: ConversationsWrite, session: TenantSession, conversation_id: uuid.UUID
) -> ConversationOut:
    """Give a conversation that was handed off to a person back to the bot (409 if not handed off)."""
    return ConversationOut.model_validate(await store.release_handoff(session, conversation_id))


@support.get("/{tenant_id}/conversations", response_model=Page[ConversationSummaryOut])
async def support_conversations(
    session: StaffInTenant,
    params: Annotated[PageParams, Depends(page_params)],
    q: Annotated[CleanStr | None, Query(max_length=200, description="Search message text")] = None,
) -> Page[ConversationSummaryOut]:
    rows, total = await store.list_conversations(
        session, params, status=None, channel=None, intent=None, q=q, since=None, until=None
    )
    return summary_page(rows, total, params)


@support.get("/{tenant_id}/conversations/{conversation_id}", response_model=TranscriptOut)
async def support_transcript(session: StaffInTenant, conversation_id: uuid.UUID) -> TranscriptOut:
    return transcript_out(*await store.transcript(session, conversation_id))
