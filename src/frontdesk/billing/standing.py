"""Where a tenant stands with its payments, and what the bot may do because of it (dunning).

A failed payment (``past_due``, then ``unpaid``) keeps full service for the plan's grace
period; after it the plan's ``past_due_action`` applies: ``offline`` (answers from the
knowledge base, no LLM) or ``suspend`` (the bot stops; the API says why). Comped accounts
never enter dunning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from frontdesk.billing.plans import Plan
from frontdesk.kit.errors import FrontdeskError

Level = Literal["full", "offline", "suspend"]
DUNNING_STATUSES = frozenset({"past_due", "unpaid"})


class PaymentRequired(FrontdeskError):
    status, code, title = 402, "payment_past_due", "The bot is paused until payment is made"


@dataclass(frozen=True)
class Standing:
    status: str
    plan_title: str
    past_due_since: datetime | None = None
    grace_until: datetime | None = None  # set while in dunning
    action: Level = "full"

    def level(self, now: datetime) -> Level:
        if self.grace_until is None or now < self.grace_until:
            return "full"
        return self.action

    def reason(self, now: datetime) -> str | None:
        if self.grace_until is None or self.past_due_since is None:
            return None
        failed = f"Payment for the {self.plan_title} plan failed on {self.past_due_since:%Y-%m-%d}"
        if now < self.grace_until:
            then = "answers from the knowledge base only" if self.action == "offline" else "pauses"
            return (
                f"{failed}. Service continues until {self.grace_until:%Y-%m-%d}; after that the bot {then}."
            )
        if self.action == "offline":
            return f"{failed}. The bot answers from the knowledge base only (no AI) until payment is made."
        return f"{failed}. The bot is paused until payment is made."

    def check(self, now: datetime) -> Level:
        """The level, raising 402 when the bot is suspended."""
        level = self.level(now)
        if level == "suspend":
            raise PaymentRequired(
                (self.reason(now) or "The bot is paused.")
                + " The account owner can update the payment method under Billing.",
                extra={"limit": "payment", "upgrade_url": "/app/billing/"},
            )
        return level


def standing(
    *, status: str, plan: Plan, past_due_since: datetime | None, comped: bool, now: datetime
) -> Standing:
    if comped or status not in DUNNING_STATUSES:
        return Standing(status=status, plan_title=plan.title)
    since = past_due_since or now
    action: Level = "offline" if plan.past_due_action == "offline" else "suspend"
    return Standing(
        status=status,
        plan_title=plan.title,
        past_due_since=since,
        grace_until=since + timedelta(days=plan.past_due_grace_days),
        action=action,
    )
