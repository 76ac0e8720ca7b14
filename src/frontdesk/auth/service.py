"""API key management for one tenant (the session is tenant-scoped)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.key_cache import KeyResolver
from frontdesk.auth.keys import generate_key
from frontdesk.auth.permissions import default_scopes
from frontdesk.auth.schemas import ApiKeyCreate
from frontdesk.jobs.enqueue import after_commit
from frontdesk.kit.errors import NotFound
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey


async def create_key(session: AsyncSession, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Returns the stored key and its plaintext, which is never stored or shown again."""
    material = generate_key(data.type)
    key = ApiKey(
        name=data.name,
        type=data.type,
        key_prefix=material.prefix,
        key_hash=material.hash,
        scopes=data.scopes if data.scopes is not None else default_scopes(data.type),
        allowed_origins=data.allowed_origins,
        expires_at=data.expires_at,
    )
    session.add(key)
    await session.flush()
    return key, material.plaintext


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all())


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No such API key.")
    return key


async def revoke_key(session: AsyncSession, keys: KeyResolver, key_id: uuid.UUID) -> ApiKey:
    key = await get_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    digest = key.key_hash

    async def invalidate() -> None:
        await keys.invalidate([digest], revoked=True)

    after_commit(session, invalidate)
    return key
