"""Stripe through the official SDK (``StripeClient``, async methods over httpx). The API URL
is a setting, so tests aim the real SDK at a fake Stripe on loopback."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import stripe
import structlog

from frontdesk.config import Settings
from frontdesk.kit.errors import FrontdeskError

log = structlog.get_logger()
TIMEOUT_SECONDS = 15.0
NETWORK_RETRIES = 2  # the SDK retries with idempotency keys on connection errors and 409/5xx


class BillingUnavailable(FrontdeskError):
    status, code, title = 503, "billing_unavailable", "Billing is not available"


class StripeFailure(FrontdeskError):
    status, code, title = 502, "stripe_error", "Stripe did not accept the request"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.stripe_api_key is not None
        self._client: stripe.StripeClient | None = None
        self._http: stripe.HTTPXClient | None = None
        if settings.stripe_api_key is not None:
            base = settings.stripe_api_url.rstrip("/")
            self._http = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS)
            self._client = stripe.StripeClient(
                settings.stripe_api_key.get_secret_value(),
                base_addresses={"api": base, "meter_events": base},
                http_client=self._http,
                max_network_retries=NETWORK_RETRIES,
            )

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            raise BillingUnavailable("Billing is not configured on this deployment (no STRIPE_API_KEY).")
        return self._client

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_customer(self, tenant_id: uuid.UUID, *, name: str, email: str) -> str:
        """Idempotent per tenant for Stripe's idempotency window: two racing requests get one customer."""
        customer = await self._call(
            self.client.v1.customers.create_async(
                params={"name": name, "email": email, "metadata": {"tenant_id": str(tenant_id)}},
                options={"idempotency_key": f"frontdesk-customer-{tenant_id}"},
            )
        )
        return str(customer.id)

    async def create_checkout(
        self,
        *,
        tenant_id: uuid.UUID,
        customer: str,
        plan: str,
        prices: list[str],
        metered_prices: list[str],
        trial_days: int,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutSession:
        subscription_data: dict[str, Any] = {"metadata": {"tenant_id": str(tenant_id), "plan": plan}}
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        params: Any = {
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": str(tenant_id),
            "line_items": [{"price": p, "quantity": 1} for p in prices]
            + [{"price": p} for p in metered_prices],  # usage prices take no quantity
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": {"tenant_id": str(tenant_id), "plan": plan},
            "subscription_data": subscription_data,
        }
        session = await self._call(self.client.v1.checkout.sessions.create_async(params=params))
        return CheckoutSession(id=str(session.id), url=str(session.url))

    async def create_portal(self, *, customer: str, return_url: str) -> str:
        portal = await self._call(
            self.client.v1.billing_portal.sessions.create_async(
                params={"customer": customer, "return_url": return_url}
            )
        )
        return str(portal.url)

    async def list_invoices(self, customer: str, *, limit: int = 12) -> list[dict[str, Any]]:
        page = await self._call(
            self.client.v1.invoices.list_async(params={"customer": customer, "limit": limit})
        )
        return [invoice.to_dict() for invoice in page.data]

    async def report_usage(
        self, *, event_name: str, customer: str, value: int, identifier: str, timestamp: int
    ) -> None:
        """One Billing Meter event; ``identifier`` is also the idempotency key of the request."""
        await self._call(
            self.client.v1.billing.meter_events.create_async(
                params={
                    "event_name": event_name,
                    "payload": {"stripe_customer_id": customer, "value": str(value)},
                    "identifier": identifier,
                    "timestamp": timestamp,
                },
                options={"idempotency_key": identifier},
            )
        )

    @staticmethod
    async def _call(request: Any) -> Any:
        try:
            return await request
        except stripe.StripeError as error:
            message = error.user_message or str(error) or type(error).__name__
            if isinstance(error, stripe.AuthenticationError):  # its message quotes part of the key
                message = "Stripe refused this deployment's API key."
            log.warning("stripe.error", kind=type(error).__name__, status=error.http_status, error=message)
            raise StripeFailure(f"Stripe: {message}", extra={"stripe_status": error.http_status}) from None
