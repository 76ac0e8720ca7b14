"""Billing end to end: the official stripe SDK against a fake Stripe on loopback, web hooks
signed exactly as Stripe signs them, the chat engine enforcing what the plan allows."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from frontdesk.app import create_app
from frontdesk.billing import metering, plans, webhooks
from frontdesk.channels.crisp.client import CrispClient
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.kit.mail import MemoryMailer
from frontdesk.kit.time import utcnow
from frontdesk.models import AuditEvent, BillingAccount, Message, StripeEvent, UsageReport
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import ADMIN_TOKEN
from tests.fakes.crisp_server import FakeCrisp
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.stripe_server import API_KEY, WEBHOOK_SECRET, FakeStripe, signed

PLANS = Path(__file__).with_name("plans.toml")
HOOK = "/api/v1/stripe/webhook"
BILLING = "/api/v1/customer/billing"


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@dataclass
class Billing:
    client: httpx.AsyncClient
    runtime: Runtime
    stripe: FakeStripe
    llm: FakeOpenAI

    async def deliver(self, event: dict[str, Any], **sign: Any) -> httpx.Response:
        body, headers = signed(event, **sign)
        return await self.client.post(HOOK, content=body, headers=headers)

    async def owner(self, business: str = "Acme") -> factories.Account:
        return await factories.signup(self.client, business)

    async def checkout(self, owner: factories.Account, plan: str) -> str:
        r = await self.client.post(f"{BILLING}/checkout", headers=owner.headers, json={"plan": plan})
        assert r.status_code == 200, r.text
        assert r.json()["url"].startswith(f"{self.stripe.base_url}/c/pay/")
        return str(r.json()["id"])

    async def subscribe(self, owner: factories.Account, plan: str) -> list[dict[str, Any]]:
        """Checkout, pay, and Stripe's web hooks about it."""
        events = self.stripe.complete_checkout(await self.checkout(owner, plan))
        for event in events:
            r = await self.deliver(event)
            assert r.status_code == 200, r.text
        return events

    async def chat(
        self, owner: factories.Account, text: str = "What are your opening hours?"
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/chat",
            headers={"X-API-Key": owner.secret_key},
            json={"session_id": f"visitor-{uuid.uuid4().hex[:6]}", "message": text},
        )

    async def billing(self, owner: factories.Account) -> dict[str, Any]:
        r = await self.client.get(BILLING, headers=owner.headers)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def account(self, tenant_id: uuid.UUID) -> BillingAccount:
        async with unit_of_work(self.runtime.db, tenant_id=tenant_id) as session:
            found = await session.scalar(select(BillingAccount))
            assert found is not None
            return found

    async def age_past_due(self, tenant_id: uuid.UUID, days: int) -> None:
        """Time passes: the payment failed ``days`` ago."""
        async with unit_of_work(self.runtime.db, tenant_id=tenant_id) as session:
            await session.execute(
                update(BillingAccount).values(past_due_since=utcnow() - timedelta(days=days))
            )
        await generations.bump(self.runtime.cache, tenant_id, generations.CONFIG)


@pytest.fixture
async def billing(settings, runtime, fake_stripe: FakeStripe, fake_llm: FakeOpenAI) -> AsyncIterator[Billing]:
    fake_llm.reset()
    configured = settings.model_copy(
        update={
            "stripe_api_key": SecretStr(API_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_api_url": fake_stripe.base_url,
            "plans_file": PLANS,
            "openai_api_key": SecretStr("sk-deployment"),
            "openai_base_url": fake_llm.base_url,
            "llm_max_retries": 0,
        }
    )
    app = create_app(configured)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
        ):
            app.state.runtime.mailer = MemoryMailer()
            yield Billing(client, app.state.runtime, fake_stripe, fake_llm)
    finally:
        plans.install(None)  # the other tests run on the packaged plans


async def test_checkout_and_stripes_events_put_the_workspace_on_the_paid_plan(billing: Billing) -> None:
    owner = await billing.owner("Paying Pottery")
    before = await billing.billing(owner)
    assert before["plan"]["name"] == "free" and before["subscribed"] is False and before["billing_enabled"]

    session_id = await billing.checkout(owner, "pro")
    # what the SDK sent Stripe: one customer for the tenant, a subscription checkout with the
    # licensed price (quantity 1), the metered price (no quantity) and the plan's trial
    customer_id = billing.stripe.checkout_sessions[session_id]["customer"]
    assert billing.stripe.customers[customer_id]["metadata"] == {"tenant_id": str(owner.tenant_id)}
    _, _, sent = next(r for r in billing.stripe.requests if r[1] == "/v1/checkout/sessions")
    assert sent["line_items"] == [
        {"price": "price_frontdesk_pro_monthly", "quantity": "1"},
        {"price": "price_frontdesk_pro_messages"},
    ]
    assert sent["client_reference_id"] == str(owner.tenant_id)
    assert sent["subscription_data"] == {
        "metadata": {"tenant_id": str(owner.tenant_id), "plan": "pro"},
        "trial_period_days": "14",
    }
    assert sent["success_url"] == "http://testserver/app/billing/?checkout=success"
    assert (await billing.billing(owner))["plan"]["name"] == "free"  # not before Stripe confirms

    for event in billing.stripe.complete_checkout(session_id):
        r = await billing.deliver(event)
        assert r.status_code == 200 and r.json()["status"] == "processed", r.text

    after = await billing.billing(owner)
    assert after["plan"]["name"] == "pro" and after["status"] == "trialing" and after["subscribed"]
    assert after["usage"] == {"messages": 0, "quota": 1000}
    assert after["trial_end"] is not None and after["service"]["level"] == "full"
    assert [i["number"] for i in after["invoices"]] and after["invoices"][0]["status"] == "paid"
    business = (await billing.client.get("/api/v1/customer/business", headers=owner.headers)).json()
    assert (business["plan"], business["subscription_status"]) == ("pro", "trialing")

    # the same customer is reused, and a second checkout while subscribed points to the portal
    r = await billing.client.post(f"{BILLING}/checkout", headers=owner.headers, json={"plan": "starter"})
    assert r.status_code == 409 and "portal" in r.json()["detail"]
    r = await billing.client.post(f"{BILLING}/portal", headers=owner.headers)
    assert r.status_code == 200 and r.json()["url"].startswith(f"{billing.stripe.base_url}/p/session/")
    assert (
        sum(
            1 for c in billing.stripe.customers.values() if c["metadata"]["tenant_id"] == str(owner.tenant_id)
        )
        == 1
    )


@pytest.mark.parametrize(
    "forgery", ["wrong secret", "tampered body", "stale timestamp", "future timestamp", "no header"]
)
async def test_a_forged_event_is_400_and_changes_nothing(billing: Billing, forgery: str) -> None:
    owner = await billing.owner("Careful Cakes")
    events = billing.stripe.complete_checkout(await billing.checkout(owner, "starter"))
    event = events[1]  # customer.subscription.created
    body, headers = signed(event)
    if forgery == "wrong secret":
        body, headers = signed(event, secret="whsec_attacker")
    elif forgery == "tampered body":
        body = body.replace(b'"active"', b'"trialing"')
    elif forgery == "stale timestamp":
        body, headers = signed(event, timestamp=int(utcnow().timestamp()) - 301)
    elif forgery == "future timestamp":  # a signature captured for later replay
        body, headers = signed(event, timestamp=int(utcnow().timestamp()) + 600)
    else:
        headers.pop("Stripe-Signature")
    r = await billing.client.post(HOOK, content=body, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_signature", r.text
    async with unit_of_work(billing.runtime.db, admin=("tests", "check")) as session:
        assert await session.get(StripeEvent, event["id"]) is None
    assert (await billing.billing(owner))["plan"]["name"] == "free"


async def test_the_same_event_twice_has_one_effect(billing: Billing) -> None:
    owner = await billing.owner("Twice Tailors")
    events = billing.stripe.complete_checkout(await billing.checkout(owner, "starter"))
    created = events[1]
    assert (await billing.deliver(created)).json()["status"] == "processed"
    assert (await billing.deliver(created)).json()["status"] == "duplicate"
    async with unit_of_work(billing.runtime.db, tenant_id=owner.tenant_id) as session:
        changes = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "billing.changed")
        )
    assert changes == 1
    assert (await billing.billing(owner))["plan"]["name"] == "starter"


async def test_events_out_of_order_never_regress_the_state(billing: Billing) -> None:
    owner = await billing.owner("Ordered Opticians")
    events = billing.stripe.complete_checkout(await billing.checkout(owner, "starter"))
    sub = events[1]["data"]["object"]
    now = int(utcnow().timestamp())
    # Stripe sends "past_due" then "active" again (the retry succeeded) — we receive them reversed
    recovered = billing.stripe.event(
        "customer.subscription.updated", {**sub, "status": "active"}, created=now + 20
    )
    failed = billing.stripe.event(
        "customer.subscription.updated", {**sub, "status": "past_due"}, created=now + 10
    )
    late_failure = billing.stripe.event(
        "invoice.payment_failed", billing.stripe.invoice(sub, paid=False), created=now + 5
    )
    for event in (events[1], recovered, failed, late_failure):
        assert (await billing.deliver(event)).status_code == 200
    state = await billing.billing(owner)
    assert (state["plan"]["name"], state["status"]) == ("starter", "active")

    # a cancellation is final: an older "updated" arriving after it does not revive the plan
    deleted = billing.stripe.event(
        "customer.subscription.deleted", {**sub, "status": "canceled"}, created=now + 30
    )
    stale = billing.stripe.event(
        "customer.subscription.updated", {**sub, "status": "active"}, created=now + 25
    )
    for event in (deleted, stale):
        assert (await billing.deliver(event)).status_code == 200
    state = await billing.billing(owner)
    assert (state["plan"]["name"], state["status"], state["subscribed"]) == ("free", "canceled", False)


async def test_unknown_events_are_acknowledged_and_ignored(billing: Billing) -> None:
    event = billing.stripe.event("customer.created", {"id": "cus_unrelated", "object": "customer"})
    r = await billing.deliver(event)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    # a handled type for a customer nobody has: acknowledged, recorded as ignored
    stray = billing.stripe.event(
        "invoice.paid", {"id": "in_x", "object": "invoice", "customer": "cus_nobody"}
    )
    r = await billing.deliver(stray)
    assert r.status_code == 200 and r.json()["status"] == "ignored"


async def test_a_failed_payment_keeps_service_for_the_grace_period_then_limits_the_bot(
    billing: Billing,
) -> None:
    owner = await billing.owner("Dunning Deli")
    events = await billing.subscribe(owner, "pro")  # pro: 7 days of grace, then knowledge-base answers only
    sub = events[1]["data"]["object"]
    failed = billing.stripe.event("invoice.payment_failed", billing.stripe.invoice(sub, paid=False))
    assert (await billing.deliver(failed)).json()["status"] == "processed"

    state = await billing.billing(owner)
    assert state["status"] == "past_due" and state["service"]["level"] == "full"
    assert (
        "Payment for the Pro plan failed" in state["service"]["reason"]
        and "until" in state["service"]["reason"]
    )
    asked = len(billing.llm.chat_requests)
    assert (await billing.chat(owner)).status_code == 200
    assert len(billing.llm.chat_requests) == asked + 1  # still the LLM during the grace period

    await billing.age_past_due(owner.tenant_id, days=8)
    state = await billing.billing(owner)
    assert state["service"]["level"] == "offline" and "knowledge base only" in state["service"]["reason"]
    r = await billing.chat(owner)
    assert r.status_code == 200 and r.json()["reply"]  # the visitor still gets an answer…
    assert len(billing.llm.chat_requests) == asked + 1  # …but not from the LLM

    paid = billing.stripe.event("invoice.paid", billing.stripe.invoice(sub, paid=True))
    assert (await billing.deliver(paid)).json()["status"] == "processed"
    state = await billing.billing(owner)
    assert (state["status"], state["service"]["level"], state["service"]["reason"]) == (
        "active",
        "full",
        None,
    )
    assert (await billing.chat(owner)).status_code == 200
    assert len(billing.llm.chat_requests) == asked + 2


async def test_a_plan_that_suspends_after_grace_answers_402_saying_why(billing: Billing) -> None:
    owner = await billing.owner("Suspended Sushi")
    events = await billing.subscribe(owner, "starter")  # starter: 3 days of grace, then suspend
    failed = billing.stripe.event(
        "invoice.payment_failed", billing.stripe.invoice(events[1]["data"]["object"], paid=False)
    )
    await billing.deliver(failed)
    assert (await billing.chat(owner)).status_code == 200
    await billing.age_past_due(owner.tenant_id, days=4)
    r = await billing.chat(owner)
    assert r.status_code == 402, r.text
    problem = r.json()
    assert problem["code"] == "payment_past_due" and problem["upgrade_url"] == "/app/billing/"
    assert "Payment for the Starter plan failed" in problem["detail"] and "paused" in problem["detail"]
    assert (await billing.billing(owner))["service"]["level"] == "suspend"


async def test_quota_exhaustion_is_a_clear_error_and_an_upgrade_lifts_it(billing: Billing) -> None:
    owner = await billing.owner("Quota Quiches")  # free: 3 messages per period in these tests
    for _ in range(3):
        assert (await billing.chat(owner)).status_code == 200
    r = await billing.chat(owner)
    assert r.status_code == 402, r.text
    problem = r.json()
    assert problem["code"] == "quota_exceeded" and problem["limit"] == "monthly_messages"
    assert problem["quota"] == 3 and problem["plan"] == "free" and problem["upgrade_url"] == "/app/billing/"
    assert "Upgrade" in problem["detail"]
    assert (await billing.billing(owner))["usage"] == {"messages": 3, "quota": 3}

    await billing.subscribe(owner, "starter")
    assert (await billing.chat(owner)).status_code == 200  # lifted at once, no restart, no wait
    state = await billing.billing(owner)
    assert state["usage"]["quota"] == 50 and state["usage"]["messages"] >= 1


async def test_usage_is_reported_once_per_period_even_when_the_job_is_retried(billing: Billing) -> None:
    owner = await billing.owner("Metered Muffins")
    await billing.subscribe(owner, "pro")
    customer = (await billing.account(owner.tenant_id)).stripe_customer_id
    assert customer
    for _ in range(5):
        assert (await billing.chat(owner)).status_code == 200
    db, stripe = billing.runtime.db, billing.runtime.stripe

    # Stripe is down for the first run (the SDK's own retries included): nothing is lost
    billing.stripe.fail_next(3, status=500)
    await metering.report_usage(db, stripe)
    assert billing.stripe.meter_total(customer) == 0
    later = utcnow() + timedelta(minutes=10)
    assert await metering.send_due(db, stripe, now=later) == 1
    assert billing.stripe.meter_total(customer) == 5

    # the job runs again: nothing new to report, nothing sent twice
    await metering.report_usage(db, stripe)
    assert billing.stripe.meter_total(customer) == 5

    # Stripe took a report but the answer was lost, and a crash lost our "sent" mark: the retry
    # carries the same identifier and idempotency key, and Stripe counts it once
    for _ in range(2):
        await billing.chat(owner)
    billing.stripe.fail_next(1, status=500, after_effect=True)
    await metering.report_usage(db, stripe)
    async with unit_of_work(db, tenant_id=owner.tenant_id) as session:
        await session.execute(update(UsageReport).values(status="pending", next_attempt_at=utcnow()))
    await metering.send_due(db, stripe, now=utcnow() + timedelta(minutes=10))
    assert billing.stripe.meter_total(customer) == 7
    events = [e for e in billing.stripe.meter_events if e["payload"]["stripe_customer_id"] == customer]
    assert len({e["identifier"] for e in events}) == len(events) == 2
    assert {e["event_name"] for e in events} == {"frontdesk_messages"}
    async with unit_of_work(db, tenant_id=owner.tenant_id) as session:
        statuses = (await session.scalars(select(UsageReport.status))).all()
    assert sorted(statuses) == ["sent", "sent"]


async def test_plan_limits_are_enforced_where_things_are_created(billing: Billing) -> None:
    owner = await billing.owner("Limited Lamps")  # free: 2 seats, 2 documents, no Crisp
    c = billing.client
    invite = {"email": "first@example.com", "role": "member"}
    assert (
        await c.post("/api/v1/customer/team/invitations", headers=owner.headers, json=invite)
    ).status_code == 201
    r = await c.post(
        "/api/v1/customer/team/invitations",
        headers=owner.headers,
        json={"email": "second@example.com", "role": "member"},
    )
    assert r.status_code == 402 and (r.json()["code"], r.json()["limit"], r.json()["allowed"]) == (
        "plan_limit",
        "seats",
        2,
    )
    assert r.json()["upgrade_url"] == "/app/billing/"

    docs = "/api/v1/customer/knowledge"
    for n in range(2):
        assert (
            await c.post(docs, headers=owner.headers, json={"name": f"d{n}", "content": "x"})
        ).status_code == 201
    r = await c.post(docs, headers=owner.headers, json={"name": "d3", "content": "x"})
    assert r.status_code == 402 and r.json()["limit"] == "knowledge_documents"

    crisp = {"website_id": str(uuid.uuid4()), "identifier": "i", "key": "k", "signing_secret": "s"}
    r = await c.put("/api/v1/integrations/crisp", headers={"X-API-Key": owner.secret_key}, json=crisp)
    assert r.status_code == 402 and r.json()["limit"] == "channels"

    # branding: free cannot hide "Powered by Frontdesk", pro can
    await c.put("/api/v1/customer/config", headers=owner.headers, json={"widget": {"hide_branding": True}})
    widget = await c.get("/api/v1/widget/config", headers={"X-API-Key": owner.secret_key})
    assert widget.json()["branding"] is True

    await billing.subscribe(owner, "pro")
    r = await c.post(docs, headers=owner.headers, json={"name": "d3", "content": "x"})
    assert r.status_code == 201
    with FakeCrisp(website_id=crisp["website_id"], identifier="i", key="k") as fake:  # confirms the connect
        previous, billing.runtime.crisp = billing.runtime.crisp, CrispClient(fake.base_url)
        try:
            r = await c.put("/api/v1/integrations/crisp", headers={"X-API-Key": owner.secret_key}, json=crisp)
        finally:
            await billing.runtime.crisp.aclose()
            billing.runtime.crisp = previous
    assert r.status_code == 200, r.text
    widget = await c.get("/api/v1/widget/config", headers={"X-API-Key": owner.secret_key})
    assert widget.json()["branding"] is False


async def test_only_the_owner_buys_and_admins_can_look(billing: Billing) -> None:
    owner = await billing.owner("Roles Rugs")
    admin = await factories.join(billing.client, billing.runtime, owner, "admin")
    r = await billing.client.get(BILLING, headers=admin.headers)
    assert r.status_code == 200
    for path in ("/checkout", "/portal"):
        r = await billing.client.post(f"{BILLING}{path}", headers=admin.headers, json={"plan": "pro"})
        assert r.status_code == 403, r.text
    r = await billing.client.post(f"{BILLING}/checkout", headers=owner.headers, json={"plan": "enterprise"})
    assert r.status_code == 422 and "cannot be bought online" in r.json()["detail"]
    r = await billing.client.post(f"{BILLING}/checkout", headers=owner.headers, json={"plan": "platinum"})
    assert r.status_code == 422


async def test_billing_stays_in_its_tenant(billing: Billing) -> None:
    """B subscribes; A's owner sees none of B's plan, customer or invoices, and A's checkout
    and portal act on A's own Stripe customer."""
    b = await billing.owner("Beta Billing")
    await billing.subscribe(b, "pro")
    b_customer = (await billing.account(b.tenant_id)).stripe_customer_id
    a = await billing.owner("Alpha Billing")
    seen = await billing.billing(a)
    assert seen["plan"]["name"] == "free" and seen["invoices"] == [] and not seen["subscribed"]
    a_session = await billing.checkout(a, "starter")
    a_customer = billing.stripe.checkout_sessions[a_session]["customer"]
    assert a_customer != b_customer
    r = await billing.client.post(f"{BILLING}/portal", headers=a.headers)
    portal_id = r.json()["url"].rsplit("/", 1)[1]
    assert billing.stripe.portal_sessions[portal_id]["customer"] == a_customer
    assert (await billing.billing(b))["plan"]["name"] == "pro"
    # an event about B's customer naming A in its metadata still lands on B (the customer wins)
    sub = billing.stripe.subscription(
        b_customer, ["price_frontdesk_starter_monthly"], metadata={"tenant_id": str(a.tenant_id)}
    )
    await billing.deliver(billing.stripe.event("customer.subscription.created", sub))
    assert (await billing.billing(a))["plan"]["name"] == "free"


async def test_admins_see_mrr_and_can_override_and_comp(billing: Billing, admin_headers) -> None:
    pro = await billing.owner("Overview Pro")
    await billing.subscribe(pro, "pro")
    sub = billing.stripe.subscription(
        (await billing.account(pro.tenant_id)).stripe_customer_id or "", ["price_frontdesk_pro_monthly"]
    )  # the trial ended: a paid, active subscription replaces the trialing one
    await billing.deliver(
        billing.stripe.event(
            "customer.subscription.updated",
            {**sub, "id": (await billing.account(pro.tenant_id)).stripe_subscription_id},
        )
    )
    comp = await billing.owner("Comped Charity")
    c = billing.client

    overview = (await c.get("/api/v1/admin/billing", headers=admin_headers)).json()
    assert overview["mrr_cents"] == 9900 and overview["active_subscriptions"] == 1
    assert overview["by_plan"]["pro"] == 1 and overview["by_status"]["active"] >= 2

    r = await c.put(
        f"/api/v1/admin/tenants/{comp.tenant_id}/billing",
        headers=admin_headers,
        json={"plan_override": "enterprise", "comped": True, "note": "non-profit"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["plan"], r.json()["status"], r.json()["mrr_cents"]) == ("enterprise", "comped", 0)
    state = await billing.billing(comp)
    assert state["plan"]["name"] == "enterprise" and state["override"] == {
        "plan": "enterprise",
        "comped": True,
        "note": "non-profit",
    }
    # the change is on the tenant's own audit log
    audit = (
        await c.get("/api/v1/customer/audit", headers=comp.headers, params={"action": "billing."})
    ).json()
    assert {e["action"] for e in audit["items"]} >= {"billing.override", "billing.changed"}
    # an override wins over Stripe until it is cleared
    r = await c.put(
        f"/api/v1/admin/tenants/{pro.tenant_id}/billing",
        headers=admin_headers,
        json={"plan_override": "starter"},
    )
    assert r.json()["plan"] == "starter"
    r = await c.put(
        f"/api/v1/admin/tenants/{pro.tenant_id}/billing", headers=admin_headers, json={"plan_override": None}
    )
    assert r.json()["plan"] == "pro"
    r = await c.put(
        f"/api/v1/admin/tenants/{pro.tenant_id}/billing",
        headers=admin_headers,
        json={"plan_override": "gold"},
    )
    assert r.status_code == 422
    r = await c.put(f"/api/v1/admin/tenants/{uuid.uuid4()}/billing", headers=admin_headers, json={})
    assert r.status_code == 404


async def test_without_stripe_billing_says_it_is_off(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client, "Offline Orchard")
    r = await client.get(BILLING, headers=owner.headers)
    assert (
        r.status_code == 200 and r.json()["billing_enabled"] is False and r.json()["plan"]["name"] == "free"
    )
    r = await client.post(f"{BILLING}/checkout", headers=owner.headers, json={"plan": "pro"})
    assert r.status_code == 503 and r.json()["code"] == "billing_unavailable"
    r = await client.post(HOOK, content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert r.status_code == 404


async def test_an_event_that_fails_to_apply_is_retried_then_set_aside(billing: Billing, monkeypatch) -> None:
    owner = await billing.owner("Flaky Florist")
    events = billing.stripe.complete_checkout(await billing.checkout(owner, "starter"))

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(webhooks.HANDLERS, "customer.subscription.created", broken)
    r = await billing.deliver(events[1])
    assert r.status_code == 200 and r.json()["status"] == "pending"  # stored: Stripe need not resend
    event_id = events[1]["id"]
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        # backing off: not due before the backoff has run out
        assert await webhooks.process(billing.runtime.db, billing.runtime.cache, event_id) == "not due"
        async with unit_of_work(billing.runtime.db, admin=("tests", "backoff")) as session:
            row = await session.get(StripeEvent, event_id)
            assert row is not None and row.next_attempt_at > utcnow()
            row.next_attempt_at = utcnow()
        assert await webhooks.process(billing.runtime.db, billing.runtime.cache, event_id) == "pending"
    async with unit_of_work(billing.runtime.db, admin=("tests", "check")) as session:
        row = await session.get(StripeEvent, event_id)
        assert row is not None and (row.status, row.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
        assert "database hiccup" in (row.last_error or "")
    assert event_id not in await webhooks.due_events(billing.runtime.db)

    # once the cause is fixed, a later event of the same kind applies normally
    monkeypatch.undo()
    again = billing.stripe.event("customer.subscription.created", events[1]["data"]["object"])
    assert (await billing.deliver(again)).json()["status"] == "processed"
    assert (await billing.billing(owner))["plan"]["name"] == "starter"


async def test_a_plan_the_customer_buys_replaces_an_admins_override(billing: Billing, admin_headers) -> None:
    owner = await billing.owner("Override Orchids")
    r = await billing.client.put(
        f"/api/v1/admin/tenants/{owner.tenant_id}/billing",
        headers=admin_headers,
        json={"plan_override": "starter"},
    )
    assert r.json()["plan"] == "starter"
    await billing.subscribe(owner, "pro")
    state = await billing.billing(owner)
    assert state["plan"]["name"] == "pro" and state["override"] is None
    # a comped workspace cannot start a checkout
    comped = await billing.owner("Comped Cafe")
    await billing.client.put(
        f"/api/v1/admin/tenants/{comped.tenant_id}/billing", headers=admin_headers, json={"comped": True}
    )
    r = await billing.client.post(f"{BILLING}/checkout", headers=comped.headers, json={"plan": "pro"})
    assert r.status_code == 409 and "comped" in r.json()["detail"]


async def test_a_reset_billing_period_does_not_report_messages_twice(billing: Billing) -> None:
    """A period that just ended is topped up for an hour, but never with messages that belong to
    the period that replaced it (a new subscription, a reset billing anchor)."""
    owner = await billing.owner("Anchor Antiques")
    await billing.subscribe(owner, "pro")
    now = utcnow()
    old_start, old_end = now - timedelta(days=20), now - timedelta(minutes=10)
    new_start = now - timedelta(days=5)
    for _ in range(3):
        await billing.chat(owner)
    account = await billing.account(owner.tenant_id)
    async with unit_of_work(billing.runtime.db, tenant_id=owner.tenant_id) as session:
        # the messages were sent yesterday, inside both the old period and the new one
        await session.execute(update(Message).values(created_at=now - timedelta(days=1)))
        await session.execute(
            update(BillingAccount).values(
                current_period_start=new_start, current_period_end=now + timedelta(days=25)
            )
        )
        session.add(
            UsageReport(
                period_start=old_start,
                period_end=old_end,
                identifier=f"fd-earlier-{uuid.uuid4().hex}",
                event_name="frontdesk_messages",
                stripe_customer_id=account.stripe_customer_id or "",
                quantity=0,
                timestamp=int(old_start.timestamp()),
                status="sent",
            )
        )
    await metering.plan_reports(billing.runtime.db, now=now)
    await metering.send_due(billing.runtime.db, billing.runtime.stripe, now=now)
    assert billing.stripe.meter_total(account.stripe_customer_id or "") == 3


async def test_a_cancelled_subscriptions_last_messages_are_still_reported_once(billing: Billing) -> None:
    owner = await billing.owner("Cancelled Candles")
    events = await billing.subscribe(owner, "pro")
    customer = (await billing.account(owner.tenant_id)).stripe_customer_id or ""
    for _ in range(2):
        await billing.chat(owner)
    async with unit_of_work(billing.runtime.db, tenant_id=owner.tenant_id) as session:
        await session.execute(update(Message).values(created_at=utcnow() - timedelta(seconds=30)))
    ended = int(utcnow().timestamp())
    sub = {**events[1]["data"]["object"], "status": "canceled", "ended_at": ended}
    for item in sub["items"]["data"]:  # the period began an hour ago (the messages are 30 s old)
        item["current_period_start"] = ended - 3600
    await billing.deliver(billing.stripe.event("customer.subscription.deleted", sub))
    assert (await billing.chat(owner)).status_code == 200  # on Free now: not metered
    for _ in range(2):  # the job runs twice: reported once
        await metering.report_usage(billing.runtime.db, billing.runtime.stripe)
    assert billing.stripe.meter_total(customer) == 2


async def test_a_failed_event_requeued_by_an_admin_is_applied(billing: Billing, monkeypatch) -> None:
    owner = await billing.owner("Requeued Roastery")
    events = billing.stripe.complete_checkout(await billing.checkout(owner, "starter"))

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(webhooks.HANDLERS, "customer.subscription.created", broken)
    for event in events:
        assert (await billing.deliver(event)).status_code == 200
    event_id = events[1]["id"]
    for _ in range(webhooks.MAX_ATTEMPTS - 1):  # the backoff runs out, the sweep tries again
        async with unit_of_work(billing.runtime.db, admin=("tests", "backoff")) as session:
            await session.execute(
                update(StripeEvent).where(StripeEvent.id == event_id).values(next_attempt_at=utcnow())
            )
        assert event_id in await webhooks.due_events(billing.runtime.db)
        await webhooks.process(billing.runtime.db, billing.runtime.cache, event_id)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listed = await billing.client.get(
        "/api/v1/admin/webhook-events", headers=admin, params={"source": "stripe", "status": "failed"}
    )
    [failed] = [item for item in listed.json()["items"] if item["id"] == event_id]
    assert failed["attempts"] == webhooks.MAX_ATTEMPTS and "database hiccup" in failed["last_error"]

    monkeypatch.undo()  # the cause is fixed
    r = await billing.client.post(f"/api/v1/admin/webhook-events/stripe/{event_id}/requeue", headers=admin)
    assert r.status_code == 204

    async def applied() -> bool:
        async with unit_of_work(billing.runtime.db, admin=("tests", "check")) as session:
            row = await session.get(StripeEvent, event_id)
            return row is not None and row.status == "processed"

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if await applied():
            break
        await asyncio.sleep(0.05)
    assert await applied()
    account = await billing.account(owner.tenant_id)
    assert account.stripe_price_id is not None and account.amount_cents > 0  # the subscription's details
