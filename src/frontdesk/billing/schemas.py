"""Billing in and out of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from frontdesk.kit.schemas import CleanStr, InputModel


class PlanOut(BaseModel):
    name: str
    title: str
    price_cents: int = Field(description="A month, in the currency's smallest unit")
    currency: str
    monthly_messages: int | None = Field(description="None: unlimited")
    knowledge_documents: int | None
    seats: int | None
    channels: list[str]
    remove_branding: bool
    trial_days: int
    purchasable: bool = Field(description="Can be bought through checkout")


class ServiceOut(BaseModel):
    level: Literal["full", "offline", "suspend"] = Field(
        description="full; offline: knowledge-base answers only (no AI); suspend: the bot is paused"
    )
    reason: str | None
    grace_until: datetime | None


class Counted(BaseModel):
    used: int
    limit: int | None


class UsageOut(BaseModel):
    messages: int = Field(description="Visitor messages this billing period")
    quota: int | None


class OverrideOut(BaseModel):
    plan: str | None
    comped: bool
    note: str | None


class InvoiceOut(BaseModel):
    id: str | None
    number: str | None
    status: str | None
    amount_due: int
    amount_paid: int
    currency: str
    created: datetime | None
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None


class BillingOut(BaseModel):
    plan: PlanOut
    status: str = Field(description="active, trialing, past_due, unpaid, canceled, comped …")
    service: ServiceOut
    subscribed: bool = Field(description="A live Stripe subscription: change it in the portal")
    period_start: datetime
    period_end: datetime
    trial_end: datetime | None
    cancel_at_period_end: bool
    override: OverrideOut | None
    usage: UsageOut
    seats: Counted
    documents: Counted
    invoices: list[InvoiceOut]
    invoices_error: str | None
    plans: list[PlanOut]
    billing_enabled: bool


class CheckoutIn(InputModel):
    plan: str = Field(min_length=1, max_length=32)


class RedirectOut(BaseModel):
    url: str
    id: str | None = None


class WebhookAck(BaseModel):
    received: bool = True
    status: str = Field(description="processed | ignored | duplicate | pending (applied later)")


class BillingOverrideIn(InputModel):
    plan_override: str | None = Field(default=None, max_length=32, description="None: Stripe decides")
    comped: bool = Field(default=False, description="No payment needed, never in dunning")
    note: CleanStr | None = Field(default=None, max_length=500)


class TenantBillingOut(BaseModel):
    tenant_id: uuid.UUID
    tenant_name: str
    plan: str
    status: str
    mrr_cents: int
    period_end: datetime | None
    past_due_since: datetime | None
    plan_override: str | None
    comped: bool
    note: str | None


class SubscriptionOverview(BaseModel):
    mrr_cents: int = Field(description="Monthly revenue of active (and past-due) paid subscriptions")
    currency: str
    active_subscriptions: int
    by_status: dict[str, int]
    by_plan: dict[str, int]
    accounts: list[TenantBillingOut]
