"""Plans as data. Billing (Stripe price ids, seats, trials) extends this table later."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    monthly_messages: int | None  # None: unlimited
    tenant_per_minute: int  # chat messages per minute across the tenant
    session_per_minute: int  # chat messages per minute from one visitor session


PLANS: dict[str, Plan] = {
    "free": Plan("free", monthly_messages=1_000, tenant_per_minute=60, session_per_minute=20),
    "starter": Plan("starter", monthly_messages=10_000, tenant_per_minute=300, session_per_minute=30),
    "pro": Plan("pro", monthly_messages=100_000, tenant_per_minute=1_200, session_per_minute=30),
    "enterprise": Plan("enterprise", monthly_messages=None, tenant_per_minute=6_000, session_per_minute=60),
}


def plan_for(name: str) -> Plan:
    return PLANS.get(name, PLANS["free"])
