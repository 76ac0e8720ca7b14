"""An invitation's email is a job enqueued after the commit: no commit, no email."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from frontdesk.auth import flows, team
from frontdesk.db.after_commit import PENDING_KEY
from frontdesk.db.session import unit_of_work
from frontdesk.models import Invitation
from frontdesk.runtime import Runtime
from tests import factories
from tests.knowledge.jobs import settle


@contextmanager
def commits_refused() -> Iterator[None]:
    """A commit that has work waiting for it (the invitation's email job) fails, as when the
    database refuses it at the last moment."""

    def refuse(session: Session) -> None:
        if session.info.get(PENDING_KEY):
            raise RuntimeError("commit refused by the test")

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


async def _invite(client: httpx.AsyncClient, owner: factories.Account, email: str) -> httpx.Response:
    return await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "member"}
    )


async def test_a_failed_commit_sends_no_invitation(app: object, runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = await factories.signup(client)
        email = f"never-{uuid.uuid4().hex[:8]}@example.com"
        with commits_refused():
            assert (await _invite(client, owner, email)).status_code == 500
    await settle(runtime)
    assert [m for m in runtime.mailer.sent if m.to == email] == []  # type: ignore[attr-defined]
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id, read_only=True) as session:
        assert await session.scalar(select(Invitation).where(Invitation.email == email)) is None


async def test_a_committed_invitation_is_emailed_a_link_made_by_the_job(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client)
    email = f"welcome-{uuid.uuid4().hex[:8]}@example.com"
    assert (await _invite(client, owner, email)).status_code == 201
    token = await factories.emailed_token(runtime, email, "token=")
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id, read_only=True) as session:
        invitation = await session.scalar(select(Invitation).where(Invitation.email == email))
    assert invitation is not None
    r = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": factories.PASSWORD, "name": "W"}
    )
    assert r.status_code == 200, r.text


async def test_a_revoked_invitation_is_not_emailed(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """The job makes the link when it runs: an invitation revoked before then gets no email."""
    owner = await factories.signup(client)
    email = f"revoked-{uuid.uuid4().hex[:8]}@example.com"
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id) as session:
        invitation = await team.invite(
            session, email=email, role="member", by_role="owner", by_user=None, actor="tests"
        )
        await team.revoke_invitation(session, invitation_id=invitation.id, actor="tests")
    sent = await flows.email_invitation(
        runtime.db,
        runtime.mailer,
        owner.tenant_id,
        invitation.id,
        base="http://testserver",
        kind="invitation",
        secret_key=runtime.settings.secret_key,
    )
    assert sent is False
    assert [m for m in runtime.mailer.sent if m.to == email] == []  # type: ignore[attr-defined]


async def test_a_second_run_of_the_job_mails_the_same_valid_link(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Jobs are delivered at least once (Redis redelivers an unacknowledged one): a second run of
    the invitation job must not kill the link the first run emailed."""
    owner = await factories.signup(client)
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "member"}
    )
    assert r.status_code == 201
    first = await factories.emailed_token(runtime, email, "token=")
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id, read_only=True) as session:
        invitation = await session.scalar(select(Invitation).where(Invitation.email == email))
    assert invitation is not None
    assert await flows.email_invitation(
        runtime.db,
        runtime.mailer,
        owner.tenant_id,
        invitation.id,
        base="http://testserver",
        kind="invitation",
        secret_key=runtime.settings.secret_key,
    )
    links = [m.body for m in runtime.mailer.sent if m.to == email]  # type: ignore[attr-defined]
    assert len(links) == 2 and all(f"token={first}" in body for body in links)
    r = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": first, "password": factories.PASSWORD, "name": "W"}
    )
    assert r.status_code == 200, r.text
