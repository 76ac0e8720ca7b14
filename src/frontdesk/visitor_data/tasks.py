"""Visitor data jobs: the retention sweep (visitor_data/flows.py)."""

from __future__ import annotations

from frontdesk.jobs.broker import task
from frontdesk.jobs.context import job_context
from frontdesk.visitor_data import flows


@task(task_name="frontdesk.privacy.apply_retention")
async def apply_retention() -> int:
    """Delete visitor messages, leads and Crisp rows older than each tenant's retention period."""
    return await flows.apply_retention(job_context().db)
