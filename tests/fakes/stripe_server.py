"""A fake Stripe API on loopback that the official ``stripe`` SDK talks to as it would to Stripe.

    with FakeStripe() as stripe_fake:
        settings = settings.model_copy(update={"stripe_api_url": stripe_fake.base_url, ...})

It speaks Stripe's wire format: form-encoded bodies with bracketed keys (``line_items[0][price]``),
``Authorization: Bearer sk_…`` (401 otherwise), JSON objects with ``id``/``object``, list objects,
``{"error": {"type", "message", "code", "param"}}`` errors, and idempotency keys (a repeated
``Idempotency-Key`` replays the first response, ``Idempotent-Replayed: true``).

Endpoints: customers, checkout sessions (subscription mode, price and quantity rules of
metered prices), billing portal sessions, invoices (list), billing meter events (identifier
unique). Pages: ``/c/pay/{id}`` (a checkout page whose "Pay and subscribe" button completes the
checkout, sends the signed web hooks to ``webhook_url`` and redirects to ``success_url``) and
``/p/session/{id}`` (the portal).

``event(type, obj)`` builds an event as Stripe sends it and ``signed(event)`` the request
(``Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "{t}.{payload}")``); ``complete_checkout``
returns the events a paid checkout produces; ``fail_next`` simulates an outage, optionally
one where Stripe did the work but the response was lost.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

API_KEY = "sk_test_frontdesk_fake"
WEBHOOK_SECRET = "whsec_frontdesk_fake_secret"
DAY = 86400
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_test{next(_ids):06d}{int(time.time() * 1000) % 100000:05d}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding → nested dicts; dicts with keys 0..n become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(value: Any) -> Any:
        if isinstance(value, dict):
            value = {k: listify(v) for k, v in value.items()}
            if value and all(k.isdigit() for k in value):
                return [value[k] for k in sorted(value, key=int)]
        return value

    return listify(root)  # type: ignore[no-any-return]


def error(status: int, message: str, *, code: str | None = None, param: str | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "api_error"
    return JSONResponse(
        {"error": {"type": kind, "message": message, "code": code, "param": param}}, status_code=status
    )


def no_such_customer(customer: Any, param: str) -> JSONResponse:
    return error(400, f"No such customer: '{customer}'", code="resource_missing", param=param)


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={signature}"


def signed(
    event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The request Stripe makes to a web hook endpoint."""
    payload = json.dumps(event, indent=2)  # Stripe sends pretty-printed JSON
    return payload.encode(), {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(payload, secret, timestamp),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


@dataclass
class Failure:
    path: str
    status: int
    after_effect: bool  # Stripe did the work; the response was lost


class FakeStripe(LoopbackServer):
    name = "fake-stripe"

    def __init__(self, *, webhook_url: str | None = None, webhook_secret: str = WEBHOOK_SECRET) -> None:
        super().__init__()
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.lock = threading.Lock()
        self.prices: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.meter_events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.delivered: list[tuple[str, int]] = []  # (event type, our response status)
        self._idempotent: dict[tuple[str, str], tuple[int, Any]] = {}
        self._failures: list[Failure] = []
        self.add_price("price_frontdesk_starter_monthly", 2900)
        self.add_price("price_frontdesk_pro_monthly", 9900)
        self.add_price("price_frontdesk_pro_messages", 1, metered=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_price(self, price_id: str, unit_amount: int, *, metered: bool = False) -> dict[str, Any]:
        price = {
            "id": price_id,
            "object": "price",
            "active": True,
            "currency": "usd",
            "unit_amount": unit_amount,
            "type": "recurring",
            "recurring": {
                "interval": "month",
                "interval_count": 1,
                "usage_type": "metered" if metered else "licensed",
                "meter": "mtr_test_messages" if metered else None,
            },
        }
        self.prices[price_id] = price
        return price

    def fail_next(
        self,
        count: int,
        *,
        path: str = "/v1/billing/meter_events",
        status: int = 500,
        after_effect: bool = False,
    ) -> None:
        self._failures.extend(Failure(path, status, after_effect) for _ in range(count))

    def meter_total(self, customer: str) -> int:
        return sum(
            int(e["payload"]["value"])
            for e in self.meter_events
            if e["payload"]["stripe_customer_id"] == customer
        )

    # --- objects ----------------------------------------------------------------------------

    def subscription(
        self,
        customer: str,
        prices: list[str],
        *,
        status: str = "active",
        trial_days: int = 0,
        metadata: dict[str, str] | None = None,
        start: int | None = None,
    ) -> dict[str, Any]:
        """A subscription as the API version the SDK pins returns it (periods on the items)."""
        now = int(time.time()) if start is None else start
        end = now + 30 * DAY
        sub_id = new_id("sub")
        items = []
        for price_id in prices:
            price = self.prices[price_id]
            item: dict[str, Any] = {
                "id": new_id("si"),
                "object": "subscription_item",
                "price": price,
                "current_period_start": now,
                "current_period_end": end,
                "subscription": sub_id,
            }
            if price["recurring"]["usage_type"] == "licensed":
                item["quantity"] = 1
            items.append(item)
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": "trialing" if trial_days else status,
            "currency": "usd",
            "items": {"object": "list", "data": items, "has_more": False},
            "metadata": metadata or {},
            "trial_end": now + trial_days * DAY if trial_days else None,
            "cancel_at_period_end": False,
            "created": now,
            "livemode": False,
        }
        self.subscriptions[sub_id] = sub
        return sub

    def invoice(self, subscription: dict[str, Any], *, paid: bool) -> dict[str, Any]:
        amount = sum(
            (i["price"]["unit_amount"] or 0) * i.get("quantity", 0) for i in subscription["items"]["data"]
        )
        if subscription["status"] == "trialing":
            amount = 0
        number = f"FD-{len(self.invoices) + 1:04d}"
        invoice_id = new_id("in")
        now = int(time.time())
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": subscription["customer"],
            "number": number,
            "status": "paid" if paid else "open",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "currency": "usd",
            "created": now,
            "period_start": subscription["items"]["data"][0]["current_period_start"],
            "period_end": subscription["items"]["data"][0]["current_period_end"],
            "hosted_invoice_url": f"{self.base_url}/i/{invoice_id}",
            "invoice_pdf": f"{self.base_url}/i/{invoice_id}/pdf",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": subscription["id"], "metadata": {}},
            },
            "livemode": False,
        }
        self.invoices[invoice_id] = invoice
        return invoice

    @staticmethod
    def event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        return {
            "id": new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()) if created is None else created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """What paying on the checkout page does: the subscription, its first invoice, and the
        events Stripe sends about them."""
        with self.lock:
            session = self.checkout_sessions[session_id]
            data = session["_subscription_data"]
            trial_days = int(data.get("trial_period_days") or 0)
            sub = self.subscription(
                session["customer"],
                [item["price"] for item in session["_line_items"]],
                trial_days=trial_days,
                metadata=data.get("metadata") or {},
            )
            invoice = self.invoice(sub, paid=True)
            session.update(
                status="complete",
                subscription=sub["id"],
                payment_status="no_payment_required" if trial_days else "paid",
            )
            public = {k: v for k, v in session.items() if not k.startswith("_")}
        return [
            self.event("checkout.session.completed", public),
            self.event("customer.subscription.created", sub),
            self.event("invoice.paid", invoice),
        ]

    # --- HTTP -------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/customers", self._create_customer, methods=["POST"]),
                Route("/v1/checkout/sessions", self._create_checkout, methods=["POST"]),
                Route("/v1/billing_portal/sessions", self._create_portal, methods=["POST"]),
                Route("/v1/invoices", self._list_invoices, methods=["GET"]),
                Route("/v1/billing/meter_events", self._create_meter_event, methods=["POST"]),
                Route("/c/pay/{session_id}", self._checkout_page, methods=["GET"]),
                Route("/c/pay/{session_id}", self._pay, methods=["POST"]),
                Route("/p/session/{session_id}", self._portal_page, methods=["GET"]),
            ]
        )

    async def _api(self, request: Request, handler: Any) -> Response:
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return error(401, "Invalid API Key provided.")
        if request.method == "POST":
            if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
                return error(400, "Stripe takes form-encoded bodies.")
            params = decode_form(
                urllib.parse.parse_qsl((await request.body()).decode(), keep_blank_values=True)
            )
        else:
            params = decode_form(list(request.query_params.multi_items()))
        self.requests.append((request.method, request.url.path, params))
        key = request.headers.get("idempotency-key")
        with self.lock:
            if key and (request.url.path, key) in self._idempotent:
                status, body = self._idempotent[(request.url.path, key)]
                return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})
            failure = next((f for f in self._failures if f.path == request.url.path), None)
            if failure is not None:
                self._failures.remove(failure)
                if not failure.after_effect:
                    return error(failure.status, "An error occurred with our connection to Stripe.")
            result = handler(params)
            if isinstance(result, JSONResponse):
                return result
            if key:
                self._idempotent[(request.url.path, key)] = (200, result)
            if failure is not None:  # done, but the caller never hears of it
                return error(failure.status, "An error occurred with our connection to Stripe.")
        return JSONResponse(result, headers={"Request-Id": new_id("req")})

    async def _create_customer(self, request: Request) -> Response:
        def create(params: dict[str, Any]) -> Any:
            customer = {
                "id": new_id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
                "livemode": False,
            }
            self.customers[customer["id"]] = customer
            return customer

        return await self._api(request, create)

    async def _create_checkout(self, request: Request) -> Response:
        def create(params: dict[str, Any]) -> Any:
            if params.get("mode") != "subscription":
                return error(400, "Only subscription mode is faked.", param="mode")
            if params.get("customer") not in self.customers:
                return no_such_customer(params.get("customer"), "customer")
            if not params.get("success_url"):
                return error(400, "Missing required param: success_url.", param="success_url")
            items = params.get("line_items") or []
            if not items:
                return error(400, "line_items is required in subscription mode.", param="line_items")
            for n, item in enumerate(items):
                price = self.prices.get(item.get("price", ""))
                if price is None:
                    return error(
                        400,
                        f"No such price: '{item.get('price')}'",
                        code="resource_missing",
                        param=f"line_items[{n}][price]",
                    )
                metered = price["recurring"]["usage_type"] == "metered"
                if metered and "quantity" in item:
                    return error(
                        400,
                        "Quantity should not be specified where usage_type is `metered`.",
                        param=f"line_items[{n}][quantity]",
                    )
                if not metered and "quantity" not in item:
                    return error(400, "Quantity is required.", param=f"line_items[{n}][quantity]")
            session_id = new_id("cs")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "subscription",
                "customer": params["customer"],
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "status": "open",
                "payment_status": "unpaid",
                "subscription": None,
                "success_url": params["success_url"],
                "cancel_url": params.get("cancel_url"),
                "url": f"{self.base_url}/c/pay/{session_id}",
                "livemode": False,
                "_line_items": items,
                "_subscription_data": params.get("subscription_data", {}),
            }
            self.checkout_sessions[session_id] = session
            return {k: v for k, v in session.items() if not k.startswith("_")}

        return await self._api(request, create)

    async def _create_portal(self, request: Request) -> Response:
        def create(params: dict[str, Any]) -> Any:
            if params.get("customer") not in self.customers:
                return no_such_customer(params.get("customer"), "customer")
            portal_id = new_id("bps")
            portal = {
                "id": portal_id,
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params.get("return_url"),
                "url": f"{self.base_url}/p/session/{portal_id}",
                "livemode": False,
            }
            self.portal_sessions[portal_id] = portal
            return portal

        return await self._api(request, create)

    async def _list_invoices(self, request: Request) -> Response:
        def listing(params: dict[str, Any]) -> Any:
            found = [i for i in self.invoices.values() if i["customer"] == params.get("customer")]
            found.sort(key=lambda i: i["created"], reverse=True)
            limit = int(params.get("limit", 10))
            return {
                "object": "list",
                "data": found[:limit],
                "has_more": len(found) > limit,
                "url": "/v1/invoices",
            }

        return await self._api(request, listing)

    async def _create_meter_event(self, request: Request) -> Response:
        def create(params: dict[str, Any]) -> Any:
            payload = params.get("payload") or {}
            if not params.get("event_name"):
                return error(400, "Missing required param: event_name.", param="event_name")
            if payload.get("stripe_customer_id") not in self.customers:
                return no_such_customer(payload.get("stripe_customer_id"), "payload[stripe_customer_id]")
            if not str(payload.get("value", "")).isdigit():
                return error(400, "payload[value] must be an integer.", param="payload[value]")
            identifier = params.get("identifier") or new_id("mev")
            if any(e["identifier"] == identifier for e in self.meter_events):
                return error(
                    400, f"An event already exists with identifier {identifier}.", param="identifier"
                )
            event = {
                "object": "billing.meter_event",
                "created": int(time.time()),
                "event_name": params["event_name"],
                "identifier": identifier,
                "livemode": False,
                "payload": payload,
                "timestamp": int(params.get("timestamp") or time.time()),
            }
            self.meter_events.append(event)
            return event

        return await self._api(request, create)

    # --- pages ------------------------------------------------------------------------------

    async def _checkout_page(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["session_id"])
        if session is None:
            return HTMLResponse("<h1>Checkout session not found</h1>", status_code=404)
        lines = "".join(
            f"<li>{html.escape(item['price'])} — {self.prices[item['price']]['unit_amount'] / 100:.2f} USD</li>"
            for item in session["_line_items"]
        )
        trial = session["_subscription_data"].get("trial_period_days")
        return HTMLResponse(
            "<!doctype html><title>Fake Stripe Checkout</title><h1>Fake Stripe Checkout</h1>"
            f"<ul>{lines}</ul>"
            + (f"<p>{html.escape(str(trial))}-day free trial</p>" if trial else "")
            + f'<form method="post"><button type="submit">Pay and subscribe</button></form>'
            f'<a href="{html.escape(session["cancel_url"] or "/")}">Cancel</a>'
        )

    async def _pay(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if session_id not in self.checkout_sessions:
            return HTMLResponse("<h1>Checkout session not found</h1>", status_code=404)
        events = self.complete_checkout(session_id)
        if self.webhook_url:
            async with httpx.AsyncClient(timeout=10) as client:
                for event in events:
                    body, headers = signed(event, self.webhook_secret)
                    r = await client.post(self.webhook_url, content=body, headers=headers)
                    self.delivered.append((event["type"], r.status_code))
        url = self.checkout_sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return RedirectResponse(url, status_code=303)

    async def _portal_page(self, request: Request) -> Response:
        portal = self.portal_sessions.get(request.path_params["session_id"])
        if portal is None:
            return HTMLResponse("<h1>Portal session not found</h1>", status_code=404)
        back = html.escape(portal["return_url"] or "/")
        return HTMLResponse(
            f'<!doctype html><title>Fake customer portal</title><h1>Fake customer portal</h1><a href="{back}">Return</a>'
        )
