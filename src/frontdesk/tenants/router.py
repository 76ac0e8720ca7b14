"""Admin tenant management (bootstrap admin token) and a tenant's view of itself."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from frontdesk.auth import audit, team
from frontdesk.auth.context import AdminActor, AdminSession, RuntimeDep, StaffInTenant, TenantSession
from frontdesk.auth.flows import send_invitation_after_commit
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.kit.schemas import CleanStr
from frontdesk.tenants import bot_config, service, stats
from frontdesk.tenants.bot_config import BotConfigOut
from frontdesk.tenants.deps import ConfigRead
from frontdesk.tenants.schemas import AdminTenantCreate, TenantCreate, TenantOut, TenantUpdate
from frontdesk.tenants.stats import PlatformStats

admin = APIRouter(prefix="/api/v1/admin/tenants", tags=["admin: tenants"])
platform = APIRouter(prefix="/api/v1/admin", tags=["admin: platform"])
me = APIRouter(prefix="/api/v1/tenant", tags=["tenant"])


@admin.get("", response_model=Page[TenantOut])
async def list_tenants(
    session: AdminSession,
    params: Annotated[PageParams, Depends(page_params)],
    q: Annotated[CleanStr | None, Query(max_length=200, description="Search name, email or slug")] = None,
) -> Page[TenantOut]:
    rows, total = await service.list_tenants(session, params, q)
    return Page(
        items=[TenantOut.model_validate(t) for t in rows], total=total, page=params.page, limit=params.limit
    )


@admin.post("", response_model=TenantOut, status_code=status.HTTP_201_CREATED)
async def create_tenant(
    session: AdminSession, runtime: RuntimeDep, actor: AdminActor, data: AdminTenantCreate, request: Request
) -> TenantOut:
    """Onboard a tenant; with ``owner_email``, its owner gets an emailed invitation."""
    tenant = await service.create_tenant(session, TenantCreate(**data.model_dump(exclude={"owner_email"})))
    if data.owner_email:
        invitation = await team.invite_owner(
            session, tenant.id, email=data.owner_email, actor=actor.principal
        )
        base = runtime.settings.public_base(str(request.base_url))
        send_invitation_after_commit(session, invitation, base=base, kind="new_workspace")
    return TenantOut.model_validate(tenant)


@admin.get("/{tenant_id}", response_model=TenantOut)
async def get_tenant(session: AdminSession, tenant_id: uuid.UUID) -> TenantOut:
    return TenantOut.model_validate(await service.get_tenant(session, tenant_id))


@admin.patch("/{tenant_id}", response_model=TenantOut)
async def update_tenant(
    session: AdminSession, runtime: RuntimeDep, actor: AdminActor, tenant_id: uuid.UUID, data: TenantUpdate
) -> TenantOut:
    tenant = await service.update_tenant(session, runtime.cache, tenant_id, data, actor=actor.principal)
    return TenantOut.model_validate(tenant)


@admin.post("/{tenant_id}/suspend", response_model=TenantOut)
async def suspend_tenant(session: AdminSession, runtime: RuntimeDep, tenant_id: uuid.UUID) -> TenantOut:
    return TenantOut.model_validate(
        await service.set_suspended(session, runtime.keys, runtime.cache, tenant_id, suspended=True)
    )


@admin.post("/{tenant_id}/reactivate", response_model=TenantOut)
async def reactivate_tenant(session: AdminSession, runtime: RuntimeDep, tenant_id: uuid.UUID) -> TenantOut:
    return TenantOut.model_validate(
        await service.set_suspended(session, runtime.keys, runtime.cache, tenant_id, suspended=False)
    )


@admin.delete("/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tenant(
    session: AdminSession, runtime: RuntimeDep, actor: AdminActor, tenant_id: uuid.UUID
) -> Response:
    """Delete the tenant and everything it owns (conversations, leads, keys, its only-here users …)."""
    await service.delete_tenant(session, runtime.keys, runtime.cache, tenant_id)
    # on the platform's record: the tenant's own log goes with it
    audit.record(session, actor=actor.principal, action="tenants.delete", target=f"tenant:{tenant_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin.get("/{tenant_id}/config", response_model=BotConfigOut)
async def support_config(session: StaffInTenant) -> BotConfigOut:
    """The tenant's bot configuration, as support sees it (audited in the tenant's log)."""
    config, updated_at = await bot_config.load(session)
    return bot_config.public(config, updated_at)


@me.get("", response_model=TenantOut)
async def current_tenant(auth: ConfigRead, session: TenantSession) -> TenantOut:
    """The business this key belongs to."""
    return TenantOut.model_validate(await service.get_tenant(session, auth.tenant_id))


@platform.get("/stats", response_model=PlatformStats)
async def admin_stats(
    session: AdminSession, days: Annotated[int, Query(ge=1, le=90, description="Days of history")] = 14
) -> PlatformStats:
    """Tenants, messages per day, leads and delivery errors across the platform."""
    return await stats.platform_stats(session, days=days)
