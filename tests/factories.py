"""Factories: create tenants and keys through the real services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from frontdesk.auth import service as key_service
from frontdesk.auth.schemas import ApiKeyCreate
from frontdesk.db.session import unit_of_work
from frontdesk.kit.mail import MemoryMailer
from frontdesk.runtime import Runtime
from frontdesk.tenants import service as tenant_service
from frontdesk.tenants.schemas import TenantCreate
from tests.knowledge.jobs import settle


@dataclass
class TenantWithKey:
    id: uuid.UUID
    name: str
    key: str
    key_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def create_tenant(runtime: Runtime, name: str = "Acme", email: str | None = None) -> uuid.UUID:
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    async with unit_of_work(runtime.db, admin=("tests", "factory")) as session:
        tenant = await tenant_service.create_tenant(session, TenantCreate(name=name, email=email))
        return tenant.id


async def create_key(runtime: Runtime, tenant_id: uuid.UUID, **fields: object) -> tuple[uuid.UUID, str]:
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        key, plaintext = await key_service.create_key(session, ApiKeyCreate(**fields))  # type: ignore[arg-type]
        return key.id, plaintext


async def tenant_with_key(runtime: Runtime, name: str = "Acme", **key_fields: object) -> TenantWithKey:
    tenant_id = await create_tenant(runtime, name)
    key_id, key = await create_key(runtime, tenant_id, **key_fields)
    return TenantWithKey(tenant_id, name, key, key_id)


@dataclass
class Account:
    """A signed-up workspace and its owner, or a member who joined it."""

    tenant_id: uuid.UUID
    email: str
    password: str
    access_token: str
    refresh_token: str
    secret_key: str = ""
    publishable_key: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


PASSWORD = "correct horse battery"


async def signup(client: httpx.AsyncClient, business: str = "Acme", **fields: str) -> Account:
    """Sign up the way a person does: the form, then the link from the email."""
    email = fields.pop("email", f"owner-{uuid.uuid4().hex[:8]}@example.com")
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]  # the ASGI app's
    if not isinstance(runtime.mailer, MemoryMailer):  # the sign-up link arrives by email
        runtime.mailer = MemoryMailer()
    r = await client.post(
        "/api/v1/auth/signup",
        json={"business_name": business, "email": email, "password": PASSWORD, **fields},
    )
    assert r.status_code == 202, r.text
    r = await client.post(
        "/api/v1/auth/signup/confirm",
        json={"token": await emailed_token(runtime, email, "token="), "password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return Account(
        uuid.UUID(body["tenant_id"]),
        email,
        PASSWORD,
        body["access_token"],
        body["refresh_token"],
        body["secret_key"],
        body["publishable_key"] or "",
    )


async def join(client: httpx.AsyncClient, runtime: Runtime, owner: Account, role: str) -> Account:
    """Invite someone with ``role`` and accept the emailed invitation."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": role}
    )
    assert r.status_code == 201, r.text
    token = await emailed_token(runtime, email, "token=")
    r = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD, "name": role.title()}
    )
    assert r.status_code == 200, r.text
    return Account(owner.tenant_id, email, PASSWORD, r.json()["access_token"], r.json()["refresh_token"])


async def emailed_token(runtime: Runtime, to: str, marker: str) -> str:
    """The token in the last email to ``to`` (once the jobs that send mail have run)."""
    await settle(runtime)
    mail = [m for m in runtime.mailer.sent if m.to == to][-1]  # type: ignore[attr-defined]
    return mail.body.split(marker, 1)[1].split()[0]
