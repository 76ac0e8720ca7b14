"""Billing's jobs: Stripe's event inbox (sweep, one event) and usage reports to Stripe.
Registered with the broker through ``jobs.registry``; senders name them."""

from __future__ import annotations

from frontdesk.billing import metering, webhooks
from frontdesk.jobs.broker import task
from frontdesk.jobs.context import job_context

# the Stripe gateway is the runtime's (the job context holds only db, cache and settings)
from frontdesk.runtime import current_runtime


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
    runtime = current_runtime()
    _, sent = await metering.report_usage(runtime.db, runtime.stripe)
    return sent
