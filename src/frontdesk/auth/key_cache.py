"""Resolve an API key to what authorization needs, without a database round trip at
steady state.

Two layers: an in-process dict (L1) and, when Redis is configured, Redis (L2) shared by
every process. Revocation writes a tombstone to L2 and drops L1 here; other processes
hold L1 entries for at most ``local_ttl`` (1 s with Redis), so a revoked key stops
working within a second everywhere and at once in the revoking process.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select, update

from frontdesk.auth.keys import hash_key
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.cache import Cache
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey, Tenant

NEGATIVE_TTL = 10.0
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeySnapshot:
    key_id: str
    tenant_id: str
    type: str
    scopes: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    expires_at: float | None  # unix seconds
    revoked: bool
    tenant_suspended: bool

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()

    def dumps(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def loads(cls, raw: bytes) -> KeySnapshot:
        data = json.loads(raw)
        data["scopes"] = tuple(data["scopes"])
        data["allowed_origins"] = tuple(data["allowed_origins"])
        return cls(**data)

    @classmethod
    def of(cls, key: ApiKey, tenant: Tenant) -> KeySnapshot:
        return cls(
            key_id=str(key.id),
            tenant_id=str(key.tenant_id),
            type=key.type,
            scopes=tuple(key.scopes),
            allowed_origins=tuple(key.allowed_origins),
            expires_at=key.expires_at.timestamp() if key.expires_at else None,
            revoked=key.revoked_at is not None,
            tenant_suspended=tenant.suspended_at is not None,
        )


class KeyResolver:
    def __init__(self, db: Database, shared: Cache | None, *, local_ttl: float, shared_ttl: float) -> None:
        self.db = db
        self.shared = shared
        self.local_ttl = local_ttl
        self.shared_ttl = shared_ttl
        self._local: dict[str, tuple[float, KeySnapshot | None]] = {}
        self._touched: dict[str, datetime] = {}
        self.db_lookups = 0  # observable in tests and metrics

    async def resolve(self, plaintext: str) -> KeySnapshot | None:
        digest = hash_key(plaintext)
        hit = self._local.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        snapshot, ttl = await self._from_shared(digest)
        if ttl is None:
            snapshot = await self._from_database(digest)
            ttl = self.shared_ttl if snapshot else NEGATIVE_TTL
            if self.shared is not None:
                await self.shared.set(self._shared_key(digest), snapshot.dumps() if snapshot else b"", ttl)
        self._remember(digest, snapshot, ttl)
        return snapshot

    async def invalidate(self, digests: list[str], *, revoked: bool) -> None:
        """Drop cached entries; for a revoked key leave a tombstone so no stale copy returns."""
        for digest in digests:
            self._local.pop(digest, None)
            if self.shared is None:
                continue
            if revoked:
                raw = await self.shared.get(self._shared_key(digest))
                if raw:
                    tomb = KeySnapshot.loads(raw)
                    tomb = KeySnapshot(**{**asdict(tomb), "revoked": True})
                    await self.shared.set(self._shared_key(digest), tomb.dumps(), self.shared_ttl)
                    continue
            await self.shared.delete(self._shared_key(digest))

    def touch(self, key_id: str) -> None:
        self._touched[key_id] = utcnow()

    async def flush_last_used(self) -> int:
        """Write buffered last-used times in one short transaction (periodic)."""
        touched, self._touched = self._touched, {}
        if not touched:
            return 0
        async with unit_of_work(self.db, admin=("system:auth", "record key last use")) as session:
            for key_id, when in touched.items():
                await session.execute(
                    update(ApiKey).where(ApiKey.id == uuid.UUID(key_id)).values(last_used_at=when)
                )
        return len(touched)

    def _remember(self, digest: str, snapshot: KeySnapshot | None, ttl: float) -> None:
        if len(self._local) > 50_000:
            self._local.clear()
        self._local[digest] = (time.monotonic() + min(ttl, self.local_ttl), snapshot)

    @staticmethod
    def _shared_key(digest: str) -> str:
        return f"apikey:{digest}"

    async def _from_shared(self, digest: str) -> tuple[KeySnapshot | None, float | None]:
        if self.shared is None:
            return None, None
        raw = await self.shared.get(self._shared_key(digest))
        if raw is None:
            return None, None
        return (KeySnapshot.loads(raw) if raw else None), self.local_ttl

    async def _from_database(self, digest: str) -> KeySnapshot | None:
        self.db_lookups += 1
        async with unit_of_work(self.db, admin=("system:auth", "api key lookup")) as session:
            row = (
                await session.execute(select(ApiKey, Tenant).join(Tenant).where(ApiKey.key_hash == digest))
            ).first()
        return KeySnapshot.of(row[0], row[1]) if row else None
