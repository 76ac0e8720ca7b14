"""Retention across many short transactions: each tenant under its own scope, a bounded batch
of rows per transaction, so the job never holds long locks."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.visitor_data import retention
from frontdesk.visitor_data.retention import ACTOR, MAX_BATCHES, Purged

log = structlog.get_logger()


async def purge_tenant(db: Database, tenant_id: uuid.UUID, days: int, now: datetime | None = None) -> Purged:
    """Apply one tenant's retention period; returns what was deleted."""
    now = now or utcnow()
    async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
        cutoff = await retention.cutoff_for(session, tenant_id, days, now)
    purged = Purged()
    for kind, (model, ids) in retention.expired(cutoff).items():
        deleted, more = 0, True
        for _ in range(MAX_BATCHES):  # a huge backlog is finished by later runs
            async with unit_of_work(db, tenant_id=tenant_id) as session:
                count, more = await retention.delete_batch(session, model, ids)
            deleted += count
            if not more:
                break
        setattr(purged, kind, deleted)
    if purged.total:
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            retention.record(session, purged, cutoff, days)
    log.info("privacy.retention", tenant_id=str(tenant_id), days=days, **vars(purged))
    return purged


async def apply_retention(db: Database, now: datetime | None = None) -> int:
    """Every tenant's retention period; returns the rows deleted. A failing tenant is logged and
    skipped (the next run tries again)."""
    async with unit_of_work(db, admin=(ACTOR, "find tenants with a retention period"), read_only=True) as s:
        due = await retention.tenants_with_retention(s)
    total = 0
    for tenant_id, days in due:
        try:
            total += (await purge_tenant(db, tenant_id, days, now)).total
        except Exception:
            log.exception("privacy.retention_failed", tenant_id=str(tenant_id))
    return total
