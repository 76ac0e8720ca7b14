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

from frontdesk.auth.keys import looks_like_key
from frontdesk.db.session import unit_of_work
from frontdesk.kit.errors import Forbidden, Unauthorized
from frontdesk.runtime import Runtime

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Tenant API key")
bearer = HTTPBearer(auto_error=False, description="Platform admin token")


@dataclass(frozen=True)
class AuthContext:
    tenant_id: uuid.UUID
    principal: str  # "key:<id>"
    key_id: uuid.UUID
    key_type: str
    scopes: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.scopes


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(
    request: Request, runtime: RuntimeDep, api_key: Annotated[str | None, Security(api_key_header)]
) -> AuthContext:
    if not api_key:
        raise Unauthorized("Missing API key: send it in the X-API-Key header.")
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
    structlog.contextvars.bind_contextvars(tenant_id=snapshot.tenant_id)
    request.state.tenant_id = snapshot.tenant_id
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
            raise Forbidden(f"This key lacks the '{self.permission}' scope.")
        return auth


Authenticated = Annotated[AuthContext, Depends(authenticate)]


async def tenant_session(auth: Authenticated, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session bound to the caller's tenant; commits before the response is sent."""
    async with unit_of_work(runtime.db, tenant_id=auth.tenant_id) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]


async def require_admin_token(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> str:
    expected = runtime.settings.admin_token
    if not expected:
        raise Unauthorized("The admin API is disabled: set FRONTDESK_ADMIN_TOKEN.")
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise Unauthorized("Invalid admin token.")
    return "admin-token"


AdminActor = Annotated[str, Depends(require_admin_token)]


async def admin_session(
    request: Request, actor: AdminActor, runtime: RuntimeDep
) -> AsyncIterator[AsyncSession]:
    """A session across tenants, for platform admins only, every use on the audit log."""
    reason = f"{request.method} {request.url.path}"
    async with unit_of_work(runtime.db, admin=(actor, reason)) as session:
        yield session


AdminSession = Annotated[AsyncSession, Depends(admin_session, scope="function")]
