"""Users and their sessions, without HTTP: signup, sign-in with lockout, rotating refresh
tokens with reuse detection, sign-out, password reset, platform admins. Functions take the
caller's session and never commit; ``auth.flows`` runs them in transactions and does what
waits for the commit (cache marks, backoff resets, emails).

Users, sessions and tokens are platform-level rows: this module reads and writes them in
audited admin scopes (on PostgreSQL, RLS lets a tenant's transaction see only its members).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import ValidationError
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from frontdesk.auth import audit, passwords
from frontdesk.auth import service as key_service
from frontdesk.auth.permissions import ROLE_PERMISSIONS
from frontdesk.auth.schemas import ApiKeyCreate
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import (
    ACCESS_TTL,
    REFRESH_TTL,
    AccessClaims,
    issue_access,
    new_opaque_token,
    token_digest,
)
from frontdesk.db.tenancy import admin_scope, of_tenant, use_tenant
from frontdesk.kit.errors import Conflict, Forbidden, FrontdeskError, NotFound, Unauthorized, Unprocessable
from frontdesk.kit.time import utcnow
from frontdesk.models import AuthSession, Membership, OneTimeToken, RefreshToken, Tenant, User
from frontdesk.tenants import bot_config
from frontdesk.tenants import service as tenants
from frontdesk.tenants.bot_config import BotConfigIn
from frontdesk.tenants.schemas import TenantCreate

RESET_TTL = timedelta(hours=1)
UNLOCK_TTL = timedelta(hours=1)
SYSTEM = "system:auth"


class WeakPassword(FrontdeskError):
    status, code, title = 422, "weak_password", "Password too weak"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, email: str) -> None:
    problems = passwords.policy_problems(password, email=email)
    if problems:
        raise WeakPassword("The password needs " + ", ".join(problems) + ".", extra={"problems": problems})


async def _audit_account(
    session: AsyncSession, user: User, action: str, client: Client, **details: Any
) -> None:
    """An account event on the audit log of the user's first workspace (the platform's if none)."""
    memberships = await _memberships(session, user.id)
    audit.record(
        session,
        actor=_actor(user),
        action=action,
        ip=client.ip,
        tenant_id=memberships[0].tenant_id if memberships else None,
        **details,
    )


async def _unspent_token(
    session: AsyncSession, token: str, purpose: str, now: datetime, invalid: Unauthorized
) -> OneTimeToken:
    """The emailed one-time token for ``purpose``, unused and unexpired (``invalid`` otherwise);
    ``claim`` spends it."""
    row = await session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == token_digest(token), OneTimeToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise invalid
    return row


async def claim(
    session: AsyncSession,
    stamp: InstrumentedAttribute[datetime | None],
    row_id: uuid.UUID,
    now: datetime,
    *also: ColumnElement[bool],
) -> bool:
    """Spend a one-time row: ``UPDATE … SET <stamp> = now WHERE id = … AND <stamp> IS NULL``.
    True for exactly one of any number of concurrent callers, on SQLite (writes serialize, and the
    condition is evaluated under the write lock) as on PostgreSQL (the row lock makes the losers
    re-check the condition after the winner commits); a read-then-write would let them all in."""
    model = stamp.class_
    result = await session.execute(
        update(model)
        .where(model.id == row_id, stamp.is_(None), *also)
        .values({stamp.key: now})
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def revoked_key(session_id: uuid.UUID) -> str:
    """Cache marker of a revoked session: its access tokens stop before they expire."""
    return f"auth:revoked:{session_id}"


@dataclass(frozen=True)
class Issued:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    role: str | None
    platform_role: str | None


@dataclass(frozen=True)
class Client:
    """Where a request came from, for sessions and the audit log."""

    ip: str = ""
    user_agent: str = ""


async def _check_not_suspended(session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
    if tenant_id is None:
        return
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None or tenant.suspended_at is not None:
        raise Forbidden("This account is suspended.")


def _actor(user: User) -> str:
    return f"user:{user.id} {user.email}"


async def _user_by_email(session: AsyncSession, email: str, *, lock: bool = False) -> User | None:
    query = select(User).where(User.email == normalize_email(email))
    return await session.scalar(query.with_for_update() if lock else query)


async def _memberships(session: AsyncSession, user_id: uuid.UUID) -> list[Membership]:
    rows = await session.scalars(
        select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at)
    )
    return list(rows.all())


async def start_session(
    session: AsyncSession, secret_key: str, user: User, membership: Membership | None, client: Client
) -> Issued:
    auth_session = AuthSession(
        user_id=user.id,
        tenant_id=membership.tenant_id if membership else None,
        user_agent=client.user_agent[:300],
        ip=client.ip[:64],
        last_used_at=utcnow(),
        expires_at=utcnow() + REFRESH_TTL,
    )
    session.add(auth_session)
    await session.flush()
    return await _issue(session, secret_key, user, membership, auth_session)


async def _issue(
    session: AsyncSession,
    secret_key: str,
    user: User,
    membership: Membership | None,
    auth_session: AuthSession,
) -> Issued:
    refresh = new_opaque_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=token_digest(refresh)))
    await session.flush()
    claims = AccessClaims(
        user_id=user.id,
        session_id=auth_session.id,
        tenant_id=membership.tenant_id if membership else None,
        role=membership.role if membership else None,
        platform_role=user.platform_role,
    )
    return Issued(
        access_token=issue_access(secret_key, claims),
        refresh_token=refresh,
        expires_in=int(ACCESS_TTL.total_seconds()),
        session_id=auth_session.id,
        user_id=user.id,
        tenant_id=claims.tenant_id,
        role=claims.role,
        platform_role=claims.platform_role,
    )


# --- signup and platform admins ------------------------------------------------------------


@dataclass(frozen=True)
class SignedUp:
    issued: Issued
    tenant: Tenant
    secret_key: str
    publishable_key: str | None


SIGNUP_TTL = timedelta(hours=24)
_INVALID_SIGNUP = "This sign-up link is invalid or has expired: sign up again."


def _signup_box(secret_key: str) -> Fernet:
    """Encrypts the pending sign-up in its emailed link (it carries a password hash)."""
    key = hmac.new(secret_key.encode(), b"frontdesk-signup-v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def check_signup(*, business_name: str, email: str, password: str, allowed_origins: list[str]) -> None:
    """What is wrong with a sign-up, whoever owns the email (422): the answer must not depend
    on whether the address has an account."""
    email = normalize_email(email)
    check_password(password, email)
    try:  # what the request schema let through must also fit the tenant and the key (e.g. "İ" lowercases longer)
        TenantCreate(name=business_name, email=email)
        if allowed_origins:
            ApiKeyCreate(name="Website widget", type="publishable", allowed_origins=allowed_origins)
    except ValidationError as error:
        first = error.errors()[0]
        raise Unprocessable(f"{first['loc'][-1] if first['loc'] else 'input'}: {first['msg']}") from None


async def has_account(session: AsyncSession, email: str) -> bool:
    return await _user_by_email(session, email) is not None


def seal_signup(
    secret_key: str,
    *,
    business_name: str,
    email: str,
    password_hash: str,
    name: str,
    allowed_origins: list[str],
) -> str:
    """The pending sign-up, sealed for its confirmation link (nothing is stored until then)."""
    pending = {
        "business_name": business_name,
        "email": normalize_email(email),
        "password_hash": password_hash,
        "name": name,
        "allowed_origins": allowed_origins,
    }
    return _signup_box(secret_key).encrypt(json.dumps(pending).encode()).decode()


@dataclass(frozen=True)
class PendingSignup:
    business_name: str
    email: str
    name: str
    password_hash: str
    allowed_origins: list[str]


async def open_signup(secret_key: str, *, token: str, password: str) -> PendingSignup:
    """The sign-up sealed in an emailed link, with the password chosen when signing up (asked
    again so that whoever signed up someone else's address with a password of their own cannot
    have the owner of that address create the account for them by opening the link)."""
    try:
        raw = _signup_box(secret_key).decrypt(token.encode(), ttl=int(SIGNUP_TTL.total_seconds()))
        pending = json.loads(raw)
        opened = PendingSignup(
            business_name=str(pending["business_name"]),
            email=str(pending["email"]),
            name=str(pending["name"]),
            password_hash=str(pending["password_hash"]),
            allowed_origins=[str(o) for o in pending["allowed_origins"]],
        )
    except (InvalidToken, ValueError, KeyError, TypeError):
        raise Unauthorized(_INVALID_SIGNUP) from None
    if not await passwords.verify_async(opened.password_hash, password):
        raise Unauthorized("This is not the password chosen when signing up.")
    return opened


def signup_used() -> Conflict:
    return Conflict("This sign-up link was already used: sign in instead.")


async def create_workspace(
    session: AsyncSession, secret_key: str, pending: PendingSignup, client: Client
) -> SignedUp:
    """A new tenant with its owner, a secret key, a publishable key (with the site's origin) and
    a default configuration; the owner is signed in. The session starts unscoped and ends in
    the new tenant. A concurrent use of the same link fails on the unique email."""
    tenant_data = TenantCreate(name=pending.business_name, email=pending.email)
    widget_key = (
        ApiKeyCreate(name="Website widget", type="publishable", allowed_origins=pending.allowed_origins)
        if pending.allowed_origins
        else None
    )
    async with admin_scope(session, actor=SYSTEM, reason="self-serve signup"):
        if await _user_by_email(session, pending.email) is not None:
            raise signup_used()
        tenant = await tenants.create_tenant(session, tenant_data)
        user = User(email=pending.email, name=pending.name, password_hash=pending.password_hash)
        session.add(user)
        await session.flush()  # a concurrent use of the same link stops here (unique email)
    await use_tenant(session, tenant.id)  # the rest of the transaction is the new tenant's
    membership = Membership(user_id=user.id, role="owner")
    session.add(membership)
    await bot_config.save(session, BotConfigIn(business_name=pending.business_name), api_key_sent=False)
    _, secret = await key_service.create_key(session, ApiKeyCreate(name="Default secret key"))
    publishable = None
    if widget_key is not None:  # the widget key needs the site's origin; it can be added later
        _, publishable = await key_service.create_key(session, widget_key)
    audit.record(
        session,
        actor=_actor(user),
        action="tenant.signup",
        target=f"tenant:{tenant.id}",
        ip=client.ip,
    )
    await session.flush()
    async with admin_scope(session, actor=SYSTEM, reason="signup session"):
        issued = await start_session(session, secret_key, user, membership, client)
    return SignedUp(issued, tenant, secret, publishable)


async def add_platform_user(
    session: AsyncSession, *, email: str, password: str, role: str, name: str
) -> User:
    """A platform admin or support account (admin scope; the password is checked already)."""
    if await _user_by_email(session, email) is not None:
        # never promote an existing account: anyone can sign up with a future staff address
        raise Conflict("An account with this email already exists: use another address for staff.")
    user = User(
        email=normalize_email(email),
        name=name,
        password_hash=passwords.hash_password(password),
        platform_role=role,
    )
    session.add(user)
    await session.flush()
    audit.record(session, actor="system:cli", action="admin.create", target=_actor(user), role=role)
    return user


# --- sign in, refresh, sign out ------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A password check's outcome: tokens, or the failure to raise once the transaction that
    counted it committed (with the account's id when it just started waiting: its owner is
    emailed an unlock link)."""

    issued: Issued | None = None
    failure: FrontdeskError | None = None
    throttled: uuid.UUID | None = None


async def sign_in(
    session: AsyncSession,
    secret_key: str,
    *,
    email: str,
    password: str,
    tenant_id: uuid.UUID | None,
    client: Client,
    throttle: SignInThrottle,
) -> Attempt:
    """Wrong password and unknown email answer alike (same status, body, and one argon2 check
    each); repeated failures slow down the address and the account (``auth.throttle``). Admin
    scope."""
    email = normalize_email(email)
    user = await _user_by_email(session, email, lock=True)  # concurrent guesses count one by one
    await throttle.check(client.ip, email)  # under that lock: a burst cannot skip the count
    right = await passwords.verify_async(user.password_hash if user else passwords.DUMMY_HASH, password)
    if user is None or not right:
        throttled = await throttle.failed(client.ip, email) and user is not None
        if user is not None:
            user.failed_logins += 1
            await _audit_account(session, user, "auth.login_failed", client, throttled=throttled)
        return Attempt(
            failure=Unauthorized("Wrong email or password."),
            throttled=user.id if user and throttled else None,
        )
    memberships = await _memberships(session, user.id)
    membership = _pick(memberships, tenant_id)
    if membership is None and not user.platform_role:
        raise Unauthorized("This account has no access to that workspace.")
    await _check_not_suspended(session, membership.tenant_id if membership else None)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, utcnow()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    issued = await start_session(session, secret_key, user, membership, client)
    audit.record(
        session,
        actor=_actor(user),
        action="auth.login",
        tenant_id=membership.tenant_id if membership else None,
        ip=client.ip,
    )
    return Attempt(issued=issued)


async def unlock_token(session: AsyncSession, user_id: uuid.UUID) -> tuple[str, str] | None:
    """(email, token) of a new unlock link for the account (None if it is gone)."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    return user.email, _one_time_token(session, user, "unlock", UNLOCK_TTL)


def _one_time_token(session: AsyncSession, user: User, purpose: str, ttl: timedelta) -> str:
    token = new_opaque_token()
    session.add(
        OneTimeToken(
            user_id=user.id, purpose=purpose, token_hash=token_digest(token), expires_at=utcnow() + ttl
        )
    )
    return token


async def spend_unlock(session: AsyncSession, *, token: str, client: Client) -> User:
    """Spend an emailed unlock token (once); the caller clears the account's backoff."""
    now = utcnow()
    invalid = Unauthorized("This unlock link is invalid, used or expired.")
    row = await _unspent_token(session, token, "unlock", now, invalid)
    if not await claim(session, OneTimeToken.used_at, row.id, now):
        raise invalid
    user = await session.get(User, row.user_id)
    assert user is not None
    await _audit_account(session, user, "auth.unlocked", client)
    return user


def _pick(memberships: list[Membership], tenant_id: uuid.UUID | None) -> Membership | None:
    if tenant_id is None:
        return memberships[0] if memberships else None
    return {m.tenant_id: m for m in memberships}.get(tenant_id)  # one membership per tenant


@dataclass(frozen=True)
class Rotation:
    """New tokens, or the session revoked on the way (a spent refresh token presented again)."""

    issued: Issued | None = None
    revoked: uuid.UUID | None = None


async def rotate(session: AsyncSession, secret_key: str, *, refresh_token: str) -> Rotation:
    """A new access token and a new refresh token; the old refresh token is spent. Presenting
    a spent one again means it was copied: the whole session is revoked."""
    now = utcnow()
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)).with_for_update()
    )
    auth_session = await session.get(AuthSession, token.session_id) if token else None
    if token is None or auth_session is None:
        raise Unauthorized("Invalid refresh token: sign in again.")
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise Unauthorized("This session has ended: sign in again.")
    user = await session.get(User, auth_session.user_id)
    assert user is not None
    if token.rotated_at is not None or not await claim(session, RefreshToken.rotated_at, token.id, now):
        auth_session.revoked_at, auth_session.revoked_reason = now, "refresh_token_reuse"
        audit.record(
            session,
            actor=_actor(user),
            action="auth.refresh_reuse",
            tenant_id=auth_session.tenant_id,
            target=f"session:{auth_session.id}",
        )
        return Rotation(revoked=auth_session.id)
    membership = None
    if auth_session.tenant_id is not None:
        membership = await session.scalar(
            select(Membership).where(
                Membership.user_id == user.id, of_tenant(Membership.tenant_id, auth_session.tenant_id)
            )
        )
        if membership is None:
            auth_session.revoked_at, auth_session.revoked_reason = now, "membership_removed"
            return Rotation(revoked=auth_session.id)
    await _check_not_suspended(session, auth_session.tenant_id)
    auth_session.last_used_at = now
    return Rotation(issued=await _issue(session, secret_key, user, membership, auth_session))


REVOKED_MARK_SECONDS = 20 * 60.0  # longer than an access token lives


async def end_session(
    session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID, reason: str, actor: str
) -> None:
    """Revoke one of the user's sessions (the caller marks it revoked in the cache)."""
    auth_session = await session.get(AuthSession, session_id)
    if auth_session is None or auth_session.user_id != user_id:
        raise NotFound("No such session.")
    if auth_session.revoked_at is None:
        auth_session.revoked_at, auth_session.revoked_reason = utcnow(), reason
    audit.record(
        session,
        actor=actor,
        action=f"auth.{reason}",
        tenant_id=auth_session.tenant_id,
        target=f"session:{session_id}",
    )


async def list_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    rows = await session.scalars(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
        .order_by(AuthSession.last_used_at.desc())
    )
    return list(rows.all())


@dataclass(frozen=True)
class Me:
    user: User
    tenant: Tenant | None
    role: str | None
    permissions: list[str]


async def me(session: AsyncSession, claims: AccessClaims) -> Me:
    user = await session.get(User, claims.user_id)
    tenant = await session.get(Tenant, claims.tenant_id) if claims.tenant_id else None
    if user is None:
        raise Unauthorized("This account no longer exists.")
    permissions = sorted(ROLE_PERMISSIONS.get(claims.role or "", frozenset()))
    return Me(user, tenant, claims.role, permissions)


# --- passwords ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountChange:
    """The changed account, or the failure to raise once the transaction that counted it
    committed; the other sessions a new password signed out."""

    user: User
    failure: FrontdeskError | None = None
    throttled: bool = False
    revoked: list[uuid.UUID] = field(default_factory=list)


async def change_account(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    name: str | None,
    current_password: str | None,
    new_password: str | None,
    client: Client,
    throttle: SignInThrottle,
    tenant_id: uuid.UUID | None = None,
) -> AccountChange:
    """Change one's name and/or password; a new password needs the current one (checked like a
    sign-in: counted, and slowed down after repeated failures) and signs out every other device."""
    now = utcnow()
    revoked: list[uuid.UUID] = []
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("This account no longer exists.")
    if new_password is not None:
        await throttle.check(client.ip, user.email)
        if not current_password or not await passwords.verify_async(user.password_hash, current_password):
            throttled = await throttle.failed(client.ip, user.email)
            user.failed_logins += 1
            audit.record(
                session,
                actor=_actor(user),
                action="auth.password_check_failed",
                ip=client.ip,
                tenant_id=tenant_id,
            )
            await session.flush()
            return AccountChange(user, Unauthorized("The current password is wrong."), throttled)
        check_password(new_password, user.email)
        user.password_hash, user.password_changed_at = passwords.hash_password(new_password), now
        revoked = [s for s in await _revoke_all(session, user.id, "password_changed", now) if s != session_id]
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id)
            .values(revoked_at=None, revoked_reason=None)
        )
        audit.record(
            session,
            actor=_actor(user),
            action="auth.password_changed",
            ip=client.ip,
            tenant_id=tenant_id,
        )
    if name is not None:
        user.name = name
    await session.flush()
    return AccountChange(user, revoked=revoked)


async def reset_token(session: AsyncSession, email: str) -> tuple[User, str] | None:
    """A reset token for the account, or None when there is no such account (the caller
    answers the same either way)."""
    user = await _user_by_email(session, email)
    if user is None:
        return None
    token = _one_time_token(session, user, "password_reset", RESET_TTL)
    audit.record(session, actor=_actor(user), action="auth.password_reset_requested")
    return user, token


async def reset_password(session: AsyncSession, *, token: str, password: str) -> tuple[User, list[uuid.UUID]]:
    """Set a new password with a reset token; every session of the user is revoked (returned,
    for the caller to mark in the cache after the commit)."""
    now = utcnow()
    invalid = Unauthorized("This reset link is invalid or has expired: ask for a new one.")
    row = await _unspent_token(session, token, "password_reset", now, invalid)
    user = await session.get(User, row.user_id)
    assert user is not None
    check_password(password, user.email)
    password_hash = await asyncio.to_thread(passwords.hash_password, password)
    if not await claim(session, OneTimeToken.used_at, row.id, now):
        raise invalid  # spent by a concurrent request a moment ago
    user.password_hash, user.password_changed_at = password_hash, now
    user.failed_logins, user.locked_until = 0, None
    revoked = await _revoke_all(session, user.id, "password_reset", now)
    audit.record(session, actor=_actor(user), action="auth.password_reset")
    return user, revoked


async def end_workspace_sessions(
    session: AsyncSession, *, user_id: uuid.UUID, tenant_id: uuid.UUID, reason: str
) -> list[uuid.UUID]:
    """Revoke a user's sessions in one workspace (their role there changed or they were removed)."""
    ids = list(
        (
            await session.scalars(
                select(AuthSession.id).where(
                    AuthSession.user_id == user_id,
                    of_tenant(AuthSession.tenant_id, tenant_id),
                    AuthSession.revoked_at.is_(None),
                )
            )
        ).all()
    )
    if ids:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id.in_(ids))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )
    return ids


async def _revoke_all(
    session: AsyncSession, user_id: uuid.UUID, reason: str, now: datetime
) -> list[uuid.UUID]:
    ids = list(
        (
            await session.scalars(
                select(AuthSession.id).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            )
        ).all()
    )
    if ids:
        await session.execute(
            update(AuthSession).where(AuthSession.id.in_(ids)).values(revoked_at=now, revoked_reason=reason)
        )
    return ids
