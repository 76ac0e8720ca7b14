"""Billing: a tenant's Stripe customer and subscription, Stripe's events, usage reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.base import Base, IdMixin, JSONType, TenantOwned, TimestampMixin
from frontdesk.kit.inbox import InboxRow, QueueRow
from frontdesk.kit.time import utcnow


class BillingAccount(IdMixin, TenantOwned, TimestampMixin, Base):
    """One per tenant, created lazily: what Stripe last told us, and the platform's overrides.

    The tenant's ``plan`` and ``subscription_status`` are derived from this row
    (``billing.service.apply``); nothing else writes them."""

    __tablename__ = "billing_accounts"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(100), default=None)
    stripe_price_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Stripe's subscription status (trialing, active, past_due, unpaid, canceled, incomplete…),
    # or "none" before the first subscription
    status: Mapped[str] = mapped_column(String(32), default="none")
    plan: Mapped[str | None] = mapped_column(String(32), default=None)  # the subscribed plan
    current_period_start: Mapped[datetime | None] = mapped_column(default=None)
    current_period_end: Mapped[datetime | None] = mapped_column(default=None)
    trial_end: Mapped[datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    past_due_since: Mapped[datetime | None] = mapped_column(default=None)
    amount_cents: Mapped[int] = mapped_column(default=0)  # a month, from the subscription's prices
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    trial_used: Mapped[bool] = mapped_column(default=False)
    # `created` (Unix seconds) of the newest Stripe event applied: older ones never regress state
    stripe_event_at: Mapped[int] = mapped_column(BigInteger, default=0)
    # platform overrides: a plan set by hand (wins over Stripe's) and comped accounts (no dunning)
    plan_override: Mapped[str | None] = mapped_column(String(32), default=None)
    comped: Mapped[bool] = mapped_column(default=False)
    override_note: Mapped[str | None] = mapped_column(String(500), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StripeEvent(InboxRow, Base):
    """The inbox of Stripe web hook events, keyed on Stripe's event id: a redelivery is a no-op.

    Not tenant-owned (the tenant is known only once the event is read); only the platform's
    admin scope touches it. Status: received → processed | ignored, or failed after
    ``webhooks.QUEUE``'s attempts (``kit.inbox``)."""

    __tablename__ = "stripe_events"
    __table_args__ = (Index("ix_stripe_events_status_next", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(BigInteger)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), default=None, index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class UsageReport(IdMixin, TenantOwned, TimestampMixin, QueueRow, Base):
    """An outbox row: ``quantity`` messages to report to a Stripe meter, sent until Stripe has it.

    ``identifier`` is deterministic (tenant, period, messages already reported before this one),
    unique here and sent as Stripe's meter event identifier and idempotency key, so a retried
    or concurrent job cannot report the same messages twice."""

    __tablename__ = "usage_reports"
    __table_args__ = (
        UniqueConstraint("identifier"),
        Index("ix_usage_reports_status_next", "status", "next_attempt_at"),
    )

    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    identifier: Mapped[str] = mapped_column(String(100))
    event_name: Mapped[str] = mapped_column(String(100))
    stripe_customer_id: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    timestamp: Mapped[int] = mapped_column(BigInteger)  # the meter event's time (Unix seconds)
    # status: pending | sent | failed (kit.inbox's columns)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
