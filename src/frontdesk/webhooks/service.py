"""Failed web hook events across sources, and putting one back in its queue.

Each source is an inbox table built on ``kit.inbox`` (``InboxRow``) and the job that
processes one of its events, named (``jobs.enqueue`` sends it by name after the commit), so
this module knows neither billing nor the channels. A new source (an integration's inbox)
adds one ``Source`` here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.jobs.enqueue import enqueue_after_commit
from frontdesk.kit import inbox
from frontdesk.kit.errors import Conflict, NotFound
from frontdesk.kit.pagination import PageParams
from frontdesk.models import CrispEvent, StripeEvent
from frontdesk.webhooks.schemas import WebhookEventOut


@dataclass(frozen=True)
class Source:
    name: str
    model: Any  # an InboxRow model with id, tenant_id and an event type column
    event_type: Any
    task: str  # the job that processes one event
    task_args: Callable[[Any], tuple[str, ...]]
    parse_id: Callable[[str], Any]


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("No such web hook event.") from None


SOURCES: dict[str, Source] = {
    "stripe": Source(
        "stripe",
        StripeEvent,
        StripeEvent.type,
        "frontdesk.billing.process_event",
        lambda row: (row.id,),
        str,
    ),
    "crisp": Source(
        "crisp",
        CrispEvent,
        CrispEvent.event,
        "frontdesk.crisp.process_event",
        lambda row: (str(row.tenant_id), str(row.id)),
        _uuid,
    ),
}


def _out(source: Source, row: Any) -> WebhookEventOut:
    return WebhookEventOut(
        source=source.name,
        id=str(row.id),
        event_type=getattr(row, source.event_type.key),
        tenant_id=row.tenant_id,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        received_at=row.received_at,
    )


async def list_events(
    session: AsyncSession, params: PageParams, *, source: str | None, status: str | None
) -> tuple[list[WebhookEventOut], int]:
    """Newest first, across the sources asked for (each source's top rows merged)."""
    rows: list[WebhookEventOut] = []
    total = 0
    for item in [SOURCES[source]] if source else SOURCES.values():
        where: list[ColumnElement[bool]] = [item.model.status == status] if status else []
        total += await session.scalar(select(func.count()).select_from(item.model).where(*where)) or 0
        found = await session.scalars(
            select(item.model)
            .where(*where)
            .order_by(item.model.received_at.desc())
            .limit(params.offset + params.limit)
        )
        rows.extend(_out(item, row) for row in found.all())
    rows.sort(key=lambda event: event.received_at, reverse=True)
    return rows[params.offset : params.offset + params.limit], total


async def requeue(session: AsyncSession, source: str, event_id: str, *, actor: str) -> None:
    """A failed event is due again now with fresh attempts, its job sent after the commit;
    the requeue is on the audit log (the tenant's, when the event has one)."""
    item = SOURCES[source]
    key = item.parse_id(event_id)
    row = await session.get(item.model, key)
    if row is None:
        raise NotFound("No such web hook event.")
    if not await inbox.requeue(session, item.model, item.model.id == key):
        raise Conflict(f"Only a failed event can be requeued; this one is {row.status}.")
    audit.record(
        session,
        actor=actor,
        action="webhook_events.requeue",
        target=f"{source}:{event_id}",
        tenant_id=row.tenant_id,
        event_type=getattr(row, item.event_type.key),
        attempts=row.attempts,
    )
    enqueue_after_commit(session, item.task, *item.task_args(row))
