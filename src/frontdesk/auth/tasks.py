"""Auth jobs: purging dead API keys."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import delete, or_

from frontdesk.db.session import unit_of_work
from frontdesk.jobs.broker import task
from frontdesk.jobs.context import job_context
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey

log = structlog.get_logger()
KEY_RETENTION = timedelta(days=30)


@task(task_name="frontdesk.purge_dead_keys")
async def purge_dead_keys() -> int:
    """Delete keys that were revoked or expired more than 30 days ago."""
    cutoff = utcnow() - KEY_RETENTION
    jobs = job_context()
    async with unit_of_work(jobs.db, admin=("system:jobs", "purge dead api keys")) as session:
        result = await session.execute(
            delete(ApiKey).where(or_(ApiKey.revoked_at < cutoff, ApiKey.expires_at < cutoff))
        )
    count = int(getattr(result, "rowcount", 0) or 0)
    log.info("jobs.purge_dead_keys", deleted=count)
    return count
