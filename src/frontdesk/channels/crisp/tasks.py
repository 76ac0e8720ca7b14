"""Crisp's jobs: answer a received hook event, post a reply, sweep what is due.

The service enqueues them by name (``jobs.enqueue.enqueue_after_commit``), so it never
imports this module; a worker registers them through ``jobs.registry``."""

from __future__ import annotations

import uuid
from typing import Protocol, cast

from frontdesk.channels.crisp import service
from frontdesk.channels.crisp.client import CrispClient
from frontdesk.chat.engine import ChatEngine
from frontdesk.jobs.broker import task
from frontdesk.jobs.context import JobContext, job_context
from frontdesk.jobs.enqueue import send


class CrispJobs(JobContext, Protocol):
    """What Crisp's jobs take from the process besides the job context (the runtime has both)."""

    chat: ChatEngine
    crisp: CrispClient


def _jobs() -> CrispJobs:
    return cast(CrispJobs, job_context())


@task(task_name=service.PROCESS_EVENT)
async def process_crisp_event(tenant_id: str, event_id: str) -> str:
    """A visitor's Crisp message through the chat pipeline; the reply goes to the outbox."""
    jobs = _jobs()
    return await service.process_event(jobs.db, jobs.chat, uuid.UUID(tenant_id), uuid.UUID(event_id))


@task(task_name=service.DELIVER_REPLY)
async def deliver_crisp_reply(tenant_id: str, delivery_id: str) -> str:
    """Post one reply to Crisp (or record why not and when to retry)."""
    jobs = _jobs()
    return await service.deliver(jobs.db, jobs.crisp, uuid.UUID(tenant_id), uuid.UUID(delivery_id))


@task(task_name="frontdesk.crisp.sweep")
async def sweep_crisp() -> int:
    """Re-send replies that are due and re-run events that are due (a crashed job's, a retry)."""
    deliveries, events = await service.due_work(job_context().db)
    for tenant_id, delivery_id in deliveries:
        await send(service.DELIVER_REPLY, str(tenant_id), str(delivery_id))
    for tenant_id, event_id in events:
        await send(service.PROCESS_EVENT, str(tenant_id), str(event_id))
    return len(deliveries) + len(events)
