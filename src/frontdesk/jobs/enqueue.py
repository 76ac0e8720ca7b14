"""Work that must wait for the commit: jobs to enqueue, caches to invalidate.

A job is sent only once the transaction that asked for it committed, and dropped on
rollback. What must not be lost is written as a row first; the job carries only ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AsyncTaskiqDecoratedTask, async_shared_broker

PENDING_KEY = "frontdesk.after_commit"
log = structlog.get_logger()

AfterCommit = Callable[[], Awaitable[Any]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    session.info.setdefault(PENDING_KEY, []).append(callback)


def enqueue_after_commit(
    session: AsyncSession, task: str | AsyncTaskiqDecoratedTask[Any, Any], *args: Any, **kwargs: Any
) -> None:
    """Send ``task`` (a task or its name, e.g. ``"frontdesk.crisp.deliver_reply"``) once the
    session's transaction committed."""

    async def send() -> None:
        await _task(task).kiq(*args, **kwargs)

    after_commit(session, send)


def _task(task: str | AsyncTaskiqDecoratedTask[Any, Any]) -> AsyncTaskiqDecoratedTask[Any, Any]:
    if not isinstance(task, str):
        return task
    found = async_shared_broker.find_task(task)
    if found is None:  # its domain's tasks module was not imported in this process
        raise LookupError(f"No task named {task!r} is registered.")
    return found


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
