"""Seed a visitor's rows (conversation, messages, lead, Crisp inbox/outbox) at a given age."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import Conversation, CrispDelivery, CrispEvent, Lead, Message
from frontdesk.runtime import Runtime


@dataclass
class Seeded:
    conversation_id: uuid.UUID
    lead_id: uuid.UUID | None
    message_ids: list[uuid.UUID]


async def seed_visitor(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    session_id: str,
    *,
    email: str | None = None,
    channel: str = "widget",
    age: timedelta = timedelta(0),
    messages: int = 2,
) -> Seeded:
    at: datetime = utcnow() - age
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        conversation = Conversation(session_id=session_id, channel=channel, created_at=at, updated_at=at)
        session.add(conversation)
        await session.flush()
        ids = []
        for n in range(messages):
            message = Message(
                conversation_id=conversation.id,
                role="user" if n % 2 == 0 else "assistant",
                content=f"{session_id} says {n}",
                meta={"language": "en"},
                created_at=at + timedelta(seconds=n),
            )
            session.add(message)
            await session.flush()
            ids.append(message.id)
        lead_id = None
        if email is not None:
            lead = Lead(
                conversation_id=conversation.id,
                contact_info={"email": email, "name": session_id},
                created_at=at,
                updated_at=at,
            )
            session.add(lead)
            await session.flush()
            lead_id = lead.id
        if channel == "crisp":
            event = CrispEvent(
                fingerprint=f"fp-{uuid.uuid4().hex}",
                event="message:send",
                session_id=session_id,
                payload={"content": "hello"},
                status="processed",
                received_at=at,
            )
            session.add(event)
            await session.flush()
            session.add(
                CrispDelivery(
                    event_id=event.id,
                    website_id="w-1",
                    session_id=session_id,
                    content="a reply",
                    status="sent",
                    created_at=at,
                )
            )
        return Seeded(conversation.id, lead_id, ids)


async def count(runtime: Runtime, tenant_id: uuid.UUID, model: type, *criteria: object) -> int:
    async with unit_of_work(runtime.db, tenant_id=tenant_id, read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)
