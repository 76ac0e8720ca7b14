"""Account work that ends in an email: sign-up and reset links, run after the answer is sent
(its timing must not tell whether an account exists), and invitations, sent by a job once the
transaction that made them committed."""

from __future__ import annotations

import uuid
from typing import Literal

from frontdesk.auth import emails, team, users
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.mail import Mailer

InvitationMail = Literal["invitation", "new_workspace"]


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
    to sign in (or reset its password)."""
    token = await users.request_signup(
        db,
        secret_key,
        business_name=business_name,
        email=email,
        password=password,
        name=name,
        allowed_origins=allowed_origins,
    )
    to = users.normalize_email(email)
    await mailer.send(
        emails.confirm_signup(to=to, link=f"{base}/signup/?token={token}")
        if token
        else emails.already_registered(to=to, login=f"{base}/login/", reset=f"{base}/forgot-password/")
    )


async def email_reset_link(db: Database, mailer: Mailer, *, base: str, email: str) -> None:
    found = await users.request_password_reset(db, email)
    if found is not None:
        user, token = found
        await mailer.send(emails.password_reset(to=user.email, link=f"{base}/reset-password?token={token}"))


async def email_invitation(
    db: Database,
    mailer: Mailer,
    tenant_id: uuid.UUID,
    invitation_id: uuid.UUID,
    *,
    base: str,
    kind: InvitationMail,
) -> bool:
    """Mail a pending invitation its link: the token is made here, stored as its digest, and
    committed before the email leaves (so the job's payload holds no token). False when the
    invitation was accepted, revoked or expired before the job ran."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        link = await team.new_link(session, invitation_id)
    if link is None:
        return False
    url = f"{base}/accept-invitation?token={link.token}"
    await mailer.send(
        emails.new_workspace(to=link.email, business=link.business, link=url)
        if kind == "new_workspace"
        else emails.invitation(to=link.email, business=link.business, role=link.role, link=url)
    )
    return True
