"""Rate limits (moving window, per tenant and per visitor session) and monthly message quotas."""

from __future__ import annotations

import uuid
from datetime import datetime

from limits import RateLimitItemPerMinute
from sqlalchemy import func, select

from frontdesk.billing.plans import Plan
from frontdesk.billing.service import UPGRADE_URL
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.ratelimit import RateLimiter
from frontdesk.models import Message

VISITOR_IP_SESSIONS = 3  # one address may chat as fast as this many sessions (shared offices, NAT)


class QuotaExceeded(FrontdeskError):
    status, code, title = 402, "quota_exceeded", "Monthly message quota reached"


class ChatLimiter:
    def __init__(self, redis_url: str | None) -> None:
        self.limiter = RateLimiter(redis_url)

    async def check(
        self,
        tenant_id: uuid.UUID,
        session_key: str,
        plan: Plan,
        session_per_minute: int | None,
        visitor_ip: str | None = None,
    ) -> None:
        """Per session, per visitor IP (browser channels: a visitor can mint session ids at
        will, not addresses) and per tenant."""
        per_session = min(plan.session_per_minute, session_per_minute or plan.session_per_minute)
        await self.limiter.hit(RateLimitItemPerMinute(per_session), "session", str(tenant_id), session_key)
        if visitor_ip:
            per_ip = RateLimitItemPerMinute(per_session * VISITOR_IP_SESSIONS)
            await self.limiter.hit(per_ip, "visitor_ip", str(tenant_id), visitor_ip)
        await self.limiter.hit(RateLimitItemPerMinute(plan.tenant_per_minute), "tenant", str(tenant_id))


class QuotaCounter:
    """Visitor messages per tenant per billing period (the subscription's, else the calendar
    month): a cache counter seeded from the database. The key carries the tenant's config
    generation, which every billing change bumps: after a change the counter is recounted from
    the database, never carried over from an earlier period's key."""

    def __init__(self, db: Database, cache: Cache) -> None:
        self.db = db
        self.cache = cache

    @staticmethod
    def _key(tenant_id: uuid.UUID, since: datetime, generation: int) -> str:
        return f"quota:{tenant_id}:{int(since.timestamp())}:{generation}"

    async def used(self, tenant_id: uuid.UUID, since: datetime, generation: int) -> int:
        raw = await self.cache.get(self._key(tenant_id, since, generation))
        if raw is not None:
            return int(raw)
        async with unit_of_work(self.db, tenant_id=tenant_id, read_only=True) as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.role == "user", Message.created_at >= since)
            )
        await self.cache.add(self._key(tenant_id, since, generation), str(count or 0).encode(), 40 * 86400)
        return int(count or 0)

    async def check(self, tenant_id: uuid.UUID, plan: Plan, since: datetime, generation: int) -> None:
        if plan.monthly_messages is None:
            return
        if await self.used(tenant_id, since, generation) >= plan.monthly_messages:
            raise QuotaExceeded(
                f"The {plan.title} plan includes {plan.monthly_messages:,} messages per billing period "
                "and they are used up. Upgrade the plan under Billing to continue now.",
                extra={
                    "limit": "monthly_messages",
                    "quota": plan.monthly_messages,
                    "plan": plan.name,
                    "upgrade_url": UPGRADE_URL,
                },
            )

    async def count(self, tenant_id: uuid.UUID, since: datetime, generation: int) -> None:
        await self.cache.incr(self._key(tenant_id, since, generation), ttl=40 * 86400)
