"""``/api/v1/customer``: the workspace itself — its business details and its home's stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from frontdesk.auth import audit
from frontdesk.auth.context import TenantSession, client_ip, signed_in_user
from frontdesk.tenants import service, stats
from frontdesk.tenants.deps import ConfigRead, ConfigWrite, ConversationsRead
from frontdesk.tenants.schemas import BusinessIn, TenantOut
from frontdesk.tenants.stats import TenantStats

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])


@router.get("/business", response_model=TenantOut)
async def get_business(auth: ConfigRead, session: TenantSession) -> TenantOut:
    return TenantOut.model_validate(await service.get_tenant(session, auth.tenant_id))


@router.patch("/business", response_model=TenantOut)
async def update_business(
    auth: ConfigWrite, session: TenantSession, data: BusinessIn, request: Request
) -> TenantOut:
    tenant = await service.update_business(session, auth.tenant_id, name=data.name, email=data.email)
    audit.record(
        session,
        actor=auth.principal,
        action="business.update",
        ip=client_ip(request),
        **data.model_dump(exclude_none=True),
    )
    await session.flush()
    return TenantOut.model_validate(tenant)


@router.get("/stats", response_model=TenantStats)
async def customer_stats(
    auth: ConversationsRead,
    session: TenantSession,
    days: Annotated[int, Query(ge=1, le=90, description="Days of history")] = 14,
) -> TenantStats:
    """The dashboard home: visitor messages per day, conversations, handoffs waiting, leads by
    status and the most frequent intents."""
    return await stats.tenant_stats(session, days=days)
