"""Outgoing email behind one small interface: the log in development, SMTP for real use.

Tests install a ``MemoryMailer`` on the runtime and read what was sent.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import structlog

log = structlog.get_logger()


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class LogMailer:
    """No SMTP host. In development the email (with its link) is printed to the log instead of
    being sent; otherwise only that an email was dropped: a reset or invitation link in a log
    would let whoever reads the logs take over the account."""

    def __init__(self, *, show_body: bool) -> None:
        self.show_body = show_body

    async def send(self, mail: Mail) -> None:
        if self.show_body:
            log.info("mail.logged", to=mail.to, subject=mail.subject, body=mail.body)
        else:
            log.warning("mail.not_sent", to=mail.to, subject=mail.subject, hint="set FRONTDESK_SMTP_HOST")


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, user: str | None, password: str | None) -> None:
        self.host, self.port, self.sender, self.user, self.password = host, port, sender, user, password

    def _send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.port != 25:
                smtp.starttls()
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send, mail)
