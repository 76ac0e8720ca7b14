"""Billing work that calls Stripe between transactions: a checkout, the customer portal, the
Billing page's invoices. No transaction stays open across a call to Stripe."""

from __future__ import annotations

import uuid
from typing import Any

from frontdesk.auth import audit
from frontdesk.billing import service
from frontdesk.billing.gateway import CheckoutSession, StripeFailure, StripeGateway
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow


async def _customer(
    db: Database, gateway: StripeGateway, tenant_id: uuid.UUID, *, for_checkout: bool
) -> service.Customer:
    """The tenant's Stripe customer, created on first use."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        known = await service.customer(session, tenant_id, for_checkout=for_checkout)
    if known.stripe_id:
        return known
    created = await gateway.create_customer(tenant_id, name=known.name, email=known.email)
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        return await service.keep_customer(session, tenant_id, created)


async def start_checkout(
    db: Database, gateway: StripeGateway, tenant_id: uuid.UUID, plan_name: str, *, base_url: str, actor: str
) -> CheckoutSession:
    plan = service.purchasable(plan_name)
    gateway.client  # noqa: B018 — 503 before anything is written when billing is off
    customer = await _customer(db, gateway, tenant_id, for_checkout=True)
    assert customer.stripe_id is not None
    checkout = await gateway.create_checkout(
        tenant_id=tenant_id,
        customer=customer.stripe_id,
        plan=plan.name,
        prices=[plan.stripe_price] if plan.stripe_price else [],
        metered_prices=[plan.stripe_metered_price] if plan.stripe_metered_price else [],
        trial_days=0 if customer.trial_used else plan.trial_days,
        success_url=f"{base_url}/app/billing/?checkout=success",
        cancel_url=f"{base_url}/app/billing/?checkout=canceled",
    )
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        audit.record(session, actor=actor, action="billing.checkout", target=plan.name, checkout=checkout.id)
    return checkout


async def open_portal(db: Database, gateway: StripeGateway, tenant_id: uuid.UUID, *, base_url: str) -> str:
    gateway.client  # noqa: B018
    customer = await _customer(db, gateway, tenant_id, for_checkout=False)
    assert customer.stripe_id is not None
    return await gateway.create_portal(customer=customer.stripe_id, return_url=f"{base_url}/app/billing/")


async def overview(db: Database, gateway: StripeGateway, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The Billing page: usage from the database, then (outside the transaction) the invoices."""
    now = utcnow()
    async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
        found = await service.usage(session, tenant_id, now)
    invoices: list[dict[str, Any]] = []
    invoices_error = None
    customer = found.account.stripe_customer_id if found.account else None
    if gateway.enabled and customer:
        try:
            invoices = [service.invoice_out(i) for i in await gateway.list_invoices(customer)]
        except StripeFailure as error:
            invoices_error = error.detail
    return service.overview(
        found, now, invoices=invoices, invoices_error=invoices_error, enabled=gateway.enabled
    )
