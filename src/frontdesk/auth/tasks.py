"""The auth domain's jobs: the emails that must wait for a commit. Payloads carry ids, never
a token (a job may sit in Redis): the task makes the link itself."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import flows
from frontdesk.auth.flows import InvitationMail
from frontdesk.jobs.broker import task
from frontdesk.jobs.enqueue import enqueue_after_commit
from frontdesk.models import Invitation
from frontdesk.runtime import current_runtime

log = structlog.get_logger()


@task(task_name="frontdesk.auth.send_invitation")
async def send_invitation(tenant_id: str, invitation_id: str, base: str, kind: InvitationMail) -> bool:
    """Email a pending invitation (a team invitation, or a new workspace's owner) its link."""
    runtime = current_runtime()
    return await flows.email_invitation(
        runtime.db, runtime.mailer, uuid.UUID(tenant_id), uuid.UUID(invitation_id), base=base, kind=kind
    )


@task(task_name="frontdesk.auth.send_unlock_link")
async def send_unlock_link(user_id: str, base: str) -> bool:
    """Email the owner of an account that started waiting between sign-ins an unlock link."""
    runtime = current_runtime()
    return await flows.email_unlock_link(runtime.db, runtime.mailer, uuid.UUID(user_id), base=base)


def unlock_notice(base: str) -> flows.UnlockNotice:
    """What a sign-in flow calls, after its commit, when an account starts waiting."""

    async def notify(user_id: uuid.UUID) -> None:
        try:
            await send_unlock_link.kiq(str(user_id), base)
        except Exception:  # the answer (401) must not depend on the queue; the owner can reset instead
            log.exception("auth.unlock_notice_failed", user_id=str(user_id))

    return notify


def send_invitation_after_commit(
    session: AsyncSession, invitation: Invitation, *, base: str, kind: InvitationMail
) -> None:
    """The invitation's email goes out only if the transaction that made it commits."""
    enqueue_after_commit(session, send_invitation, str(invitation.tenant_id), str(invitation.id), base, kind)
