"""Usage metering: visitor messages per billing period, reported to Stripe's Billing Meter.

Counted exactly once: the count is the messages table itself (one row per visitor message in
the period), never an in-memory counter. Reported exactly once, in two steps:
1. ``plan_reports`` writes an outbox row for what is counted but not yet reported. Its
   identifier is (tenant, period, messages already reported): two jobs racing compute the same
   identifier and the unique constraint keeps one row.
2. ``send_due`` claims due rows and sends each as a meter event whose ``identifier`` and
   idempotency key are the row's identifier, so a retry after a lost response is recognised
   by Stripe; the row is marked sent only after Stripe answered, and retried with backoff.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select, update

from frontdesk.billing import plans
from frontdesk.billing.gateway import StripeFailure, StripeGateway
from frontdesk.billing.plans import Plan
from frontdesk.billing.service import LIVE, messages_between
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.db.upsert import insert_for
from frontdesk.kit.ids import new_id
from frontdesk.kit.time import utcnow
from frontdesk.models import BillingAccount, UsageReport

log = structlog.get_logger()
ACTOR = ("system:billing", "usage metering")
TAIL = timedelta(hours=1)  # messages at the end of a period are still reported this long after it
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)


def _metered_plan(account: BillingAccount, now: datetime) -> Plan | None:
    """The plan whose meter counts this account's messages: a live subscription's, or a
    cancelled one's until its last period's tail is reported."""
    if account.comped or not account.plan or not plans.exists(account.plan):
        return None
    ended_recently = (
        account.status == "canceled"
        and account.current_period_end is not None
        and account.current_period_end > now - TAIL
    )
    if account.status not in LIVE and not ended_recently:
        return None
    plan = plans.plan_for(account.plan)
    return plan if plan.meter_event else None


async def plan_reports(db: Database, now: datetime | None = None) -> int:
    """Outbox rows for every metered subscription's unreported messages; returns how many."""
    now = now or utcnow()
    async with unit_of_work(db, admin=ACTOR, read_only=True) as session:
        accounts = (
            await session.scalars(
                select(BillingAccount).where(
                    BillingAccount.stripe_customer_id.is_not(None),
                    BillingAccount.current_period_start.is_not(None),
                    BillingAccount.current_period_end.is_not(None),
                )
            )
        ).all()
        recent = (
            await session.execute(
                select(UsageReport.tenant_id, UsageReport.period_start, UsageReport.period_end)
                .where(UsageReport.period_end > now - TAIL, UsageReport.period_end <= now)
                .distinct()
            )
        ).all()
    reported: dict[uuid.UUID, list[tuple[datetime, datetime]]] = {}  # the recent periods, per tenant
    for owner, start, end in recent:
        reported.setdefault(owner, []).append((start, end))
    created = 0
    for account in accounts:
        plan = _metered_plan(account, now)
        if plan is None or plan.meter_event is None:
            continue
        customer, current = account.stripe_customer_id, account.current_period_start
        assert customer is not None and current is not None and account.current_period_end is not None
        periods = {current: (account.current_period_end, min(now, account.current_period_end))}
        for start, end in reported.get(account.tenant_id, []):
            if start != current:
                # the tail of an earlier period, never past the start of the current one (a new
                # subscription or a reset anchor counts those messages itself)
                periods[start] = (end, min(end, current) if current > start else end)
        for start, (end, until) in periods.items():
            created += await _report_period(
                db, account.tenant_id, customer, plan.meter_event, start, end, until, now
            )
    return created


async def _report_period(
    db: Database,
    tenant_id: uuid.UUID,
    customer: str,
    event_name: str,
    start: datetime,
    end: datetime,
    until: datetime,
    now: datetime,
) -> int:
    """One outbox row for the messages of [start, until) not yet in a report of that period
    (reports Stripe refused for good count as reported: sending them again would fail again)."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        counted = await messages_between(session, start, until)
        reported = int(
            await session.scalar(
                select(func.coalesce(func.sum(UsageReport.quantity), 0)).where(
                    UsageReport.period_start == start
                )
            )
            or 0
        )
        if counted <= reported:
            return 0
        insert = insert_for(session)
        made = await session.scalar(
            insert(UsageReport)
            .values(
                id=new_id(),
                tenant_id=tenant_id,
                period_start=start,
                period_end=end,
                identifier=f"fd-{tenant_id.hex}-{int(start.timestamp())}-{reported}",
                event_name=event_name,
                stripe_customer_id=customer,
                quantity=counted - reported,
                # the meter event belongs to the period it counts
                timestamp=min(int(now.timestamp()), int(end.timestamp()) - 1),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["identifier"])
            .returning(UsageReport.id)
        )
    return 1 if made else 0


async def send_due(db: Database, gateway: StripeGateway, now: datetime | None = None) -> int:
    """Send what is due; returns how many Stripe accepted."""
    now = now or utcnow()
    async with unit_of_work(db, admin=ACTOR) as session:
        rows = (
            await session.scalars(
                select(UsageReport)
                .where(UsageReport.status == "pending", UsageReport.next_attempt_at <= now)
                .order_by(UsageReport.created_at)
                .limit(200)
                .with_for_update(skip_locked=True)
            )
        ).all()
        claimed = [
            (r.id, r.identifier, r.event_name, r.stripe_customer_id, r.quantity, r.timestamp, r.attempts + 1)
            for r in rows
        ]
        for row in rows:  # a lease: another job does not send these meanwhile
            row.attempts += 1
            row.next_attempt_at = now + LEASE
    sent = 0
    for report_id, identifier, event_name, customer, quantity, timestamp, attempts in claimed:
        values: dict[str, object]
        try:
            await gateway.report_usage(
                event_name=event_name,
                customer=customer,
                value=quantity,
                identifier=identifier,
                timestamp=timestamp,
            )
            values = {"status": "sent", "sent_at": utcnow(), "last_error": None}
            sent += 1
        except StripeFailure as error:
            # an outage is retried until it ends (backoff up to an hour); a refusal is final
            status = error.extra.get("stripe_status")
            transient = status is None or status in (409, 429) or status >= 500
            values = {
                "status": "pending" if transient else "failed",
                "last_error": error.detail[:2000],
                "next_attempt_at": utcnow() + min(FIRST_RETRY * 2 ** min(attempts - 1, 10), MAX_RETRY),
            }
            logger = log.warning if transient else log.error
            logger(
                "billing.usage_report_failed", identifier=identifier, attempts=attempts, error=error.detail
            )
        async with unit_of_work(db, admin=ACTOR) as session:
            await session.execute(update(UsageReport).where(UsageReport.id == report_id).values(**values))
    return sent


async def report_usage(db: Database, gateway: StripeGateway) -> tuple[int, int]:
    """The periodic job: (reports planned, reports sent)."""
    if not gateway.enabled:
        return 0, 0
    return await plan_reports(db), await send_due(db, gateway)
