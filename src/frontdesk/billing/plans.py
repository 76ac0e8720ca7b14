"""Plans as data: a TOML file (``plans.toml`` here, or ``FRONTDESK_PLANS_FILE``) read once per
process. Code asks the plan for a limit; it never branches on a plan's name."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

DEFAULT_FILE = Path(__file__).with_name("plans.toml")
FREE = "free"
PastDueAction = Literal["offline", "suspend"]


@dataclass(frozen=True)
class Plan:
    name: str
    title: str
    price_cents: int  # a month, for display and MRR of comped/overridden accounts
    currency: str
    monthly_messages: int | None  # None: unlimited
    knowledge_documents: int | None
    seats: int | None
    channels: frozenset[str]
    remove_branding: bool
    trial_days: int
    tenant_per_minute: int  # chat messages per minute across the tenant
    session_per_minute: int  # chat messages per minute from one visitor session
    max_output_tokens: int  # the most an LLM reply may cost, whatever the bot config asks
    max_import_pages: int  # the most pages one website import fetches
    stripe_price: str | None
    stripe_metered_price: str | None
    meter_event: str | None
    past_due_grace_days: int
    past_due_action: PastDueAction

    @property
    def purchasable(self) -> bool:
        return bool(self.stripe_price)

    def allows_channel(self, channel: str) -> bool:
        return channel == "api" or channel in self.channels


_FIELDS = {
    "title": str,
    "price_cents": int,
    "currency": str,
    "monthly_messages": int,
    "knowledge_documents": int,
    "seats": int,
    "channels": list,
    "remove_branding": bool,
    "trial_days": int,
    "tenant_per_minute": int,
    "session_per_minute": int,
    "max_output_tokens": int,
    "max_import_pages": int,
    "stripe_price": str,
    "stripe_metered_price": str,
    "meter_event": str,
    "past_due_grace_days": int,
    "past_due_action": str,
}


class PlanFileError(ValueError):
    """The plans file is unreadable or wrong; the message names the plan and field."""


def _plan(name: str, raw: dict[str, Any]) -> Plan:
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise PlanFileError(f"plan {name!r}: unknown field(s) {', '.join(unknown)}")
    for field, kind in _FIELDS.items():
        if field in raw and (
            not isinstance(raw[field], kind) or isinstance(raw[field], bool) != (kind is bool)
        ):
            raise PlanFileError(f"plan {name!r}: {field} must be a {kind.__name__}")
    action = raw.get("past_due_action", "offline")
    if action not in ("offline", "suspend"):
        raise PlanFileError(f"plan {name!r}: past_due_action must be 'offline' or 'suspend'")
    return Plan(
        name=name,
        title=raw.get("title", name.title()),
        price_cents=raw.get("price_cents", 0),
        currency=raw.get("currency", "usd").lower(),
        monthly_messages=raw.get("monthly_messages"),
        knowledge_documents=raw.get("knowledge_documents"),
        seats=raw.get("seats"),
        channels=frozenset(raw.get("channels", ["api", "widget"])),
        remove_branding=raw.get("remove_branding", False),
        trial_days=raw.get("trial_days", 0),
        tenant_per_minute=raw.get("tenant_per_minute", 60),
        session_per_minute=raw.get("session_per_minute", 20),
        max_output_tokens=raw.get("max_output_tokens", 500),
        max_import_pages=raw.get("max_import_pages", 50),
        stripe_price=raw.get("stripe_price") or None,
        stripe_metered_price=raw.get("stripe_metered_price") or None,
        meter_event=raw.get("meter_event") or None,
        past_due_grace_days=raw.get("past_due_grace_days", 7),
        past_due_action=action,
    )


def load(path: Path) -> dict[str, Plan]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PlanFileError(f"{path}: {error}") from None
    plans = {name: _plan(name, raw) for name, raw in data.get("plans", {}).items()}
    if FREE not in plans:
        raise PlanFileError(f"{path}: a plan named 'free' is required (tenants without a subscription)")
    return plans


_catalog: dict[str, Plan] | None = None


def install(path: Path | None) -> dict[str, Plan]:
    """Load the deployment's plans (the runtime does this at start-up)."""
    global _catalog
    _catalog = load(path or DEFAULT_FILE)
    return _catalog


def catalog() -> dict[str, Plan]:
    return _catalog if _catalog is not None else install(None)


def plan_for(name: str) -> Plan:
    plans = catalog()
    return plans.get(name, plans[FREE])


def plan_for_price(price_id: str | None) -> Plan | None:
    """The plan a Stripe price subscribes to (its licensed price)."""
    if not price_id:
        return None
    return next((p for p in catalog().values() if p.stripe_price == price_id), None)


def exists(name: str) -> bool:
    return name in catalog()
