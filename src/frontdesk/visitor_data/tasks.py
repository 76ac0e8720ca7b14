"""Visitor data jobs: the retention sweep (visitor_data/retention.py)."""

from __future__ import annotations

from frontdesk.jobs.broker import task
from frontdesk.jobs.context import job_context
from frontdesk.visitor_data import retention


@task(task_name="frontdesk.privacy.apply_retention")
async def apply_retention() -> int:
    """Delete visitor messages, leads and Crisp rows older than each tenant's retention period."""
    return await retention.apply_all(job_context().db)
