"""The audit log: a workspace's own (``/api/v1/customer/audit``) and the platform's, across
tenants (``/api/v1/admin/audit``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from frontdesk.auth import audit
from frontdesk.auth.context import AdminSession, TenantSession, signed_in_user
from frontdesk.auth.deps import AuditRead
from frontdesk.auth.schemas import AuditEventOut
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.models import AuditEvent

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])
platform = APIRouter(prefix="/api/v1/admin", tags=["admin: platform"])


def _page(rows: list[AuditEvent], total: int, params: PageParams) -> Page[AuditEventOut]:
    return Page(
        items=[AuditEventOut.model_validate(e) for e in rows],
        total=total,
        page=params.page,
        limit=params.limit,
    )


@router.get("/audit", response_model=Page[AuditEventOut])
async def customer_audit(
    auth: AuditRead,
    session: TenantSession,
    params: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=64, description="Action prefix, e.g. team.")] = None,
) -> Page[AuditEventOut]:
    """This workspace's audit log, newest first (sign-ins, keys, team, configuration, and every
    access by Frontdesk staff)."""
    return _page(*await audit.list_events(session, params, action=action), params)


@platform.get("/audit", response_model=Page[AuditEventOut])
async def admin_audit(
    session: AdminSession,
    params: Annotated[PageParams, Depends(page_params)],
    tenant_id: Annotated[uuid.UUID | None, Query(description="Only this tenant's events")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Action prefix")] = None,
) -> Page[AuditEventOut]:
    """Every tenant's audit events and the platform's own (admin sign-ins, support access)."""
    return _page(*await audit.list_events(session, params, action=action, tenant_id=tenant_id), params)
