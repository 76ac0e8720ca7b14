"""``/api/v1/auth``: signup, sign-in, token refresh, sign-out, sessions, password reset,
invitations. Thin: parse, call ``auth.users`` / ``auth.team``, shape the reply."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, Security, status
from fastapi.security import HTTPAuthorizationCredentials
from limits import RateLimitItemPerMinute

from frontdesk.auth import cookies, flows, users
from frontdesk.auth.context import RuntimeDep, bearer, user_claims
from frontdesk.auth.schemas import (
    AcceptInvitationIn,
    ForgotIn,
    LoginIn,
    MeOut,
    RefreshIn,
    ResetIn,
    SessionOut,
    SignupConfirmIn,
    SignupIn,
    SignupOut,
    TokensOut,
    UnlockIn,
)
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import AccessClaims
from frontdesk.kit.errors import Unauthorized

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def throttled(action: str) -> Any:
    """Per client address and action: the endpoints that take a password, an email or a
    one-time token are limited to ``FRONTDESK_AUTH_PER_MINUTE`` attempts a minute (429 with
    Retry-After) — guessing, sign-up spam and reset-email floods, on top of the per-account
    lockout."""

    async def throttle(request: Request, runtime: RuntimeDep) -> None:
        address = request.client.host if request.client else "unknown"
        per_minute = RateLimitItemPerMinute(runtime.settings.auth_per_minute)
        await runtime.limits.hit(per_minute, "address", action, address, unit="attempts")

    return Depends(throttle)


def _throttle(runtime: RuntimeDep) -> SignInThrottle:
    return SignInThrottle(runtime.cache, address_free=runtime.settings.auth_backoff_after)


def _client(request: Request) -> users.Client:
    return users.Client(
        ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", "")
    )


def _tokens(issued: users.Issued, request: Request, response: Response) -> TokensOut:
    """Both tokens in JSON; for the dashboard, the refresh token as its cookie instead."""
    refresh_token: str | None = issued.refresh_token
    if cookies.wants_cookie(request):
        cookies.set_refresh(response, issued.refresh_token)
        refresh_token = None
    return TokensOut(
        access_token=issued.access_token,
        refresh_token=refresh_token,
        expires_in=issued.expires_in,
        session_id=issued.session_id,
    )


async def _claims(runtime: RuntimeDep, credentials: Bearer) -> AccessClaims:
    if credentials is None:
        raise Unauthorized("Sign in first (Authorization: Bearer <access token>).")
    return await user_claims(runtime, credentials.credentials)


@router.post("/signup", status_code=status.HTTP_202_ACCEPTED, dependencies=[throttled("signup")])
async def signup(
    data: SignupIn, request: Request, runtime: RuntimeDep, background: BackgroundTasks
) -> dict[str, str]:
    """Start a workspace: a bad password or field is answered at once (422); otherwise the
    answer is the same whether or not the email has an account — a link to finish signing up
    is emailed, or, to an existing account, a reminder to sign in. Nothing is created yet."""
    origins = [data.website.rstrip("/")] if data.website else []
    users.check_signup(
        business_name=data.business_name, email=data.email, password=data.password, allowed_origins=origins
    )
    background.add_task(
        flows.email_signup_link,
        runtime.db,
        runtime.mailer,
        runtime.settings.secret_key,
        base=runtime.settings.public_base(str(request.base_url)),
        business_name=data.business_name,
        email=data.email,
        password=data.password,
        name=data.name,
        allowed_origins=origins,
    )
    return {"status": "Check your email: we sent a link to finish creating your account."}


@router.post(
    "/signup/confirm",
    response_model=SignupOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[throttled("signup")],
)
async def confirm_signup(
    data: SignupConfirmIn, request: Request, response: Response, runtime: RuntimeDep
) -> SignupOut:
    """The emailed sign-up link, with the password chosen when signing up (401 otherwise):
    creates the workspace (tenant) with its owner, a secret key, a widget key and a default
    configuration; the owner is signed in. The keys are shown only in this answer; the link
    works once (24 hours)."""
    done = await flows.signup(
        runtime.db,
        runtime.settings.secret_key,
        token=data.token,
        password=data.password,
        client=_client(request),
    )
    return SignupOut(
        **_tokens(done.issued, request, response).model_dump(),
        tenant_id=done.tenant.id,
        secret_key=done.secret_key,
        publishable_key=done.publishable_key,
    )


@router.post("/login", response_model=TokensOut, dependencies=[throttled("login")])
async def login(data: LoginIn, request: Request, response: Response, runtime: RuntimeDep) -> TokensOut:
    """Email and password → an access token (15 min) and a refresh token. Repeated failures make
    the address and the account wait between attempts (429 with Retry-After, doubling); the
    owner is emailed a link to sign in at once."""
    issued = await flows.login(
        runtime.db,
        runtime.settings.secret_key,
        email=data.email,
        password=data.password,
        tenant_id=data.tenant_id,
        client=_client(request),
        throttle=_throttle(runtime),
        on_throttled=flows.unlock_notice(runtime.settings.public_base(str(request.base_url))),
    )
    return _tokens(issued, request, response)


@router.post("/refresh", response_model=TokensOut)
async def refresh(
    request: Request, response: Response, runtime: RuntimeDep, data: RefreshIn | None = None
) -> TokensOut:
    """A refresh token is single use. Presenting one again revokes its whole session. The
    dashboard sends none: its cookie is read (same-origin requests with its header only)."""
    token = data.refresh_token if data is not None else None
    if token is None:
        token = cookies.refresh_from_cookie(request, runtime.settings.public_url)
    issued = await flows.refresh(runtime.db, runtime.cache, runtime.settings.secret_key, refresh_token=token)
    return _tokens(issued, request, response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(runtime: RuntimeDep, credentials: Bearer) -> Response:
    """Revokes this session; the dashboard's refresh cookie is cleared."""
    claims = await _claims(runtime, credentials)
    await flows.revoke_session(
        runtime.db,
        runtime.cache,
        user_id=claims.user_id,
        session_id=claims.session_id,
        reason="logout",
        actor=f"user:{claims.user_id}",
    )
    signed_out = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.clear_refresh(signed_out)
    return signed_out


@router.get("/me", response_model=MeOut)
async def me(runtime: RuntimeDep, credentials: Bearer) -> MeOut:
    claims = await _claims(runtime, credentials)
    found = await flows.me(runtime.db, claims)
    return MeOut(
        id=found.user.id,
        email=found.user.email,
        name=found.user.name,
        tenant_id=found.tenant.id if found.tenant else None,
        tenant_name=found.tenant.name if found.tenant else None,
        role=found.role,
        platform_role=found.user.platform_role,
        permissions=found.permissions,
    )


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(runtime: RuntimeDep, credentials: Bearer) -> list[SessionOut]:
    """The signed-in devices of this user."""
    claims = await _claims(runtime, credentials)
    return [
        SessionOut.model_validate(s).model_copy(update={"current": s.id == claims.session_id})
        for s in await flows.list_sessions(runtime.db, claims.user_id)
    ]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_session(session_id: uuid.UUID, runtime: RuntimeDep, credentials: Bearer) -> Response:
    """Sign a device out; its tokens stop working at once."""
    claims = await _claims(runtime, credentials)
    await flows.revoke_session(
        runtime.db,
        runtime.cache,
        user_id=claims.user_id,
        session_id=session_id,
        reason="session_revoked",
        actor=f"user:{claims.user_id}",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password/forgot", status_code=status.HTTP_202_ACCEPTED, dependencies=[throttled("password")])
async def forgot_password(
    data: ForgotIn, request: Request, runtime: RuntimeDep, background: BackgroundTasks
) -> dict[str, str]:
    """Email a reset link (valid one hour). The answer, and its timing, are the same whether or
    not the account exists: the lookup and the email happen after the answer is sent."""
    background.add_task(
        flows.email_reset_link,
        runtime.db,
        runtime.mailer,
        base=runtime.settings.public_base(str(request.base_url)),
        email=data.email,
    )
    return {"status": "If this email has an account, a reset link is on its way."}


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT, dependencies=[throttled("password")])
async def reset_password(data: ResetIn, runtime: RuntimeDep) -> Response:
    """Set a new password with the emailed token; every session of the account is signed out."""
    await flows.reset_password(runtime.db, runtime.cache, token=data.token, password=data.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/unlock", status_code=status.HTTP_204_NO_CONTENT, dependencies=[throttled("unlock")])
async def unlock(data: UnlockIn, request: Request, runtime: RuntimeDep) -> Response:
    """The emailed unlock link (single use, one hour): sign-ins to the account stop waiting."""
    await flows.unlock(runtime.db, _throttle(runtime), token=data.token, client=_client(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept", response_model=TokensOut, dependencies=[throttled("invitation")])
async def accept_invitation(
    data: AcceptInvitationIn, request: Request, response: Response, runtime: RuntimeDep
) -> TokensOut:
    """Join a team: creates the account (or, for an existing one, checks its password)."""
    issued = await flows.accept_invitation(
        runtime.db,
        runtime.settings.secret_key,
        token=data.token,
        password=data.password,
        name=data.name,
        client=_client(request),
        throttle=_throttle(runtime),
    )
    return _tokens(issued, request, response)
