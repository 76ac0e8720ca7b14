"""``/api/v1/customer``: what only a tenant's people manage — business details, API keys, the
team, the audit log. (Configuration, knowledge, conversations and leads are the same routers
as ``/api/v1/…``, mounted here too: one service, two front doors.)"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit, emails, team, users
from frontdesk.auth import service as key_service
from frontdesk.auth.context import AuthContext, Authenticated, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import (
    AUDIT_READ,
    CONFIG_READ,
    CONFIG_WRITE,
    CONVERSATIONS_READ,
    KEYS_MANAGE,
    TEAM_MANAGE,
    TENANT_ROLES,
)
from frontdesk.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import AccessClaims
from frontdesk.jobs.enqueue import after_commit
from frontdesk.kit.errors import Forbidden
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.kit.schemas import Email, InputModel
from frontdesk.runtime import Runtime
from frontdesk.tenants import service, stats
from frontdesk.tenants.schemas import TenantOut
from frontdesk.tenants.stats import TenantStats


async def signed_in_user(auth: Authenticated) -> None:
    if auth.user_id is None:
        raise Forbidden("These endpoints are for signed-in users (Authorization: Bearer), not API keys.")


router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])
ConfigRead = Annotated[AuthContext, Depends(Authorize(CONFIG_READ))]
ConfigWrite = Annotated[AuthContext, Depends(Authorize(CONFIG_WRITE))]
KeysManage = Annotated[AuthContext, Depends(Authorize(KEYS_MANAGE))]
TeamManage = Annotated[AuthContext, Depends(Authorize(TEAM_MANAGE))]
AuditRead = Annotated[AuthContext, Depends(Authorize(AUDIT_READ))]
ConversationsRead = Annotated[AuthContext, Depends(Authorize(CONVERSATIONS_READ))]
Role = Annotated[str, Field(pattern="^(" + "|".join(TENANT_ROLES) + ")$")]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- business -------------------------------------------------------------------------------


class BusinessIn(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None


@router.get("/business", response_model=TenantOut)
async def get_business(auth: ConfigRead, session: TenantSession) -> TenantOut:
    return TenantOut.model_validate(await service.get_tenant(session, auth.tenant_id))


@router.patch("/business", response_model=TenantOut)
async def update_business(
    auth: ConfigWrite, session: TenantSession, data: BusinessIn, request: Request
) -> TenantOut:
    tenant = await service.get_tenant(session, auth.tenant_id)
    if data.name is not None:
        tenant.name = data.name
    if data.email is not None:
        tenant.email = data.email.lower()
    audit.record(
        session,
        actor=auth.principal,
        action="business.update",
        ip=_ip(request),
        **data.model_dump(exclude_none=True),
    )
    await session.flush()
    return TenantOut.model_validate(tenant)


# --- account (the signed-in person) -------------------------------------------------------


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: str | None


class AccountIn(InputModel):
    name: str | None = Field(default=None, max_length=200)
    current_password: str | None = Field(default=None, max_length=200)
    new_password: str | None = Field(default=None, min_length=1, max_length=200)


def _user(auth: AuthContext) -> tuple[uuid.UUID, uuid.UUID]:
    assert auth.user_id is not None and auth.session_id is not None  # signed_in_user
    return auth.user_id, auth.session_id


@router.get("/account", response_model=AccountOut)
async def get_account(auth: ConfigRead, runtime: RuntimeDep) -> AccountOut:
    user_id, session_id = _user(auth)
    found = await users.me(runtime.db, AccessClaims(user_id, session_id, auth.tenant_id, auth.role, None))
    return AccountOut(id=found.user.id, email=found.user.email, name=found.user.name, role=auth.role)


@router.patch("/account", response_model=AccountOut)
async def update_account(
    auth: ConfigRead, runtime: RuntimeDep, data: AccountIn, request: Request
) -> AccountOut:
    """Change your name, or your password (with the current one, checked like a sign-in: wrong
    guesses are counted and slowed down; other devices are signed out)."""
    user_id, session_id = _user(auth)
    user = await users.update_account(
        runtime.db,
        runtime.cache,
        user_id=user_id,
        session_id=session_id,
        name=data.name,
        current_password=data.current_password,
        new_password=data.new_password,
        client=users.Client(ip=_ip(request) or ""),
        throttle=SignInThrottle(runtime.cache, address_free=runtime.settings.auth_backoff_after),
        tenant_id=auth.tenant_id,
        on_throttled=emails.unlock_notice(
            runtime.mailer, runtime.settings.public_base(str(request.base_url))
        ),
    )
    return AccountOut(id=user.id, email=user.email, name=user.name, role=auth.role)


# --- API keys -------------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(auth: KeysManage, session: TenantSession) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await key_service.list_keys(session)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    auth: KeysManage, session: TenantSession, data: ApiKeyCreate, request: Request
) -> ApiKeyCreated:
    """The key is in this answer only: copy it now."""
    key, plaintext = await key_service.create_key(session, data)
    audit.record(
        session,
        actor=auth.principal,
        action="keys.create",
        target=f"key:{key.id}",
        ip=_ip(request),
        type=key.type,
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(
    auth: KeysManage, session: TenantSession, runtime: RuntimeDep, key_id: uuid.UUID, request: Request
) -> ApiKeyOut:
    key = await key_service.revoke_key(session, runtime.keys, key_id)
    audit.record(session, actor=auth.principal, action="keys.revoke", target=f"key:{key_id}", ip=_ip(request))
    return ApiKeyOut.model_validate(key)


# --- team -----------------------------------------------------------------------------------


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    joined_at: datetime


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class TeamOut(BaseModel):
    members: list[MemberOut]
    invitations: list[InvitationOut]


class InviteIn(InputModel):
    email: Email
    role: Role = "member"


class RoleIn(InputModel):
    role: Role


@router.get("/team", response_model=TeamOut)
async def get_team(auth: ConfigRead, session: TenantSession) -> TeamOut:
    members = await team.list_members(session)
    return TeamOut(
        members=[MemberOut(**vars(m)) for m in members],
        invitations=[InvitationOut.model_validate(i) for i in await team.list_invitations(session)],
    )


@router.post("/team/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED)
async def invite(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, data: InviteIn, request: Request
) -> InvitationOut:
    """Email an invitation (valid 7 days) to join with a role."""
    invitation, token = await team.invite(
        session,
        email=data.email,
        role=data.role,
        by_role=auth.role or "admin",
        by_user=auth.user_id,
        actor=auth.principal,
    )
    tenant = await service.get_tenant(session, auth.tenant_id)
    base = runtime.settings.public_base(str(request.base_url))
    await runtime.mailer.send(
        emails.invitation(
            to=invitation.email,
            business=tenant.name,
            role=invitation.role,
            link=f"{base}/accept-invitation?token={token}",
        )
    )
    return InvitationOut.model_validate(invitation)


@router.delete("/team/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    auth: TeamManage, session: TenantSession, invitation_id: uuid.UUID, request: Request
) -> Response:
    """Revoke a pending invitation: its link stops working (it answers like an invalid one)."""
    await team.revoke_invitation(session, invitation_id=invitation_id, actor=auth.principal, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _sign_out_after_commit(
    session: AsyncSession, runtime: Runtime, user_id: uuid.UUID, tenant_id: uuid.UUID, reason: str
) -> None:
    async def sign_out() -> None:
        await users.revoke_tenant_sessions(
            runtime.db, runtime.cache, user_id=user_id, tenant_id=tenant_id, reason=reason
        )

    after_commit(session, sign_out)


@router.patch("/team/members/{user_id}", response_model=MemberOut)
async def change_role(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, user_id: uuid.UUID, data: RoleIn
) -> MemberOut:
    """Change a member's role; they are signed out of this workspace so the new role applies at once."""
    await team.change_role(
        session, user_id=user_id, role=data.role, by_role=auth.role or "admin", actor=auth.principal
    )
    _sign_out_after_commit(session, runtime, user_id, auth.tenant_id, "role_changed")
    member = next(m for m in await team.list_members(session) if m.user_id == user_id)
    return MemberOut(**vars(member))


@router.delete("/team/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, user_id: uuid.UUID
) -> Response:
    """Remove a member; their sessions in this workspace end at once."""
    await team.remove(session, user_id=user_id, by_role=auth.role or "admin", actor=auth.principal)
    _sign_out_after_commit(session, runtime, user_id, auth.tenant_id, "removed_from_team")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- home -------------------------------------------------------------------------------------


@router.get("/stats", response_model=TenantStats)
async def customer_stats(
    auth: ConversationsRead,
    session: TenantSession,
    days: Annotated[int, Query(ge=1, le=90, description="Days of history")] = 14,
) -> TenantStats:
    """The dashboard home: visitor messages per day, conversations, handoffs waiting, leads by
    status and the most frequent intents."""
    return await stats.tenant_stats(session, days=days)


# --- audit ----------------------------------------------------------------------------------


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    actor: str
    action: str
    target: str | None
    ip: str | None
    details: dict[str, object]
    created_at: datetime


@router.get("/audit", response_model=Page[AuditEventOut])
async def customer_audit(
    auth: AuditRead,
    session: TenantSession,
    params: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=64, description="Action prefix, e.g. team.")] = None,
) -> Page[AuditEventOut]:
    """This workspace's audit log, newest first (sign-ins, keys, team, configuration, and every
    access by Frontdesk staff)."""
    rows, total = await audit.list_events(session, params, action=action)
    return Page(
        items=[AuditEventOut.model_validate(e) for e in rows],
        total=total,
        page=params.page,
        limit=params.limit,
    )
