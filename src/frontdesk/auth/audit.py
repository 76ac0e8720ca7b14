"""The audit log: who (user or key), which tenant, what, on what, when, from where."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.tenancy import of_tenant
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.time import to_utc
from frontdesk.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    ip: str | None = None,
    tenant_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """Add an event to the session's transaction (the tenant defaults to the session's)."""
    session.add(
        AuditEvent(tenant_id=tenant_id, actor=actor, action=action, target=target, ip=ip, details=details)
    )


async def list_events(
    session: AsyncSession,
    params: PageParams,
    *,
    action: str | None = None,
    tenant_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """Newest first. In a tenant's session only its events exist; admins may filter by tenant."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if tenant_id is not None:
        query = query.where(of_tenant(AuditEvent.tenant_id, tenant_id))
    if since is not None:
        query = query.where(AuditEvent.created_at >= to_utc(since))
    return await paginate(session, query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()), params)
