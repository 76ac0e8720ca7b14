"""Platform-wide numbers for the admin console (admin sessions only)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.time import utcnow
from frontdesk.models import CrispDelivery, CrispEvent, Lead, Message, Tenant


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


async def platform_stats(session: AsyncSession, *, days: int) -> PlatformStats:
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day = func.date(Message.created_at)
    rows = await session.execute(
        select(day, func.count()).where(Message.role == "user", Message.created_at >= since).group_by(day)
    )
    counts = {str(d): int(n) for d, n in rows.all()}
    first = since.date()
    series = [
        DayCount(day=first + timedelta(days=i), messages=counts.get(str(first + timedelta(days=i)), 0))
        for i in range(days)
    ]

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
