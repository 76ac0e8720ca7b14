"""A tenant's team: members and their roles, invitations by email. Tenant-scoped sessions."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit, passwords, users
from frontdesk.auth.throttle import SignInThrottle
from frontdesk.auth.tokens import invitation_token, new_opaque_token, token_digest
from frontdesk.billing import service as billing
from frontdesk.db.tenancy import of_tenant
from frontdesk.kit.errors import Conflict, Forbidden, NotFound, Unauthorized
from frontdesk.kit.time import utcnow
from frontdesk.models import Invitation, Membership, Tenant, User

INVITATION_TTL = timedelta(days=7)


class AlreadyAccepted(Conflict):
    code, title = "invitation_used", "Invitation already accepted"

    def __init__(self) -> None:
        super().__init__("This invitation has already been accepted: sign in instead.")


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    joined_at: object


async def list_members(session: AsyncSession) -> list[Member]:
    rows = await session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id).order_by(Membership.created_at)
    )
    return [Member(u.id, u.email, u.name, m.role, m.created_at) for m, u in rows.all()]


async def list_invitations(session: AsyncSession) -> list[Invitation]:
    rows = await session.scalars(
        select(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    )
    return list(rows.all())


async def invite(
    session: AsyncSession, *, email: str, role: str, by_role: str, by_user: uuid.UUID | None, actor: str
) -> Invitation:
    """A pending invitation. Its link's token is made by ``new_link`` when the email is sent
    (until then no token opens it)."""
    email = users.normalize_email(email)
    if role == "owner" and by_role != "owner":
        raise Forbidden("Only an owner can invite another owner.")
    members = await list_members(session)
    if any(m.email == email for m in members):
        raise Conflict("This person is already a member of the team.")
    await billing.check_seat(session)
    invitation = Invitation(
        email=email,
        role=role,
        token_hash=_unopenable(),
        invited_by=by_user,
        expires_at=utcnow() + INVITATION_TTL,
    )
    session.add(invitation)
    await session.flush()
    audit.record(session, actor=actor, action="team.invite", target=email, role=role)
    return invitation


def _unopenable() -> str:
    """The digest of a token nobody keeps: the row is unique, and no link opens it yet."""
    return token_digest(new_opaque_token())


@dataclass(frozen=True)
class Link:
    """What an invitation's email needs: the token is in the link only, never stored."""

    email: str
    role: str
    business: str
    token: str


async def new_link(session: AsyncSession, invitation_id: uuid.UUID, secret_key: str) -> Link | None:
    """The link token of a pending invitation of the session's tenant, stored as its digest (the
    same token each time: mailing it twice sends the same valid link), or None when it was
    accepted, revoked or expired meanwhile."""
    found = (
        await session.execute(
            select(Invitation, Tenant.name)
            .join(Tenant)
            .where(
                Invitation.id == invitation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
    ).first()
    if found is None:
        return None
    invitation, business = found
    token = invitation_token(secret_key, invitation.id)
    invitation.token_hash = token_digest(token)
    await session.flush()
    return Link(invitation.email, invitation.role, business, token)


async def revoke_invitation(
    session: AsyncSession, *, invitation_id: uuid.UUID, actor: str, ip: str | None = None
) -> None:
    """Revoke a pending invitation of this tenant (another tenant's, or one already accepted,
    is not found)."""
    invitation = await session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.accepted_at.is_(None))
    )
    if invitation is None:
        raise NotFound("No such pending invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.invitation_revoked",
        target=invitation.email,
        ip=ip,
        invitation=str(invitation.id),
    )


async def invite_owner(session: AsyncSession, tenant_id: uuid.UUID, *, email: str, actor: str) -> Invitation:
    """The owner invitation of a tenant a platform admin just created (admin scope: the tenant
    is explicit); its link is made by ``new_link`` when the email is sent."""
    invitation = Invitation(
        tenant_id=tenant_id,
        email=users.normalize_email(email),
        role="owner",
        token_hash=_unopenable(),
        invited_by=None,
        expires_at=utcnow() + INVITATION_TTL,
    )
    session.add(invitation)
    audit.record(session, actor=actor, action="team.invite", tenant_id=tenant_id, target=email, role="owner")
    await session.flush()
    return invitation


async def _membership(session: AsyncSession, user_id: uuid.UUID) -> Membership:
    membership = await session.scalar(select(Membership).where(Membership.user_id == user_id))
    if membership is None:
        raise NotFound("No such team member.")
    return membership


async def _owners(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Membership).where(Membership.role == "owner"))
        or 0
    )


async def change_role(
    session: AsyncSession, *, user_id: uuid.UUID, role: str, by_role: str, actor: str
) -> Membership:
    membership = await _membership(session, user_id)
    if "owner" in (role, membership.role) and by_role != "owner":
        raise Forbidden("Only an owner can make or unmake an owner.")
    if membership.role == "owner" and role != "owner" and await _owners(session) == 1:
        raise Conflict("The team needs at least one owner: make someone else owner first.")
    previous, membership.role = membership.role, role
    await session.flush()
    audit.record(
        session, actor=actor, action="team.role", target=f"user:{user_id}", previous=previous, role=role
    )
    return membership


async def remove(session: AsyncSession, *, user_id: uuid.UUID, by_role: str, actor: str) -> None:
    membership = await _membership(session, user_id)
    if membership.role == "owner":
        if by_role != "owner":
            raise Forbidden("Only an owner can remove an owner.")
        if await _owners(session) == 1:
            raise Conflict("The team needs at least one owner.")
    await session.delete(membership)
    await session.flush()
    audit.record(session, actor=actor, action="team.remove", target=f"user:{user_id}")


async def accept(
    session: AsyncSession,
    secret_key: str,
    *,
    token: str,
    password: str,
    name: str,
    client: users.Client,
    throttle: SignInThrottle,
) -> users.Issued:
    """Join the team of an invitation: a new account, or an existing one proving its password
    (admin scope: the invitation names its tenant)."""
    now = utcnow()
    invitation = await session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token)))
    if invitation is None or invitation.revoked_at or invitation.expires_at <= now:
        raise Unauthorized("This invitation is invalid, used or expired: ask for a new one.")
    if invitation.accepted_at:
        raise AlreadyAccepted()
    user = await session.scalar(select(User).where(User.email == invitation.email))
    if user is None:
        users.check_password(password, invitation.email)
        password_hash = await asyncio.to_thread(passwords.hash_password, password)
    else:  # the account's password, checked like a sign-in (counted, slowed down)
        await throttle.check(client.ip, user.email)
        if not await passwords.verify_async(user.password_hash, password):
            await throttle.failed(client.ip, user.email)
            raise Unauthorized("This email already has an account: enter its password to join.")
    # spend it now (the slow password work is done): of concurrent accepts exactly one gets
    # past this line; a revocation that landed meanwhile also stops it
    if not await users.claim(
        session, Invitation.accepted_at, invitation.id, now, Invitation.revoked_at.is_(None)
    ):
        raise AlreadyAccepted()
    if user is None:
        user = User(email=invitation.email, name=name, password_hash=password_hash)
        session.add(user)
        await session.flush()
    exists = await session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, of_tenant(Membership.tenant_id, invitation.tenant_id)
        )
    )
    membership = exists or Membership(tenant_id=invitation.tenant_id, user_id=user.id, role=invitation.role)
    if exists is None:
        session.add(membership)
    await session.flush()
    audit.record(
        session,
        actor=f"user:{user.id} {user.email}",
        action="team.join",
        tenant_id=invitation.tenant_id,
        role=membership.role,
        ip=client.ip,
    )
    return await users.start_session(session, secret_key, user, membership, client)
