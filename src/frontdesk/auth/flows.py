"""Account work in transactions, with what must wait for the commit: revoked sessions marked in
the cache, a backoff cleared, an email sent. ``auth.users`` and ``auth.team`` do the work in
the session each transaction here gives them.

Sign-up and reset links are emailed after the answer is sent (its timing must not tell whether
an account exists); invitations by a job, once the transaction that made them committed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import emails, passwords, team, users
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import AccessClaims
from frontdesk.db.after_commit import after_commit
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.jobs.enqueue import enqueue_after_commit, send
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import Unauthorized
from frontdesk.kit.mail import Mailer
from frontdesk.models import AuthSession, Invitation, User

SYSTEM = users.SYSTEM
InvitationMail = Literal["invitation", "new_workspace"]
UnlockNotice = Callable[[uuid.UUID], Awaitable[None]]
SEND_INVITATION = "frontdesk.auth.send_invitation"  # the jobs (auth/tasks.py), sent by name
SEND_UNLOCK_LINK = "frontdesk.auth.send_unlock_link"
log = structlog.get_logger()
"""Called with an account's id once it starts waiting (after the commit): email the owner an
unlock link (``unlock_notice``)."""


async def _mark_revoked(cache: Cache, session_ids: Iterable[uuid.UUID]) -> None:
    """Revoked sessions' access tokens stop before they expire."""
    for session_id in session_ids:
        await cache.set(users.revoked_key(session_id), b"1", users.REVOKED_MARK_SECONDS)


# --- sign-up ----------------------------------------------------------------------------------


async def email_signup_link(
    db: Database,
    mailer: Mailer,
    secret_key: str,
    *,
    base: str,
    business_name: str,
    email: str,
    password: str,
    name: str,
    allowed_origins: list[str],
) -> None:
    """A new address gets the link that creates its workspace; an existing account a reminder
    to sign in (or reset its password). Runs after the answer."""
    to = users.normalize_email(email)
    password_hash = await asyncio.to_thread(passwords.hash_password, password)  # both ways alike
    async with unit_of_work(db, admin=(SYSTEM, "signup request"), read_only=True) as session:
        registered = await users.has_account(session, to)
    if registered:
        await mailer.send(
            emails.already_registered(to=to, login=f"{base}/login/", reset=f"{base}/forgot-password/")
        )
        return
    token = users.seal_signup(
        secret_key,
        business_name=business_name,
        email=to,
        password_hash=password_hash,
        name=name,
        allowed_origins=allowed_origins,
    )
    await mailer.send(emails.confirm_signup(to=to, link=f"{base}/signup/?token={token}"))


async def signup(
    db: Database, secret_key: str, *, token: str, password: str, client: users.Client
) -> users.SignedUp:
    """The confirmed sign-up (its emailed link, with the password chosen when signing up): the
    workspace, its owner, keys and configuration in one transaction; the owner is signed in."""
    pending = await users.open_signup(secret_key, token=token, password=password)
    try:
        async with unit_of_work(db) as session:
            return await users.create_workspace(session, secret_key, pending, client)
    except IntegrityError:
        raise users.signup_used() from None


async def create_platform_user(db: Database, *, email: str, password: str, role: str, name: str = "") -> User:
    email = users.normalize_email(email)
    users.check_password(password, email)
    async with unit_of_work(db, admin=(SYSTEM, "create platform user")) as session:
        return await users.add_platform_user(session, email=email, password=password, role=role, name=name)


# --- sign in, refresh, sign out ---------------------------------------------------------------


async def login(
    db: Database,
    secret_key: str,
    *,
    email: str,
    password: str,
    tenant_id: uuid.UUID | None,
    client: users.Client,
    throttle: SignInThrottle,
    on_throttled: UnlockNotice | None = None,
) -> users.Issued:
    """A failed attempt is counted (committed) before it is answered; the owner of an account
    that starts waiting is emailed an unlock link."""
    async with unit_of_work(db, admin=(SYSTEM, "sign in")) as session:
        attempt = await users.sign_in(
            session,
            secret_key,
            email=email,
            password=password,
            tenant_id=tenant_id,
            client=client,
            throttle=throttle,
        )
    if attempt.failure is not None:
        if attempt.throttled is not None and on_throttled is not None:
            await on_throttled(attempt.throttled)
        raise attempt.failure
    assert attempt.issued is not None
    await throttle.clear_account(users.normalize_email(email))
    return attempt.issued


async def unlock(db: Database, throttle: SignInThrottle, *, token: str, client: users.Client) -> None:
    """The emailed unlock link (once): the account's sign-ins stop waiting (the address's own
    backoff stays)."""
    async with unit_of_work(db, admin=(SYSTEM, "unlock")) as session:
        user = await users.spend_unlock(session, token=token, client=client)
    # the account only: an attacker holding an unlock link for an account of their own must not
    # reset the backoff of the address they guess other people's passwords from
    await throttle.clear_account(user.email)


async def refresh(db: Database, cache: Cache, secret_key: str, *, refresh_token: str) -> users.Issued:
    async with unit_of_work(db, admin=(SYSTEM, "refresh")) as session:
        rotation = await users.rotate(session, secret_key, refresh_token=refresh_token)
    if rotation.revoked is not None:
        await _mark_revoked(cache, [rotation.revoked])
        raise Unauthorized("This session was revoked: sign in again.")
    assert rotation.issued is not None
    return rotation.issued


async def revoke_session(
    db: Database, cache: Cache, *, user_id: uuid.UUID, session_id: uuid.UUID, reason: str, actor: str
) -> None:
    async with unit_of_work(db, admin=(SYSTEM, "revoke session")) as session:
        await users.end_session(session, user_id=user_id, session_id=session_id, reason=reason, actor=actor)
    await _mark_revoked(cache, [session_id])


async def revoke_tenant_sessions(
    db: Database, cache: Cache, *, user_id: uuid.UUID, tenant_id: uuid.UUID, reason: str
) -> None:
    """Sign a user out of one workspace (their role there changed or they were removed)."""
    async with unit_of_work(db, admin=(SYSTEM, "revoke workspace sessions")) as session:
        ids = await users.end_workspace_sessions(session, user_id=user_id, tenant_id=tenant_id, reason=reason)
    await _mark_revoked(cache, ids)


async def list_sessions(db: Database, user_id: uuid.UUID) -> list[AuthSession]:
    async with unit_of_work(db, admin=(SYSTEM, "list sessions"), read_only=True) as session:
        return await users.list_sessions(session, user_id)


async def me(db: Database, claims: AccessClaims) -> users.Me:
    async with unit_of_work(db, admin=(SYSTEM, "me"), read_only=True) as session:
        return await users.me(session, claims)


# --- passwords --------------------------------------------------------------------------------


async def update_account(
    db: Database,
    cache: Cache,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    name: str | None,
    current_password: str | None,
    new_password: str | None,
    client: users.Client,
    throttle: SignInThrottle,
    on_throttled: UnlockNotice | None = None,
    tenant_id: uuid.UUID | None = None,
) -> User:
    async with unit_of_work(db, admin=(SYSTEM, "update account")) as session:
        change = await users.change_account(
            session,
            user_id=user_id,
            session_id=session_id,
            name=name,
            current_password=current_password,
            new_password=new_password,
            client=client,
            throttle=throttle,
            tenant_id=tenant_id,
        )
    if change.failure is not None:
        if change.throttled and on_throttled is not None:
            await on_throttled(change.user.id)
        raise change.failure
    await _mark_revoked(cache, change.revoked)
    return change.user


async def email_reset_link(db: Database, mailer: Mailer, *, base: str, email: str) -> None:
    """Runs after the answer: a reset link for an account, nothing for an unknown address."""
    async with unit_of_work(db, admin=(SYSTEM, "password reset request")) as session:
        found = await users.reset_token(session, email)
    if found is not None:
        user, token = found
        await mailer.send(emails.password_reset(to=user.email, link=f"{base}/reset-password?token={token}"))


async def email_unlock_link(db: Database, mailer: Mailer, user_id: uuid.UUID, *, base: str) -> bool:
    """An account started waiting between sign-ins: email its owner a link (valid one hour,
    once) to sign in at once. The token is made here, not carried by the job."""
    async with unit_of_work(db, admin=(SYSTEM, "unlock link")) as session:
        found = await users.unlock_token(session, user_id)
    if found is None:
        return False
    email, token = found
    await mailer.send(emails.unlock(to=email, link=f"{base}/unlock?token={token}"))
    return True


async def reset_password(db: Database, cache: Cache, *, token: str, password: str) -> None:
    """Every session of the account is signed out, and its sign-ins stop waiting."""
    async with unit_of_work(db, admin=(SYSTEM, "password reset")) as session:
        user, revoked = await users.reset_password(session, token=token, password=password)
    await _mark_revoked(cache, revoked)
    await SignInThrottle(cache).clear_account(user.email)  # the new password works at once


# --- invitations ------------------------------------------------------------------------------


async def accept_invitation(
    db: Database,
    secret_key: str,
    *,
    token: str,
    password: str,
    name: str,
    client: users.Client,
    throttle: SignInThrottle,
) -> users.Issued:
    async with unit_of_work(db, admin=(SYSTEM, "accept invitation")) as session:
        return await team.accept(
            session, secret_key, token=token, password=password, name=name, client=client, throttle=throttle
        )


async def email_invitation(
    db: Database,
    mailer: Mailer,
    tenant_id: uuid.UUID,
    invitation_id: uuid.UUID,
    *,
    base: str,
    kind: InvitationMail,
    secret_key: str,
) -> bool:
    """Mail a pending invitation its link: the token is made here, stored as its digest, and
    committed before the email leaves (so the job's payload holds no token); a second run mails
    the same link. False when the invitation was accepted, revoked or expired before the job ran."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        link = await team.new_link(session, invitation_id, secret_key)
    if link is None:
        return False
    url = f"{base}/accept-invitation?token={link.token}"
    await mailer.send(
        emails.new_workspace(to=link.email, business=link.business, link=url)
        if kind == "new_workspace"
        else emails.invitation(to=link.email, business=link.business, role=link.role, link=url)
    )
    return True


def send_invitation_after_commit(
    session: AsyncSession, invitation: Invitation, *, base: str, kind: InvitationMail
) -> None:
    """The invitation's email goes out only if the transaction that made it commits."""
    enqueue_after_commit(session, SEND_INVITATION, str(invitation.tenant_id), str(invitation.id), base, kind)


def unlock_notice(base: str) -> UnlockNotice:
    """What a sign-in flow calls, after its commit, when an account starts waiting."""

    async def notify(user_id: uuid.UUID) -> None:
        try:
            await send(SEND_UNLOCK_LINK, str(user_id), base)
        except Exception:  # the answer (401) must not depend on the queue; the owner can reset instead
            log.exception("auth.unlock_notice_failed", user_id=str(user_id))

    return notify


def sign_out_after_commit(
    session: AsyncSession, db: Database, cache: Cache, user_id: uuid.UUID, tenant_id: uuid.UUID, reason: str
) -> None:
    """Once the role change or removal commits, end the member's sessions in that workspace."""

    async def sign_out() -> None:
        await revoke_tenant_sessions(db, cache, user_id=user_id, tenant_id=tenant_id, reason=reason)

    after_commit(session, sign_out)
