"""Per-tenant retention: visitor messages, leads and Crisp rows older than the tenant's
``privacy.retention_days`` are deleted by a periodic job (``visitor_data.flows.apply_retention``).

These functions take the caller's session. Each tenant is purged under its own scope (ORM criteria, and RLS on PostgreSQL), a bounded
batch per short transaction, so the job never holds long locks. The cutoff never reaches into
the current billing period (nor the previous one while its usage tail is still reported):
usage and quotas count message rows, so a short retention cannot erase billable usage.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.billing import service as billing
from frontdesk.billing.metering import TAIL
from frontdesk.models import Conversation, CrispDelivery, CrispEvent, Lead, Message, TenantConfiguration
from frontdesk.tenants.bot_config import CONFIG_TYPE

ACTOR: Final = "system:retention"
BATCH: Final = 500  # rows per transaction
MAX_BATCHES: Final = 200  # per table, tenant and run: a huge backlog is finished by later runs


@dataclass
class Purged:
    messages: int = 0
    conversations: int = 0
    leads: int = 0
    crisp_events: int = 0
    crisp_deliveries: int = 0

    @property
    def total(self) -> int:
        return self.messages + self.conversations + self.leads + self.crisp_events + self.crisp_deliveries


async def tenants_with_retention(session: AsyncSession) -> list[tuple[uuid.UUID, int]]:
    """(tenant, days) for every tenant whose bot configuration sets a retention period (admin scope)."""
    days = TenantConfiguration.config_data[("privacy", "retention_days")].as_integer()
    rows = await session.execute(
        select(TenantConfiguration.tenant_id, days).where(
            TenantConfiguration.config_type == CONFIG_TYPE, days.is_not(None)
        )
    )
    return [(tenant_id, int(n)) for tenant_id, n in rows.all() if n is not None and n >= 1]


async def cutoff_for(session: AsyncSession, tenant_id: uuid.UUID, days: int, now: datetime) -> datetime:
    """``now - days``, but never inside the billing period being counted (or still reported)."""
    account = await billing.load_account(session, tenant_id)
    period_start, _ = billing.usage_period(account, now - TAIL)
    return min(now - timedelta(days=days), period_start)


Ids = Callable[[], Select[uuid.UUID]]


def expired(cutoff: datetime) -> dict[str, tuple[Any, Ids]]:
    """Per kind of row (``Purged``'s fields, in deletion order): its model and the query of its
    ids past the cutoff."""
    return {
        "crisp_deliveries": (
            CrispDelivery,
            lambda: select(CrispDelivery.id).where(
                CrispDelivery.created_at < cutoff, CrispDelivery.status != "pending"
            ),
        ),
        "crisp_events": (
            CrispEvent,
            lambda: select(CrispEvent.id).where(
                CrispEvent.received_at < cutoff, CrispEvent.status.in_(("processed", "skipped", "failed"))
            ),
        ),
        "messages": (Message, lambda: select(Message.id).where(Message.created_at < cutoff)),
        "leads": (Lead, lambda: select(Lead.id).where(Lead.updated_at < cutoff)),
        # conversations left empty (and with no lead still kept), not touched since the cutoff
        "conversations": (
            Conversation,
            lambda: select(Conversation.id).where(
                Conversation.updated_at < cutoff,
                ~exists().where(Message.conversation_id == Conversation.id),
                ~exists().where(Lead.conversation_id == Conversation.id),
            ),
        ),
    }


async def delete_batch(session: AsyncSession, model: Any, ids: Ids) -> tuple[int, bool]:
    """Delete up to BATCH rows of what ``ids()`` selects: (rows deleted, whether more may be left)."""
    batch = list((await session.scalars(ids().limit(BATCH))).all())
    if not batch:
        return 0, False
    result = await session.execute(
        delete(model).where(model.id.in_(batch)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0), len(batch) == BATCH


def record(session: AsyncSession, purged: Purged, cutoff: datetime, days: int) -> None:
    audit.record(
        session,
        actor=ACTOR,
        action="privacy.retention",
        target=f"older than {cutoff.isoformat()}",
        days=days,
        **vars(purged),
    )
