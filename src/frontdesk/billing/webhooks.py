"""Stripe's web hooks: verified by the SDK, kept in an inbox keyed on the event id, applied once.

- ``verify``: ``stripe.Webhook.construct_event`` with a 5-minute tolerance (the SDK checks only
  the past: a timestamp more than a minute ahead is refused here); nothing is stored unless the
  signature checks out.
- ``receive``: the event goes into ``stripe_events`` (a redelivery finds its row: no second
  effect), then it is claimed and applied (``kit.inbox``: a claim holds a lease, so two
  workers never apply it at once). A failure leaves it ``received`` with the error, due
  again after an exponential backoff; the periodic sweep applies it then, and after
  ``MAX_ATTEMPTS`` it is ``failed``, listed for the platform's admins (``frontdesk.webhooks``),
  who can requeue it.
- Applying takes the tenant's billing account ``FOR UPDATE`` and compares the event's
  ``created`` with the newest event already applied: an older event never regresses the
  state (Stripe does not deliver in order). Unknown event types are acknowledged and ignored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
import structlog
from sqlalchemy import select

from frontdesk.billing import plans
from frontdesk.billing.service import LIVE, apply, ensure_account
from frontdesk.billing.standing import DUNNING_STATUSES
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.db.upsert import insert_for
from frontdesk.kit import inbox
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import BadRequest
from frontdesk.kit.time import utcnow
from frontdesk.models import BillingAccount, StripeEvent, Tenant

log = structlog.get_logger()
TOLERANCE_SECONDS = 300
CLOCK_SKEW_SECONDS = 60  # how far ahead of our clock a signature's timestamp may be
WEBHOOK_PATH = "/api/v1/stripe/webhook"
ACTOR = "stripe:webhook"
MAX_ATTEMPTS = 5
QUEUE = inbox.Queue(
    StripeEvent,
    lease=timedelta(minutes=1),
    backoff=inbox.Backoff(first=timedelta(minutes=1), maximum=timedelta(hours=1), max_attempts=MAX_ATTEMPTS),
)


class InvalidSignature(BadRequest):
    code, title = "invalid_signature", "Invalid Stripe signature"


def verify(raw: bytes, header: str | None, secret: str) -> dict[str, Any]:
    """The event, if Stripe signed it with ``secret`` within the tolerance (400 otherwise)."""
    try:
        stripe.Webhook.construct_event(raw.decode("utf-8"), header or "", secret, TOLERANCE_SECONDS)
        event: Any = json.loads(raw)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
        raise InvalidSignature(f"The Stripe-Signature header does not verify: {error}") from None
    signed_at = int(dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)["t"])
    if signed_at > utcnow().timestamp() + CLOCK_SKEW_SECONDS:
        raise InvalidSignature("The Stripe-Signature timestamp is in the future.")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "type" not in event:
        raise BadRequest("The body is not a Stripe event.")
    return event


async def receive(db: Database, cache: Cache, event: dict[str, Any]) -> str:
    """Store the event (once) and apply it. Returns processed | ignored | duplicate | pending."""
    async with unit_of_work(db, admin=(ACTOR, f"receive {event['id']}")) as session:
        insert = insert_for(session)
        stored = await session.scalar(
            insert(StripeEvent)
            .values(
                id=event["id"][:100],
                type=str(event["type"])[:100],
                created=int(event.get("created") or 0),
                payload=event,
                status="received" if event["type"] in HANDLERS else "ignored",
                attempts=0,
                received_at=utcnow(),
                next_attempt_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(StripeEvent.status)
        )
    if stored is None:
        return "duplicate"
    if stored == "ignored":
        return "ignored"
    outcome = await process(db, cache, event["id"])
    return "pending" if outcome == "not due" else outcome  # the sweep's worker got there first


async def process(db: Database, cache: Cache, event_id: str) -> str:
    """Claim the event and apply it. Returns processed | ignored | pending (failed, retried
    later or set aside) | not due (done, claimed by another worker, or backing off)."""
    async with unit_of_work(db, admin=(ACTOR, f"claim {event_id}")) as session:
        attempts = await inbox.claim(session, QUEUE, StripeEvent.id == event_id)
    if attempts is None:
        return "not due"
    try:
        async with unit_of_work(db, admin=(ACTOR, f"apply {event_id}")) as session:
            row = await session.get(StripeEvent, event_id, with_for_update=True)
            if row is None or row.status != "received":
                return row.status if row else "missing"
            obj = row.payload.get("data", {}).get("object", {})
            tenant_id = await _tenant_for(session, obj)
            tenant = await session.get(Tenant, tenant_id) if tenant_id else None
            if tenant is None:
                row.status, row.last_error = "ignored", "no tenant for this customer"
                row.processed_at = utcnow()
                return "ignored"
            account = await ensure_account(session, tenant.id, lock=True)
            outcome = HANDLERS[row.type](account, obj, row.created)
            apply(session, cache, tenant, account, actor=ACTOR)
            row.tenant_id, row.status, row.last_error = tenant.id, "processed", outcome
            row.processed_at = utcnow()
            log.info("stripe.event", id=event_id, type=row.type, tenant_id=str(tenant.id), outcome=outcome)
            return "processed"
    except Exception as error:
        log.exception("stripe.event_failed", id=event_id, attempts=attempts)
        async with unit_of_work(db, admin=(ACTOR, f"failed {event_id}")) as session:
            failed = await inbox.retry_later(
                session, QUEUE, StripeEvent.id == event_id, attempts=attempts, error=_describe(error)
            )
        if failed:  # visible to the platform, no longer retried
            log.error("stripe.event_abandoned", id=event_id, attempts=attempts)
        return "pending"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


async def due_events(db: Database) -> list[str]:
    """Events whose application failed (or whose worker died), due again after the backoff;
    events whose last attempt never finished are set aside as failed."""
    async with unit_of_work(db, admin=(ACTOR, "sweep")) as session:
        await inbox.give_up_abandoned(session, QUEUE)
        rows = await session.scalars(inbox.due(QUEUE, StripeEvent.id, limit=100))
        return list(rows.all())


async def _tenant_for(session: Any, obj: dict[str, Any]) -> uuid.UUID | None:
    """The tenant whose Stripe customer this is; for a first checkout, the tenant we named."""
    customer = _id(obj.get("customer"))
    if customer:
        found = await session.scalar(
            select(BillingAccount.tenant_id).where(BillingAccount.stripe_customer_id == customer)
        )
        if found is not None:
            return found  # type: ignore[no-any-return]
    named = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("tenant_id")
    try:
        return uuid.UUID(str(named)) if named else None
    except ValueError:
        return None


# --- what each event does to the account ---------------------------------------------------------


def _id(value: Any) -> str | None:
    """An id, whether Stripe sent it bare or expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and value > 0 else None


def _on_checkout_completed(account: BillingAccount, checkout: dict[str, Any], created: int) -> str:
    """The customer paid (or started a trial). The subscription events carry the details; until
    they arrive, the plan bought is taken from the session's metadata."""
    if checkout.get("mode") != "subscription":
        return "not a subscription"
    account.stripe_customer_id = account.stripe_customer_id or _id(checkout.get("customer"))
    subscription = _id(checkout.get("subscription"))
    if subscription and account.plan_override and not account.comped:
        account.plan_override, account.override_note = None, None  # what the customer buys wins now
    if not subscription or account.stripe_subscription_id == subscription:
        return "known subscription"
    if account.status in LIVE and account.stripe_event_at > created:
        return "stale"
    plan = (checkout.get("metadata") or {}).get("plan")
    account.stripe_subscription_id = subscription
    account.plan = plan if isinstance(plan, str) and plans.exists(plan) else account.plan
    trial = checkout.get("payment_status") == "no_payment_required"
    account.status = "trialing" if trial else "active"
    account.trial_used = account.trial_used or trial
    account.past_due_since = None
    return "subscribed"


def _licensed_items(subscription: dict[str, Any]) -> list[dict[str, Any]]:
    items = (subscription.get("items") or {}).get("data") or []
    return [
        i for i in items if ((i.get("price") or {}).get("recurring") or {}).get("usage_type") != "metered"
    ]


def _monthly_cents(items: list[dict[str, Any]]) -> int:
    total = 0.0
    for item in items:
        price = item.get("price") or {}
        amount = (price.get("unit_amount") or 0) * (item.get("quantity") or 1)
        recurring = price.get("recurring") or {}
        months = {"year": 12, "month": 1, "week": 12 / 52, "day": 12 / 365}.get(
            str(recurring.get("interval")), 1
        )
        total += amount / months / (recurring.get("interval_count") or 1)
    return round(total)


def _on_subscription(
    account: BillingAccount, sub: dict[str, Any], created: int, *, deleted: bool = False
) -> str:
    sub_id = _id(sub.get("id"))
    if created < account.stripe_event_at and not deleted:  # an ending is final, whenever it arrives
        return "stale"
    if account.stripe_subscription_id and sub_id != account.stripe_subscription_id:
        if account.status in LIVE and (deleted or sub.get("status") not in LIVE):
            return "another subscription"  # an old one ending does not end the current one
    elif account.status == "canceled" and not deleted:
        return "canceled is final"
    status = "canceled" if deleted else str(sub.get("status") or "active")
    licensed = _licensed_items(sub)
    price = _id(licensed[0].get("price") if licensed else None)
    plan = plans.plan_for_price(price)
    named = (sub.get("metadata") or {}).get("plan")
    items = (sub.get("items") or {}).get("data") or [{}]
    # since API 2025-03-31 the period is on the items; older versions kept it on the subscription
    start = items[0].get("current_period_start") or sub.get("current_period_start")
    end = items[0].get("current_period_end") or sub.get("current_period_end")

    account.stripe_subscription_id = sub_id
    account.stripe_customer_id = account.stripe_customer_id or _id(sub.get("customer"))
    account.stripe_price_id = price
    account.plan = (
        plan.name if plan else (named if isinstance(named, str) and plans.exists(named) else account.plan)
    )
    account.status = status
    if deleted:  # the period (and its metered usage) ends when the subscription did
        end = sub.get("ended_at") or sub.get("canceled_at") or created
    account.current_period_start, account.current_period_end = _time(start), _time(end)
    account.trial_end = _time(sub.get("trial_end"))
    account.trial_used = account.trial_used or account.trial_end is not None
    account.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    account.amount_cents = _monthly_cents(licensed)
    account.currency = str(sub.get("currency") or account.currency)[:3]
    if status in DUNNING_STATUSES:
        account.past_due_since = account.past_due_since or _time(created)
    else:
        account.past_due_since = None
    account.stripe_event_at = created
    return status


def _invoice_subscription(invoice: dict[str, Any]) -> str | None:
    details = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return _id(details) or _id(invoice.get("subscription"))


def _on_invoice(account: BillingAccount, invoice: dict[str, Any], created: int, *, paid: bool) -> str:
    if created < account.stripe_event_at:
        return "stale"
    subscription = _invoice_subscription(invoice)
    if subscription and account.stripe_subscription_id and subscription != account.stripe_subscription_id:
        return "another subscription"
    if paid and account.status in DUNNING_STATUSES:
        account.status, account.past_due_since = "active", None
    elif not paid and account.status in ("active", "trialing"):
        account.status = "past_due"
        account.past_due_since = account.past_due_since or _time(created)
    else:
        return "no change"
    account.stripe_event_at = created
    return account.status


Handler = Callable[[BillingAccount, dict[str, Any], int], str]
HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription,
    "customer.subscription.updated": _on_subscription,
    "customer.subscription.deleted": lambda a, o, c: _on_subscription(a, o, c, deleted=True),
    "invoice.paid": lambda a, o, c: _on_invoice(a, o, c, paid=True),
    "invoice.payment_failed": lambda a, o, c: _on_invoice(a, o, c, paid=False),
}
