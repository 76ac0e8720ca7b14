"""Billing without HTTP: a tenant's billing account and what it may use. Functions take the
caller's session and never commit; the checkout, the portal and the Billing page's invoices
call Stripe between transactions in ``billing.flows``.

The tenant's ``plan`` and ``subscription_status`` are derived from its billing account by
``apply`` — from Stripe's subscription, or a platform admin's override — and every change
bumps the tenant's config generation so that the chat engine picks up the new limits at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.billing import plans
from frontdesk.billing.plans import FREE, Plan
from frontdesk.billing.standing import Standing, standing
from frontdesk.db.tenancy import current_tenant, of_tenant
from frontdesk.db.upsert import insert_for
from frontdesk.jobs.enqueue import after_commit
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import Conflict, FrontdeskError, NotFound, Unprocessable
from frontdesk.kit.ids import new_id
from frontdesk.kit.time import utcnow
from frontdesk.models import BillingAccount, Invitation, KnowledgeBase, Membership, Message, Tenant

# Stripe subscription statuses that hold a plan (dunning decides what a failed payment allows)
LIVE = frozenset({"trialing", "active", "past_due", "unpaid"})
UPGRADE_URL = "/app/billing/"


class PlanLimit(FrontdeskError):
    status, code, title = 402, "plan_limit", "Plan limit reached"


def limit_reached(limit: str, plan: Plan, allowed: int | None, what: str) -> PlanLimit:
    """The one shape of a plan-limit error: which limit, how much the plan allows, where to upgrade."""
    return PlanLimit(
        f"The {plan.title} plan includes {what}. Upgrade the plan under Billing to add more.",
        extra={"limit": limit, "allowed": allowed, "plan": plan.name, "upgrade_url": UPGRADE_URL},
    )


# --- the account ------------------------------------------------------------------------------


async def load_account(
    session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False
) -> BillingAccount | None:
    query = select(BillingAccount).where(of_tenant(BillingAccount.tenant_id, tenant_id))
    return await session.scalar(query.with_for_update() if lock else query)


async def ensure_account(
    session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False
) -> BillingAccount:
    """The tenant's billing account, created on first use (safe when two requests race)."""
    account = await load_account(session, tenant_id, lock=lock)
    if account is not None:
        return account
    now = utcnow()
    insert = insert_for(session)
    await session.execute(
        insert(BillingAccount)
        .values(id=new_id(), tenant_id=tenant_id, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    account = await load_account(session, tenant_id, lock=lock)
    assert account is not None
    return account


def subscribed_plan(account: BillingAccount) -> str | None:
    if account.status in LIVE and account.plan and plans.exists(account.plan):
        return account.plan
    return None


def effective(account: BillingAccount | None) -> tuple[str, str]:
    """(plan, status) the tenant has: an override wins, then a live subscription, else Free."""
    if account is None:
        return FREE, "active"
    plan = account.plan_override or subscribed_plan(account) or FREE
    if account.comped:
        return plan, "comped"
    return plan, "active" if account.status == "none" else account.status


def apply(
    session: AsyncSession, cache: Cache, tenant: Tenant, account: BillingAccount, *, actor: str
) -> None:
    """Derive the tenant's plan and status from its account; audit a change; let every process
    rebuild the tenant's chat profile (limits, quota period, dunning) after the commit."""
    plan, status = effective(account)
    if (tenant.plan, tenant.subscription_status) != (plan, status):
        audit.record(
            session,
            actor=actor,
            action="billing.changed",
            target=str(tenant.id),
            tenant_id=tenant.id,
            plan=plan,
            status=status,
            previous_plan=tenant.plan,
            previous_status=tenant.subscription_status,
        )
        tenant.plan, tenant.subscription_status = plan, status

    async def bump() -> None:
        await generations.bump(cache, tenant.id, generations.CONFIG)

    after_commit(session, bump)


def standing_of(account: BillingAccount | None, plan: Plan, now: datetime) -> Standing:
    if account is None:
        return Standing(status="active", plan_title=plan.title)
    _, status = effective(account)
    return standing(
        status=status, plan=plan, past_due_since=account.past_due_since, comped=account.comped, now=now
    )


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def usage_period(account: BillingAccount | None, now: datetime) -> tuple[datetime, datetime]:
    """The billing period messages count against: the subscription's, else the calendar month (UTC)."""
    if (
        account is not None
        and account.status in LIVE
        and account.current_period_start is not None
        and account.current_period_end is not None
        and account.current_period_start <= now < account.current_period_end
    ):
        return account.current_period_start, account.current_period_end
    start = month_start(now.astimezone(UTC))
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


# --- usage and limits ---------------------------------------------------------------------------


async def messages_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Visitor messages of the session's tenant in [start, end): the billed unit, each row once."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.role == "user", Message.created_at >= start, Message.created_at < end)
        )
        or 0
    )


async def seats_used(session: AsyncSession) -> int:
    members = await session.scalar(select(func.count()).select_from(Membership))
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return int(members or 0) + int(pending or 0)


async def documents_used(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(KnowledgeBase)) or 0)


async def tenant_plan(session: AsyncSession) -> Plan:
    """The plan of the session's tenant."""
    tenant_id = current_tenant(session)
    tenant = await session.get(Tenant, tenant_id) if tenant_id else None
    return plans.plan_for(tenant.plan if tenant else FREE)


async def check_seat(session: AsyncSession) -> None:
    """Before an invitation: members plus pending invitations stay within the plan's seats.
    The tenant's row is locked so that two invitations at once cannot both take the last seat."""
    await session.execute(select(Tenant.id).with_for_update(key_share=True))
    plan = await tenant_plan(session)
    if plan.seats is not None and await seats_used(session) >= plan.seats:
        raise limit_reached(
            "seats", plan, plan.seats, f"{plan.seats} seats (members and pending invitations)"
        )


async def check_document(session: AsyncSession) -> None:
    plan = await tenant_plan(session)
    if plan.knowledge_documents is not None and await documents_used(session) >= plan.knowledge_documents:
        raise limit_reached(
            "knowledge_documents",
            plan,
            plan.knowledge_documents,
            f"{plan.knowledge_documents} knowledge documents",
        )


def check_plan_channel(plan: Plan, channel: str) -> None:
    if not plan.allows_channel(channel):
        allowed = ", ".join(sorted(plan.channels))
        raise limit_reached("channels", plan, None, f"these channels: {allowed} (not {channel})")


async def check_channel(session: AsyncSession, channel: str) -> None:
    check_plan_channel(await tenant_plan(session), channel)


# --- checkout and portal ------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """The tenant's Stripe customer (``stripe_id`` None until created), and what creating it needs."""

    stripe_id: str | None
    trial_used: bool
    name: str
    email: str


async def customer(session: AsyncSession, tenant_id: uuid.UUID, *, for_checkout: bool) -> Customer:
    """The tenant's Stripe customer as stored; for a checkout, a comped or already subscribed
    workspace is refused (409)."""
    account = await ensure_account(session, tenant_id)
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    if for_checkout and account.comped:
        raise Conflict("This workspace is comped by the platform; ask us to change its plan.")
    if for_checkout and account.stripe_subscription_id and account.status in LIVE:
        raise Conflict(
            f"This workspace already subscribes to the {tenant.plan} plan; "
            "change or cancel it in the billing portal (POST /api/v1/customer/billing/portal).",
            extra={"subscription_status": account.status},
        )
    return Customer(account.stripe_customer_id, account.trial_used, tenant.name, tenant.email)


async def keep_customer(session: AsyncSession, tenant_id: uuid.UUID, created: str) -> Customer:
    """Store a Stripe customer just created, unless a concurrent request stored one first (its
    wins: the account keeps one customer)."""
    account = await ensure_account(session, tenant_id, lock=True)
    account.stripe_customer_id = account.stripe_customer_id or created
    return Customer(account.stripe_customer_id, account.trial_used, "", "")


def purchasable(plan_name: str) -> Plan:
    """The plan a workspace may buy online (422 otherwise)."""
    plan = plans.catalog().get(plan_name)
    if plan is None:
        raise Unprocessable(f"No plan named {plan_name!r}.", extra={"plans": sorted(plans.catalog())})
    if not plan.purchasable:
        raise Unprocessable(f"The {plan.title} plan cannot be bought online; contact us to change to it.")
    return plan


# --- what the Billing page shows ----------------------------------------------------------------


def plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "title": plan.title,
        "price_cents": plan.price_cents,
        "currency": plan.currency,
        "monthly_messages": plan.monthly_messages,
        "knowledge_documents": plan.knowledge_documents,
        "seats": plan.seats,
        "channels": sorted(plan.channels),
        "remove_branding": plan.remove_branding,
        "trial_days": plan.trial_days,
        "purchasable": plan.purchasable,
    }


@dataclass(frozen=True)
class Usage:
    """What the Billing page shows from the database."""

    tenant: Tenant
    account: BillingAccount | None
    plan: Plan
    start: datetime
    end: datetime
    messages: int
    seats: int
    documents: int


async def usage(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> Usage:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    account = await load_account(session, tenant_id)
    start, end = usage_period(account, now)
    return Usage(
        tenant,
        account,
        plans.plan_for(tenant.plan),
        start,
        end,
        await messages_between(session, start, end),
        await seats_used(session),
        await documents_used(session),
    )


def overview(
    found: Usage, now: datetime, *, invoices: list[dict[str, Any]], invoices_error: str | None, enabled: bool
) -> dict[str, Any]:
    """The Billing page: the stored usage with the invoices Stripe listed (or why it could not)."""
    tenant, account, plan = found.tenant, found.account, found.plan
    stand = standing_of(account, plan, now)
    return {
        "plan": plan_out(plan),
        "status": tenant.subscription_status,
        "service": {"level": stand.level(now), "reason": stand.reason(now), "grace_until": stand.grace_until},
        "subscribed": bool(account and account.stripe_subscription_id and account.status in LIVE),
        "period_start": found.start,
        "period_end": found.end,
        "trial_end": account.trial_end if account else None,
        "cancel_at_period_end": bool(account and account.cancel_at_period_end),
        "override": (
            {"plan": account.plan_override, "comped": account.comped, "note": account.override_note}
            if account and (account.plan_override or account.comped)
            else None
        ),
        "usage": {"messages": found.messages, "quota": plan.monthly_messages},
        "seats": {"used": found.seats, "limit": plan.seats},
        "documents": {"used": found.documents, "limit": plan.knowledge_documents},
        "invoices": invoices,
        "invoices_error": invoices_error,
        "plans": [plan_out(p) for p in plans.catalog().values()],
        "billing_enabled": enabled,
    }


def _when(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


def invoice_out(invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": invoice.get("id"),
        "number": invoice.get("number"),
        "status": invoice.get("status"),
        "amount_due": invoice.get("amount_due", 0),
        "amount_paid": invoice.get("amount_paid", 0),
        "currency": invoice.get("currency", "usd"),
        "created": _when(invoice.get("created")),
        "period_start": _when(invoice.get("period_start")),
        "period_end": _when(invoice.get("period_end")),
        "hosted_invoice_url": invoice.get("hosted_invoice_url"),
        "invoice_pdf": invoice.get("invoice_pdf"),
    }


# --- the platform's view ------------------------------------------------------------------------


async def set_override(
    session: AsyncSession,
    cache: Cache,
    tenant_id: uuid.UUID,
    *,
    plan_override: str | None,
    comped: bool,
    note: str | None,
    actor: str,
) -> dict[str, Any]:
    """A platform admin sets a plan by hand (wins over Stripe's) and/or comps the account (no
    payment, no dunning). Admin scope; audited in the tenant's log."""
    if plan_override is not None and not plans.exists(plan_override):
        raise Unprocessable(f"No plan named {plan_override!r}.", extra={"plans": sorted(plans.catalog())})
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    account = await ensure_account(session, tenant_id, lock=True)
    account.plan_override, account.comped, account.override_note = plan_override, comped, note
    audit.record(
        session,
        actor=actor,
        action="billing.override",
        target=str(tenant_id),
        tenant_id=tenant_id,
        plan_override=plan_override,
        comped=comped,
        note=note,
    )
    apply(session, cache, tenant, account, actor=actor)
    await session.flush()
    return account_row(tenant, account)


def monthly_revenue(account: BillingAccount) -> int:
    """What the account pays a month: Stripe's amounts while a subscription is live and paid for."""
    if account.comped or account.status not in ("active", "past_due"):
        return 0
    return account.amount_cents


def account_row(tenant: Tenant, account: BillingAccount) -> dict[str, Any]:
    return {
        "tenant_id": tenant.id,
        "tenant_name": tenant.name,
        "plan": tenant.plan,
        "status": tenant.subscription_status,
        "mrr_cents": monthly_revenue(account),
        "period_end": account.current_period_end,
        "past_due_since": account.past_due_since,
        "plan_override": account.plan_override,
        "comped": account.comped,
        "note": account.override_note,
    }


async def subscription_overview(session: AsyncSession) -> dict[str, Any]:
    """Admin scope: MRR from active subscriptions, tenants by status and by plan."""
    rows = (await session.execute(select(Tenant, BillingAccount).outerjoin(BillingAccount))).all()
    by_status: dict[str, int] = {}
    by_plan: dict[str, int] = {}
    mrr = 0
    accounts = []
    for tenant, account in rows:
        by_status[tenant.subscription_status] = by_status.get(tenant.subscription_status, 0) + 1
        by_plan[tenant.plan] = by_plan.get(tenant.plan, 0) + 1
        if account is None:
            continue
        mrr += monthly_revenue(account)
        if account.stripe_subscription_id or account.plan_override or account.comped:
            accounts.append(account_row(tenant, account))
    accounts.sort(
        key=lambda a: (a["status"] not in ("past_due", "unpaid"), -a["mrr_cents"], a["tenant_name"])
    )
    return {
        "mrr_cents": mrr,
        "currency": "usd",
        "active_subscriptions": sum(1 for a in accounts if a["mrr_cents"] > 0),
        "by_status": by_status,
        "by_plan": by_plan,
        "accounts": accounts,
    }
