"""Background tasks. Each receives ids or nothing, never ORM objects."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete, or_

# declared beside their domain; imported here so that every worker registers them
from frontdesk.billing.tasks import process_stripe_event as process_stripe_event
from frontdesk.billing.tasks import report_usage as report_usage
from frontdesk.billing.tasks import sweep_stripe_events as sweep_stripe_events
from frontdesk.channels.crisp.tasks import deliver_crisp_reply as deliver_crisp_reply
from frontdesk.channels.crisp.tasks import process_crisp_event as process_crisp_event
from frontdesk.channels.crisp.tasks import sweep_crisp as sweep_crisp
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
from frontdesk.visitor_data import retention

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


@task(task_name="frontdesk.privacy.apply_retention")
async def apply_retention() -> int:
    """Delete visitor messages, leads and Crisp rows older than each tenant's retention period."""
    return await retention.apply_all(current_runtime().db)


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
