"""Account work that ends in an email, run after the answer is sent (its timing must not tell
whether an account exists)."""

from __future__ import annotations

from frontdesk.auth import emails, users
from frontdesk.db.engine import Database
from frontdesk.kit.mail import Mailer


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
