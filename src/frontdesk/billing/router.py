"""Billing endpoints: the workspace's Billing page, Stripe's web hooks, the platform's overview."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from frontdesk.auth.context import (
    AdminActor,
    AdminSession,
    AuthContext,
    Authorize,
    RuntimeDep,
    signed_in_user,
)
from frontdesk.auth.permissions import BILLING_MANAGE, BILLING_READ
from frontdesk.billing import flows, service, webhooks
from frontdesk.billing.schemas import (
    BillingOut,
    BillingOverrideIn,
    CheckoutIn,
    RedirectOut,
    SubscriptionOverview,
    TenantBillingOut,
    WebhookAck,
)
from frontdesk.kit.errors import NotFound

customer = APIRouter(
    prefix="/api/v1/customer/billing", tags=["billing"], dependencies=[Depends(signed_in_user)]
)
stripe_hooks = APIRouter(tags=["billing"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin: billing"])
BillingRead = Annotated[AuthContext, Depends(Authorize(BILLING_READ))]
BillingManage = Annotated[AuthContext, Depends(Authorize(BILLING_MANAGE))]


def _actor(auth: AuthContext) -> str:
    return f"user:{auth.user_id}"


@customer.get("", response_model=BillingOut)
async def get_billing(auth: BillingRead, runtime: RuntimeDep) -> BillingOut:
    """Plan, status (and why the bot is limited, if it is), usage this period, invoices, plans."""
    return BillingOut.model_validate(await flows.overview(runtime.db, runtime.stripe, auth.tenant_id))


@customer.post("/checkout", response_model=RedirectOut)
async def checkout(
    auth: BillingManage, runtime: RuntimeDep, data: CheckoutIn, request: Request
) -> RedirectOut:
    """A Stripe Checkout session subscribing the workspace to ``plan``: send the browser to ``url``.
    The plan changes when Stripe confirms the payment (web hook), not before."""
    base = runtime.settings.public_base(str(request.base_url))
    session = await flows.start_checkout(
        runtime.db, runtime.stripe, auth.tenant_id, data.plan, base_url=base, actor=_actor(auth)
    )
    return RedirectOut(url=session.url, id=session.id)


@customer.post("/portal", response_model=RedirectOut)
async def portal(auth: BillingManage, runtime: RuntimeDep, request: Request) -> RedirectOut:
    """A Stripe customer portal session: payment method, plan changes, cancellation, invoices."""
    base = runtime.settings.public_base(str(request.base_url))
    return RedirectOut(url=await flows.open_portal(runtime.db, runtime.stripe, auth.tenant_id, base_url=base))


@stripe_hooks.post(
    webhooks.WEBHOOK_PATH,
    response_model=WebhookAck,
    responses={
        400: {"description": "Missing or bad Stripe-Signature"},
        404: {"description": "Billing is not configured"},
    },
)
async def stripe_webhook(request: Request, runtime: RuntimeDep) -> WebhookAck:
    """Stripe's events, verified with the endpoint's signing secret (``STRIPE_WEBHOOK_SECRET``)."""
    secret = runtime.settings.stripe_webhook_secret
    if secret is None:
        # nothing listens here on a deployment without billing
        raise NotFound("Stripe web hooks are not configured on this deployment (no STRIPE_WEBHOOK_SECRET).")
    event = webhooks.verify(
        await request.body(), request.headers.get("stripe-signature"), secret.get_secret_value()
    )
    return WebhookAck(status=await webhooks.receive(runtime.db, runtime.cache, event))


@admin.get("/billing", response_model=SubscriptionOverview)
async def subscription_overview(session: AdminSession) -> SubscriptionOverview:
    """MRR from active subscriptions, tenants by status and plan, the accounts with a subscription
    or an override (past due first)."""
    return SubscriptionOverview.model_validate(await service.subscription_overview(session))


@admin.put("/tenants/{tenant_id}/billing", response_model=TenantBillingOut)
async def override_billing(
    session: AdminSession,
    runtime: RuntimeDep,
    actor: AdminActor,
    tenant_id: uuid.UUID,
    data: BillingOverrideIn,
) -> TenantBillingOut:
    """Set a plan by hand (wins over Stripe's until cleared) and/or comp the account. Audited."""
    row = await service.set_override(
        session,
        runtime.cache,
        tenant_id,
        plan_override=data.plan_override,
        comped=data.comped,
        note=data.note,
        actor=actor.principal,
    )
    return TenantBillingOut.model_validate(row)
