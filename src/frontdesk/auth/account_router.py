"""``/api/v1/customer/account``: the signed-in person's own account."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from frontdesk.auth import flows, users
from frontdesk.auth.context import AuthContext, RuntimeDep, client_ip, signed_in_user
from frontdesk.auth.deps import ConfigRead
from frontdesk.auth.schemas import AccountIn, AccountOut
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import AccessClaims

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])


def _user(auth: AuthContext) -> tuple[uuid.UUID, uuid.UUID]:
    assert auth.user_id is not None and auth.session_id is not None  # signed_in_user
    return auth.user_id, auth.session_id


@router.get("/account", response_model=AccountOut)
async def get_account(auth: ConfigRead, runtime: RuntimeDep) -> AccountOut:
    user_id, session_id = _user(auth)
    found = await flows.me(runtime.db, AccessClaims(user_id, session_id, auth.tenant_id, auth.role, None))
    return AccountOut(id=found.user.id, email=found.user.email, name=found.user.name, role=auth.role)


@router.patch("/account", response_model=AccountOut)
async def update_account(
    auth: ConfigRead, runtime: RuntimeDep, data: AccountIn, request: Request
) -> AccountOut:
    """Change your name, or your password (with the current one, checked like a sign-in: wrong
    guesses are counted and slowed down; other devices are signed out)."""
    user_id, session_id = _user(auth)
    user = await flows.update_account(
        runtime.db,
        runtime.cache,
        user_id=user_id,
        session_id=session_id,
        name=data.name,
        current_password=data.current_password,
        new_password=data.new_password,
        client=users.Client(ip=client_ip(request) or ""),
        throttle=SignInThrottle(runtime.cache, address_free=runtime.settings.auth_backoff_after),
        tenant_id=auth.tenant_id,
        on_throttled=flows.unlock_notice(runtime.settings.public_base(str(request.base_url))),
    )
    return AccountOut(id=user.id, email=user.email, name=user.name, role=auth.role)
