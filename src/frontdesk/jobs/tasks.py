"""The Crisp and Stripe jobs, until they move beside their domains, and a re-export of the rest.

TODO(issue 14): the channels helper moves the Crisp tasks to channels/crisp/tasks.py and the
Stripe ones to billing/tasks.py; then this module goes away. New tasks go in their domain's
``tasks.py`` and are listed in ``jobs/registry.py``; nothing should import this module.
"""

from __future__ import annotations

import uuid

from frontdesk.auth.tasks import purge_dead_keys as purge_dead_keys
from frontdesk.billing import metering, webhooks
from frontdesk.channels.crisp import service as crisp
from frontdesk.jobs.broker import task
from frontdesk.knowledge.tasks import embed_chunks as embed_chunks
from frontdesk.knowledge.tasks import reembed_tenant as reembed_tenant
from frontdesk.knowledge.tasks import run_import as run_import
from frontdesk.knowledge.tasks import sweep_embedding_models as sweep_embedding_models
from frontdesk.knowledge.tasks import sweep_embeddings as sweep_embeddings
from frontdesk.knowledge.tasks import sync_due_imports as sync_due_imports
from frontdesk.runtime import current_runtime
from frontdesk.visitor_data.tasks import apply_retention as apply_retention


@task(task_name="frontdesk.crisp.process_event")
async def process_crisp_event(tenant_id: str, event_id: str) -> str:
    """A visitor's Crisp message through the chat pipeline; the reply goes to the outbox."""
    runtime = current_runtime()
    return await crisp.process_event(runtime.db, runtime.chat, uuid.UUID(tenant_id), uuid.UUID(event_id))


@task(task_name="frontdesk.crisp.deliver_reply")
async def deliver_crisp_reply(tenant_id: str, delivery_id: str) -> str:
    """Post one reply to Crisp (or record why not and when to retry)."""
    runtime = current_runtime()
    return await crisp.deliver(runtime.db, runtime.crisp, uuid.UUID(tenant_id), uuid.UUID(delivery_id))


@task(task_name="frontdesk.crisp.sweep")
async def sweep_crisp() -> int:
    """Re-send replies that are due and re-run events a crashed job left behind."""
    deliveries, events = await crisp.due_work(current_runtime().db)
    for tenant_id, delivery_id in deliveries:
        await deliver_crisp_reply.kiq(str(tenant_id), str(delivery_id))
    for tenant_id, event_id in events:
        await process_crisp_event.kiq(str(tenant_id), str(event_id))
    return len(deliveries) + len(events)


@task(task_name="frontdesk.billing.sweep_events")
async def sweep_stripe_events() -> int:
    """Apply again the Stripe events whose first application failed."""
    runtime = current_runtime()
    due = await webhooks.due_events(runtime.db)
    for event_id in due:
        await webhooks.process(runtime.db, runtime.cache, event_id)
    return len(due)


@task(task_name="frontdesk.billing.report_usage")
async def report_usage() -> int:
    """Report metered subscriptions' messages to Stripe (each message once)."""
    runtime = current_runtime()
    _, sent = await metering.report_usage(runtime.db, runtime.stripe)
    return sent
