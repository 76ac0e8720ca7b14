"""What reaches the log: no reset or invitation links outside development, no password hashes
or other column values in SQL errors or SQL logging."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select, update

from frontdesk.auth import flows
from frontdesk.config import Settings
from frontdesk.db.session import unit_of_work
from frontdesk.kit.mail import LogMailer, Mail
from frontdesk.models import User
from frontdesk.observability.logging import configure_logging
from frontdesk.runtime import make_mailer
from tests import factories

LINK = "https://desk.example.com/reset-password?token=s3cret-reset-token"


async def test_emails_are_logged_whole_only_in_development(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    production = settings.model_copy(update={"env": "production", "public_url": "https://desk.example.com"})
    mailer = make_mailer(production)
    assert isinstance(mailer, LogMailer)
    await mailer.send(Mail(to="a@b.test", subject="Reset your Frontdesk password", body=f"Open:\n{LINK}\n"))
    logged = capsys.readouterr().err
    assert "mail.not_sent" in logged and "a@b.test" in logged and "Reset your Frontdesk password" in logged
    assert "s3cret-reset-token" not in logged
    await make_mailer(settings).send(Mail(to="a@b.test", subject="Reset", body=LINK))  # development
    assert "s3cret-reset-token" in capsys.readouterr().err


async def test_password_hashes_never_reach_a_log_line(
    client: httpx.AsyncClient,
    runtime,
    app,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    owner = await factories.signup(client)
    other = await factories.signup(client)
    async with unit_of_work(runtime.db, admin=("tests", "read hash")) as session:
        password_hash = await session.scalar(select(User.password_hash).where(User.email == owner.email))
    assert password_hash and password_hash.startswith("$argon2")
    # 1. an operator turns on SQL logging: statements, never their values
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    try:
        assert (
            await client.post("/api/v1/auth/login", json={"email": owner.email, "password": owner.password})
        ).status_code == 200
        await flows.create_platform_user(
            runtime.db, email=f"x{other.email}", password="a long password here", role="admin"
        )
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "SELECT" in caplog.text or "INSERT" in caplog.text
    assert "$argon2" not in caplog.text

    # 2. a database error during a request (here: a unique email clash while writing a hash) is
    #    logged by the 500 handler with its statement, never with its parameters
    @app.post("/api/v1/_clash", include_in_schema=False)
    async def clash() -> None:
        async with unit_of_work(runtime.db, admin=("tests", "clash")) as session:
            await session.execute(
                update(User)
                .where(User.email == other.email)
                .values(email=owner.email, password_hash=password_hash)
            )

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.post("/api/v1/_clash")).status_code == 500
    finally:
        app.router.routes[:] = [rt for rt in app.router.routes if getattr(rt, "path", "") != "/api/v1/_clash"]
    logged = capsys.readouterr().err + caplog.text
    assert "request.unhandled_error" in logged and "UPDATE users" in logged
    assert password_hash not in logged and password_hash.split("$")[-1] not in logged
    assert owner.email not in logged.split("request.unhandled_error", 1)[1]
