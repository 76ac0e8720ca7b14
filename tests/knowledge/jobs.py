"""Waiting for background jobs in tests (the in-memory broker runs them as asyncio tasks)."""

from __future__ import annotations

from frontdesk.runtime import Runtime


async def settle(runtime: Runtime) -> None:
    """Wait until no job is running, including jobs queued by jobs (``wait_all`` waits only for
    the ones running when it is called)."""
    for _ in range(50):
        await runtime.broker.wait_all()
        if not getattr(runtime.broker, "_running_tasks", None):
            return
