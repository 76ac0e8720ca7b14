"""Work that must wait for the commit: jobs to enqueue, caches to invalidate, mail to send.

A callback runs only once the transaction that registered it committed (the unit of work calls
``run_after_commit``) and is dropped on rollback. What must not be lost is written as a row
first; the callback carries only ids. Jobs use it through ``jobs.enqueue.enqueue_after_commit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

PENDING_KEY = "frontdesk.after_commit"
log = structlog.get_logger()

AfterCommit = Callable[[], Awaitable[Any]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    session.info.setdefault(PENDING_KEY, []).append(callback)


async def run_after_commit(session: AsyncSession) -> int:
    """Called by the unit of work once its commit succeeded."""
    callbacks: list[AfterCommit] = session.info.pop(PENDING_KEY, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:  # what matters is a row already; periodic sweeps pick it up
            log.exception("after_commit.failed", callback=getattr(callback, "__qualname__", "?"))
    return len(callbacks)


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(PENDING_KEY, None)
