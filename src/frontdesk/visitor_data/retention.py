"""Per-tenant retention: visitor messages, leads and Crisp rows older than the tenant's
``privacy.retention_days`` are deleted by a periodic job.

Each tenant is purged under its own scope (ORM criteria, and RLS on PostgreSQL), a bounded
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

import structlog
from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.billing import service as billing
from frontdesk.billing.metering import TAIL
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import Conversation, CrispDelivery, CrispEvent, Lead, Message, TenantConfiguration
from frontdesk.tenants.bot_config import CONFIG_TYPE

log = structlog.get_logger()
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


async def tenants_with_retention(db: Database) -> list[tuple[uuid.UUID, int]]:
    """(tenant, days) for every tenant whose bot configuration sets a retention period."""
    days = TenantConfiguration.config_data[("privacy", "retention_days")].as_integer()
    async with unit_of_work(db, admin=(ACTOR, "find tenants with a retention period"), read_only=True) as s:
        rows = await s.execute(
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


async def _purge(db: Database, tenant_id: uuid.UUID, model: Any, ids: Callable[[], Select[uuid.UUID]]) -> int:
    """Delete what ``ids()`` selects, BATCH rows per transaction, until none is left."""
    deleted = 0
    for _ in range(MAX_BATCHES):
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            batch = list((await session.scalars(ids().limit(BATCH))).all())
            if batch:
                result = await session.execute(
                    delete(model).where(model.id.in_(batch)).execution_options(synchronize_session=False)
                )
                deleted += int(getattr(result, "rowcount", 0) or 0)
        if len(batch) < BATCH:
            break
    return deleted


async def purge_tenant(db: Database, tenant_id: uuid.UUID, days: int, now: datetime | None = None) -> Purged:
    """Apply one tenant's retention period; returns what was deleted."""
    now = now or utcnow()
    async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
        cutoff = await cutoff_for(session, tenant_id, days, now)
    purged = Purged(
        crisp_deliveries=await _purge(
            db,
            tenant_id,
            CrispDelivery,
            lambda: select(CrispDelivery.id).where(
                CrispDelivery.created_at < cutoff, CrispDelivery.status != "pending"
            ),
        ),
        crisp_events=await _purge(
            db,
            tenant_id,
            CrispEvent,
            lambda: select(CrispEvent.id).where(
                CrispEvent.received_at < cutoff, CrispEvent.status.in_(("processed", "skipped", "failed"))
            ),
        ),
        messages=await _purge(
            db, tenant_id, Message, lambda: select(Message.id).where(Message.created_at < cutoff)
        ),
        leads=await _purge(db, tenant_id, Lead, lambda: select(Lead.id).where(Lead.updated_at < cutoff)),
        # conversations left empty (and with no lead still kept), not touched since the cutoff
        conversations=await _purge(
            db,
            tenant_id,
            Conversation,
            lambda: select(Conversation.id).where(
                Conversation.updated_at < cutoff,
                ~exists().where(Message.conversation_id == Conversation.id),
                ~exists().where(Lead.conversation_id == Conversation.id),
            ),
        ),
    )
    if purged.total:
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            audit.record(
                session,
                actor=ACTOR,
                action="privacy.retention",
                target=f"older than {cutoff.isoformat()}",
                days=days,
                **vars(purged),
            )
    log.info("privacy.retention", tenant_id=str(tenant_id), days=days, **vars(purged))
    return purged


async def apply_all(db: Database, now: datetime | None = None) -> int:
    """Every tenant's retention period; returns the rows deleted. A failing tenant is logged and
    skipped (the next run tries again)."""
    total = 0
    for tenant_id, days in await tenants_with_retention(db):
        try:
            total += (await purge_tenant(db, tenant_id, days, now)).total
        except Exception:
            log.exception("privacy.retention_failed", tenant_id=str(tenant_id))
    return total
