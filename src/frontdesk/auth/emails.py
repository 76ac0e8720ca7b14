"""The emails of accounts and teams: their text, with every tenant-chosen value made safe.

A business name is tenant input: it goes into subjects and bodies only through ``display_name``
(control and format characters dropped — newlines, CR, NUL, bidi overrides — whitespace
collapsed, length bounded), so it can neither add header lines nor forge lines in the body."""

from __future__ import annotations

import unicodedata

from frontdesk.kit.mail import Mail

NAME_LIMIT = 80


def display_name(text: str, limit: int = NAME_LIMIT) -> str:
    """One line of printable text, at most ``limit`` characters (… when cut)."""
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn")
    )
    line = " ".join(kept.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line or "a Frontdesk workspace"


def invitation(*, to: str, business: str, role: str, link: str) -> Mail:
    name = display_name(business)
    return Mail(
        to=to,
        subject=f"You are invited to {name} on Frontdesk",
        body=f"Join {name} as {role}:\n{link}\n",
    )


def new_workspace(*, to: str, business: str, link: str) -> Mail:
    name = display_name(business)
    return Mail(
        to=to,
        subject=f"Your Frontdesk workspace {name} is ready",
        body=f"Set your password and sign in as the owner of {name}:\n{link}\n",
    )


def password_reset(*, to: str, link: str) -> Mail:
    return Mail(
        to=to,
        subject="Reset your Frontdesk password",
        body=f"Open this link within an hour to choose a new password:\n{link}\n",
    )


def unlock(*, to: str, link: str) -> Mail:
    return Mail(
        to=to,
        subject="Sign-ins to your Frontdesk account are being slowed down",
        body="Someone (maybe you) entered a wrong password for this account several times, so sign-ins\n"
        "to it now wait a little between attempts. If it was you, open this link (valid one hour,\n"
        "once) to sign in again at once:\n"
        f"{link}\n\n"
        "If it was not you, nothing was changed; consider choosing a new password.\n",
    )


def confirm_signup(*, to: str, link: str) -> Mail:
    return Mail(
        to=to,
        subject="Finish creating your Frontdesk account",
        body=f"Open this link within 24 hours to create your workspace and see its API keys:\n{link}\n\n"
        "If you did not sign up, ignore this email: nothing is created without the link.\n",
    )


def already_registered(*, to: str, login: str, reset: str) -> Mail:
    return Mail(
        to=to,
        subject="You already have a Frontdesk account",
        body="Someone (maybe you) tried to sign up to Frontdesk with this email address, which already\n"
        f"has an account. Sign in here:\n{login}\n\nForgot the password? Choose a new one here:\n{reset}\n\n"
        "If it was not you, you can ignore this email: nothing was changed.\n",
    )
