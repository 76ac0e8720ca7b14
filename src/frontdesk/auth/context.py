"""The one door for auth: a dependency yields the AuthContext; endpoints declare the
permission they need with ``Annotated[AuthContext, Authorize("…")]``."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit, users
from frontdesk.auth.keys import looks_like_key
from frontdesk.auth.permissions import PLATFORM_ROLES, ROLE_PERMISSIONS
from frontdesk.auth.tokens import AccessClaims, TokenError, read_access
from frontdesk.db.session import unit_of_work
from frontdesk.kit.errors import Forbidden, Unauthorized
from frontdesk.runtime import Runtime
from frontdesk.tenants.service import get_tenant, suspended_marker

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Tenant API key")
bearer = HTTPBearer(auto_error=False, description="User access token (JWT), or the bootstrap admin token")


@dataclass(frozen=True)
class AuthContext:
    """Who is calling for which tenant and what they may do: an API key or a signed-in user."""

    tenant_id: uuid.UUID
    principal: str  # "key:<id>" | "user:<id>"
    key_id: uuid.UUID | None
    key_type: str  # secret | publishable | user
    scopes: frozenset[str]
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    role: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.scopes


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Security(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> AuthContext:
    """The one door: an ``X-API-Key`` (secret or publishable) or a user's ``Bearer`` token."""
    if api_key:
        context = await _key_context(request, runtime, api_key)
    elif credentials is not None:
        claims = await user_claims(runtime, credentials.credentials)
        if claims.tenant_id is None or claims.role is None:
            raise Forbidden("Platform accounts use the admin API (/api/v1/admin).")
        if await runtime.cache.get(suspended_marker(claims.tenant_id)) is not None:
            raise Forbidden("This account is suspended.")
        context = AuthContext(
            tenant_id=claims.tenant_id,
            principal=f"user:{claims.user_id}",
            key_id=None,
            key_type="user",
            scopes=ROLE_PERMISSIONS.get(claims.role, frozenset()),
            user_id=claims.user_id,
            session_id=claims.session_id,
            role=claims.role,
        )
    else:
        raise Unauthorized("Send an API key in the X-API-Key header or a Bearer access token.")
    structlog.contextvars.bind_contextvars(tenant_id=str(context.tenant_id))
    request.state.tenant_id = str(context.tenant_id)
    return context


async def user_claims(runtime: Runtime, token: str) -> AccessClaims:
    try:
        claims = read_access(runtime.settings.secret_key, token)
    except TokenError as error:
        raise Unauthorized(str(error)) from None
    if await runtime.cache.get(users.revoked_key(claims.session_id)) is not None:
        raise Unauthorized("This session was signed out: sign in again.")
    return claims


async def _key_context(request: Request, runtime: Runtime, api_key: str) -> AuthContext:
    snapshot = await runtime.keys.resolve(api_key) if looks_like_key(api_key) else None
    if snapshot is None or snapshot.revoked or snapshot.expired:
        raise Unauthorized("Invalid, revoked or expired API key.")
    if snapshot.tenant_suspended:
        raise Forbidden("This account is suspended.")
    if snapshot.type == "publishable":
        origin = request.headers.get("origin")
        if not origin or origin.rstrip("/") not in snapshot.allowed_origins:
            raise Forbidden("This publishable key is not allowed from this origin.")
    runtime.keys.touch(snapshot.key_id)
    return AuthContext(
        tenant_id=uuid.UUID(snapshot.tenant_id),
        principal=f"key:{snapshot.key_id}",
        key_id=uuid.UUID(snapshot.key_id),
        key_type=snapshot.type,
        scopes=frozenset(snapshot.scopes),
    )


class Authorize:
    """``Annotated[AuthContext, Authorize("leads:read")]`` — authenticate, then require a scope."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, auth: Annotated[AuthContext, Depends(authenticate)]) -> AuthContext:
        if not auth.can(self.permission):
            if auth.role is not None:
                raise Forbidden(f"The {auth.role} role does not allow '{self.permission}'.")
            raise Forbidden(f"This key lacks the '{self.permission}' scope.")
        return auth


Authenticated = Annotated[AuthContext, Depends(authenticate)]


async def signed_in_user(auth: Authenticated) -> None:
    """For routers only people use (the dashboard's ``/api/v1/customer/…``): no API keys."""
    if auth.user_id is None:
        raise Forbidden("These endpoints are for signed-in users (Authorization: Bearer), not API keys.")


async def tenant_session(auth: Authenticated, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session bound to the caller's tenant; commits before the response is sent."""
    async with unit_of_work(runtime.db, tenant_id=auth.tenant_id) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]


@dataclass(frozen=True)
class PlatformActor:
    """A platform admin or support user (or the bootstrap token, for automation)."""

    principal: str
    role: str  # admin | support
    user_id: uuid.UUID | None = None


async def require_platform_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> PlatformActor:
    """Platform users (``frontdesk admin create``); support is read-only. The bootstrap
    ``FRONTDESK_ADMIN_TOKEN``, when set, still works for scripts."""
    if credentials is None:
        raise Unauthorized("Sign in as a platform user (Authorization: Bearer <access token>).")
    expected = runtime.settings.admin_token
    if expected and hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        return PlatformActor("admin-token", "admin")
    if expected and not credentials.credentials.count(".") == 2:
        raise Unauthorized("Invalid admin token.")
    claims = await user_claims(runtime, credentials.credentials)
    if claims.platform_role not in PLATFORM_ROLES:
        raise Forbidden("This account is not a platform administrator.")
    if claims.platform_role == "support" and request.method not in ("GET", "HEAD", "OPTIONS"):
        raise Forbidden("Support accounts are read-only.")
    return PlatformActor(f"admin:{claims.user_id}", claims.platform_role, claims.user_id)


AdminActor = Annotated[PlatformActor, Depends(require_platform_user)]


async def admin_session(
    request: Request, actor: AdminActor, runtime: RuntimeDep
) -> AsyncIterator[AsyncSession]:
    """A session across tenants, for platform users only; every request is on the audit log
    (with the tenant it touched, so the tenant sees support's access in its own log)."""
    async with unit_of_work(runtime.db, admin=(actor.principal, staff_reason(request))) as session:
        record_staff_access(session, request, actor, _uuid_or_none(request.path_params.get("tenant_id")))
        yield session


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def staff_reason(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def record_staff_access(
    session: AsyncSession, request: Request, actor: PlatformActor, tenant_id: uuid.UUID | None = None
) -> None:
    """A staff request on the audit log (the tenant defaults to the session's)."""
    audit.record(
        session,
        actor=actor.principal,
        action=f"admin.{'read' if request.method == 'GET' else 'write'}",
        target=staff_reason(request),
        tenant_id=tenant_id,
        ip=request.client.host if request.client else None,
        role=actor.role,
    )


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


AdminSession = Annotated[AsyncSession, Depends(admin_session, scope="function")]


async def staff_in_tenant(
    request: Request, actor: AdminActor, runtime: RuntimeDep, tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A platform user acting inside one tenant (``…/tenants/{tenant_id}/…``): check it exists,
    then a tenant-scoped session; the access is on the audit log, in the tenant's own log too."""
    async with unit_of_work(runtime.db, admin=(actor.principal, staff_reason(request))) as check:
        await get_tenant(check, tenant_id)
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        record_staff_access(session, request, actor)
        yield session


StaffInTenant = Annotated[AsyncSession, Depends(staff_in_tenant, scope="function")]
