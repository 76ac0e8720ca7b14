"""The auth domain's jobs: purging dead API keys, and the emails that must wait for a commit.

Mail payloads carry ids, never a token (a job may sit in Redis): the task makes the link itself.
Flows enqueue them by name (``auth.flows.send_invitation_after_commit``, ``unlock_notice``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete, or_

from frontdesk.auth import flows
from frontdesk.auth.flows import InvitationMail
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


@task(task_name=flows.SEND_INVITATION)
async def send_invitation(tenant_id: str, invitation_id: str, base: str, kind: InvitationMail) -> bool:
    """Email a pending invitation (a team invitation, or a new workspace's owner) its link."""
    jobs = job_context()
    return await flows.email_invitation(
        jobs.db,
        jobs.mailer,
        uuid.UUID(tenant_id),
        uuid.UUID(invitation_id),
        base=base,
        kind=kind,
        secret_key=jobs.settings.secret_key,
    )


@task(task_name=flows.SEND_UNLOCK_LINK)
async def send_unlock_link(user_id: str, base: str) -> bool:
    """Email the owner of an account that started waiting between sign-ins an unlock link."""
    jobs = job_context()
    return await flows.email_unlock_link(jobs.db, jobs.mailer, uuid.UUID(user_id), base=base)
