"""Billing's jobs: Stripe's event inbox (sweep, one event) and usage reports to Stripe.
Registered with the broker through ``jobs.registry``; senders name them."""

from __future__ import annotations

from typing import Protocol, cast

from frontdesk.billing import metering, webhooks
from frontdesk.billing.gateway import StripeGateway
from frontdesk.jobs.broker import task
from frontdesk.jobs.context import JobContext, job_context


class BillingJobs(JobContext, Protocol):
    """The job context and the Stripe gateway (the runtime has both)."""

    stripe: StripeGateway


@task(task_name="frontdesk.billing.sweep_events")
async def sweep_stripe_events() -> int:
    """Apply again the Stripe events whose application failed, once their backoff ran out."""
    jobs = job_context()
    due = await webhooks.due_events(jobs.db)
    for event_id in due:
        await webhooks.process(jobs.db, jobs.cache, event_id)
    return len(due)


@task(task_name="frontdesk.billing.process_event")
async def process_stripe_event(event_id: str) -> str:
    """Apply one Stripe event (a requeued one, for instance) if it is due."""
    jobs = job_context()
    return await webhooks.process(jobs.db, jobs.cache, event_id)


@task(task_name="frontdesk.billing.report_usage")
async def report_usage() -> int:
    """Report metered subscriptions' messages to Stripe (each message once)."""
    jobs = cast(BillingJobs, job_context())
    _, sent = await metering.report_usage(jobs.db, jobs.stripe)
    return sent
