"""Background tasks. Each receives ids or nothing, never ORM objects."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete, or_

# declared beside their domain; imported here so that every worker registers them
from frontdesk.auth.tasks import send_invitation as send_invitation
from frontdesk.auth.tasks import send_unlock_link as send_unlock_link
from frontdesk.billing import metering, webhooks
from frontdesk.channels.crisp import service as crisp
from frontdesk.db.session import unit_of_work
from frontdesk.jobs.broker import task
from frontdesk.kit.time import utcnow
from frontdesk.knowledge import imports
from frontdesk.knowledge.chunks import embed_chunks as embed_chunks
from frontdesk.knowledge.chunks import reembed_tenant as reembed_tenant
from frontdesk.knowledge.chunks import sweep_embedding_models as sweep_embedding_models
from frontdesk.knowledge.chunks import sweep_embeddings as sweep_embeddings
from frontdesk.models import ApiKey
from frontdesk.runtime import current_runtime
from frontdesk.visitor_data import flows as visitor_data

log = structlog.get_logger()
KEY_RETENTION = timedelta(days=30)


@task(task_name="frontdesk.purge_dead_keys")
async def purge_dead_keys() -> int:
    """Delete keys that were revoked or expired more than 30 days ago."""
    cutoff = utcnow() - KEY_RETENTION
    runtime = current_runtime()
    async with unit_of_work(runtime.db, admin=("system:jobs", "purge dead api keys")) as session:
        result = await session.execute(
            delete(ApiKey).where(or_(ApiKey.revoked_at < cutoff, ApiKey.expires_at < cutoff))
        )
    count = int(getattr(result, "rowcount", 0) or 0)
    log.info("jobs.purge_dead_keys", deleted=count)
    return count


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


@task(task_name="frontdesk.privacy.apply_retention")
async def apply_retention() -> int:
    """Delete visitor messages, leads and Crisp rows older than each tenant's retention period."""
    return await visitor_data.apply_retention(current_runtime().db)


@task(task_name="frontdesk.knowledge.run_import")
async def run_import(tenant_id: str, import_id: str) -> str:
    """Crawl one website import (a first import or a re-sync) and write its pages."""
    runtime = current_runtime()
    return await imports.run_import(
        runtime.db, runtime.cache, runtime.settings.outbound, uuid.UUID(tenant_id), uuid.UUID(import_id)
    )


@task(task_name="frontdesk.knowledge.sync_due_imports")
async def sync_due_imports() -> int:
    """Queue the website imports whose scheduled re-sync is due."""
    due = await imports.due_imports(current_runtime().db)
    for tenant_id, import_id in due:
        await run_import.kiq(str(tenant_id), str(import_id))
    return len(due)
