"""Numbers for the dashboards: one tenant's (a tenant session) and the platform's (admin)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.time import utcnow
from frontdesk.models import Conversation, CrispDelivery, CrispEvent, Lead, Message, Tenant


class DayCount(BaseModel):
    day: date
    messages: int


class PlatformStats(BaseModel):
    tenants: int
    suspended_tenants: int
    messages_per_day: list[DayCount]  # visitor messages, oldest first, every day present
    leads: int
    failed_deliveries: int
    skipped_events: int


async def _messages_per_day(session: AsyncSession, days: int) -> list[DayCount]:
    """Visitor messages per UTC day, oldest first, every day present (zeros included)."""
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day = func.date(Message.created_at)
    rows = await session.execute(
        select(day, func.count()).where(Message.role == "user", Message.created_at >= since).group_by(day)
    )
    counts = {str(d): int(n) for d, n in rows.all()}
    first = since.date()
    return [
        DayCount(day=first + timedelta(days=i), messages=counts.get(str(first + timedelta(days=i)), 0))
        for i in range(days)
    ]


class NamedCount(BaseModel):
    name: str
    count: int


class TenantStats(BaseModel):
    messages_per_day: list[DayCount]
    conversations: int
    handoffs: int  # conversations waiting for a person now
    leads: int
    leads_by_status: list[NamedCount]
    top_intents: list[NamedCount]  # of visitor messages in the period


async def tenant_stats(session: AsyncSession, *, days: int) -> TenantStats:
    since = utcnow() - timedelta(days=days)
    by_status = await session.execute(select(Lead.status, func.count()).group_by(Lead.status))
    intents = await session.execute(
        select(Message.intent, func.count())
        .where(Message.role == "user", Message.intent.is_not(None), Message.created_at >= since)
        .group_by(Message.intent)
        .order_by(func.count().desc())
        .limit(8)
    )
    statuses = [NamedCount(name=s, count=int(n)) for s, n in by_status.all()]
    return TenantStats(
        messages_per_day=await _messages_per_day(session, days),
        conversations=int(await session.scalar(select(func.count()).select_from(Conversation)) or 0),
        handoffs=int(
            await session.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.status == "handoff")
            )
            or 0
        ),
        leads=sum(s.count for s in statuses),
        leads_by_status=statuses,
        top_intents=[NamedCount(name=str(i), count=int(n)) for i, n in intents.all()],
    )


async def platform_stats(session: AsyncSession, *, days: int) -> PlatformStats:
    series = await _messages_per_day(session, days)

    async def count(query: object) -> int:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]

    return PlatformStats(
        tenants=await count(select(func.count()).select_from(Tenant)),
        suspended_tenants=await count(
            select(func.count()).select_from(Tenant).where(Tenant.suspended_at.is_not(None))
        ),
        messages_per_day=series,
        leads=await count(select(func.count()).select_from(Lead)),
        failed_deliveries=await count(
            select(func.count()).select_from(CrispDelivery).where(CrispDelivery.status == "failed")
        ),
        skipped_events=await count(
            select(func.count()).select_from(CrispEvent).where(CrispEvent.status == "skipped")
        ),
    )
