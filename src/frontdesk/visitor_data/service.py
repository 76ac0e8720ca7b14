"""One visitor's data in the session's tenant: find it, export it, erase it.

A visitor is selected by their chat session id (every channel's conversation with that id),
by the email on their leads (those leads and their conversations), or by one lead (it and its
conversation). Their data is those conversations, their messages, the leads, and the Crisp
inbox/outbox rows of their Crisp sessions. Services only flush; the request commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.chat.ratings import rating_name
from frontdesk.kit.errors import NotFound
from frontdesk.kit.time import utcnow
from frontdesk.leads.service import read_contact
from frontdesk.models import Conversation, CrispDelivery, CrispEvent, Lead, Message
from frontdesk.visitor_data.schemas import (
    ConversationExport,
    CrispDeliveryExport,
    CrispEventExport,
    Erased,
    LeadExport,
    MessageExport,
    VisitorExport,
    VisitorSelector,
)

CRISP_CHANNEL: Final = "crisp"
MAX_EXPORT_MESSAGES: Final = 10_000
CHUNK: Final = 500  # ids per IN (…) list
LEAD_SCAN_BATCH: Final = 1_000


@dataclass
class VisitorRows:
    conversations: list[Conversation] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    crisp_sessions: set[str] = field(default_factory=set)

    @property
    def conversation_ids(self) -> list[uuid.UUID]:
        return [c.id for c in self.conversations]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _leads_with_email(session: AsyncSession, email: str) -> list[Lead]:
    """Leads whose contact email is ``email`` (already lower-case). Read through the leads' one
    door to contact details (so it keeps working if they are encrypted), a batch at a time."""
    found: list[Lead] = []
    after: uuid.UUID | None = None
    while True:
        query = select(Lead).order_by(Lead.id).limit(LEAD_SCAN_BATCH)
        if after is not None:
            query = query.where(Lead.id > after)
        batch = list((await session.scalars(query)).all())
        found += [lead for lead in batch if read_contact(lead).get("email", "").strip().lower() == email]
        if len(batch) < LEAD_SCAN_BATCH:
            return found
        after = batch[-1].id


async def _conversations(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> list[Conversation]:
    wanted = sorted({i for i in ids if i is not None})
    rows: list[Conversation] = []
    for chunk in _chunks(wanted):
        rows += (await session.scalars(select(Conversation).where(Conversation.id.in_(chunk)))).all()
    return rows


async def _leads_of(session: AsyncSession, conversation_ids: Sequence[uuid.UUID]) -> list[Lead]:
    rows: list[Lead] = []
    for chunk in _chunks(conversation_ids):
        rows += (await session.scalars(select(Lead).where(Lead.conversation_id.in_(chunk)))).all()
    return rows


async def find(session: AsyncSession, selector: VisitorSelector) -> VisitorRows:
    """The visitor's conversations and leads (in the session's tenant only)."""
    found = VisitorRows()
    if selector.session_id is not None:
        found.conversations = list(
            (
                await session.scalars(
                    select(Conversation)
                    .where(Conversation.session_id == selector.session_id)
                    .order_by(Conversation.created_at)
                )
            ).all()
        )
        found.leads = await _leads_of(session, found.conversation_ids)
        found.crisp_sessions.add(selector.session_id)
    else:
        if selector.email is not None:
            found.leads = await _leads_with_email(session, selector.email)
        else:
            lead = await session.get(Lead, selector.lead_id)
            found.leads = [lead] if lead is not None else []
        found.conversations = await _conversations(session, (lead.conversation_id for lead in found.leads))
    found.crisp_sessions |= {c.session_id for c in found.conversations if c.channel == CRISP_CHANNEL}
    return found


async def export(session: AsyncSession, selector: VisitorSelector) -> VisitorExport:
    """The visitor's data as one document; 404 when nothing is stored about them."""
    found = await find(session, selector)
    events, deliveries = await _crisp_rows(session, found.crisp_sessions)
    if not (found.conversations or found.leads or events or deliveries):
        raise NotFound("Nothing is stored about this visitor.")
    messages: dict[uuid.UUID, list[MessageExport]] = {c.id: [] for c in found.conversations}
    count = 0
    for chunk in _chunks(found.conversation_ids):
        rows = await session.scalars(
            select(Message)
            .where(Message.conversation_id.in_(chunk))
            .order_by(Message.conversation_id, Message.created_at, Message.id)
            .limit(MAX_EXPORT_MESSAGES + 1 - count)
        )
        for m in rows:
            count += 1
            if count > MAX_EXPORT_MESSAGES:
                break
            messages[m.conversation_id].append(
                MessageExport(
                    id=m.id,
                    role=m.role,
                    content=m.content,
                    intent=m.intent,
                    meta=m.meta,
                    rating=rating_name(m.rating),
                    created_at=m.created_at,
                )
            )
        if count > MAX_EXPORT_MESSAGES:
            break
    return VisitorExport(
        selector=selector.kind,
        exported_at=utcnow(),
        conversations=[
            ConversationExport(
                id=c.id,
                channel=c.channel,
                session_id=c.session_id,
                status=c.status,
                language=c.language,
                created_at=c.created_at,
                updated_at=c.updated_at,
                messages=messages[c.id],
            )
            for c in found.conversations
        ],
        leads=[
            LeadExport(
                id=lead.id,
                conversation_id=lead.conversation_id,
                intent=lead.intent,
                contact=read_contact(lead),
                status=lead.status,
                created_at=lead.created_at,
                updated_at=lead.updated_at,
            )
            for lead in found.leads
        ],
        crisp_events=[
            CrispEventExport(
                id=e.id, event=e.event, session_id=e.session_id, payload=e.payload, received_at=e.received_at
            )
            for e in events
        ],
        crisp_deliveries=[
            CrispDeliveryExport(
                id=d.id,
                session_id=d.session_id,
                content=d.content,
                status=d.status,
                created_at=d.created_at,
                sent_at=d.sent_at,
            )
            for d in deliveries
        ],
        truncated=count > MAX_EXPORT_MESSAGES,
    )


async def _crisp_rows(
    session: AsyncSession, sessions: set[str]
) -> tuple[list[CrispEvent], list[CrispDelivery]]:
    if not sessions:
        return [], []
    wanted = sorted(sessions)
    events: list[CrispEvent] = []
    deliveries: list[CrispDelivery] = []
    for chunk in _chunks(wanted):
        events += (
            await session.scalars(
                select(CrispEvent).where(CrispEvent.session_id.in_(chunk)).order_by(CrispEvent.received_at)
            )
        ).all()
        deliveries += (
            await session.scalars(
                select(CrispDelivery)
                .where(CrispDelivery.session_id.in_(chunk))
                .order_by(CrispDelivery.created_at)
            )
        ).all()
    return events, deliveries


async def _delete_in(session: AsyncSession, model: Any, column: Any, values: Sequence[Any]) -> int:
    deleted = 0
    for chunk in _chunks(values):
        result = await session.execute(
            delete(model).where(column.in_(chunk)).execution_options(synchronize_session=False)
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


async def erase(session: AsyncSession, selector: VisitorSelector) -> Erased:
    """Delete the visitor's conversations, messages, leads and Crisp rows; zero counts when
    nothing matched (erasing twice is harmless)."""
    found = await find(session, selector)
    conversation_ids = found.conversation_ids
    crisp_sessions = sorted(found.crisp_sessions)
    erased = Erased(
        crisp_deliveries=await _delete_in(session, CrispDelivery, CrispDelivery.session_id, crisp_sessions),
        crisp_events=await _delete_in(session, CrispEvent, CrispEvent.session_id, crisp_sessions),
        leads=await _delete_in(session, Lead, Lead.id, [lead.id for lead in found.leads]),
        messages=await _delete_in(session, Message, Message.conversation_id, conversation_ids),
        conversations=await _delete_in(session, Conversation, Conversation.id, conversation_ids),
    )
    for row in (*found.conversations, *found.leads):
        session.expunge(row)
    await session.flush()
    return erased
