"""Factories: create tenants and keys through the real services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontdesk.auth import service as key_service
from frontdesk.auth.schemas import ApiKeyCreate
from frontdesk.db.session import unit_of_work
from frontdesk.runtime import Runtime
from frontdesk.tenants import service as tenant_service
from frontdesk.tenants.schemas import TenantCreate


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
