"""Periodic jobs: each runs once per interval across all processes (a cache marker per slot).

The schedule names its tasks (declared beside their domains, registered by ``jobs.registry``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from frontdesk.jobs.enqueue import send
from frontdesk.kit.cache import Cache

log = structlog.get_logger()


@dataclass(frozen=True)
class Periodic:
    task_name: str
    every_seconds: float


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("frontdesk.purge_dead_keys", 3600.0),
    Periodic("frontdesk.crisp.sweep", 15.0),
    Periodic("frontdesk.billing.sweep_events", 60.0),
    Periodic("frontdesk.billing.report_usage", 300.0),
    Periodic("frontdesk.privacy.apply_retention", 3600.0),
    Periodic("frontdesk.knowledge.sweep_embeddings", 120.0),
    Periodic("frontdesk.knowledge.sweep_embedding_models", 3600.0),
    Periodic("frontdesk.knowledge.sync_due_imports", 300.0),
)
KEY_FLUSH_SECONDS = 30.0


class _KeyUse(Protocol):
    async def flush_last_used(self) -> Any: ...


class Process(Protocol):
    """What the loop uses of the process's runtime (structurally: frontdesk.runtime.Runtime)."""

    @property
    def cache(self) -> Cache: ...

    @property
    def keys(self) -> _KeyUse: ...


async def tick(runtime: Process, schedule: tuple[Periodic, ...] = SCHEDULE) -> list[str]:
    """Enqueue every job whose slot has not been claimed yet; returns the names sent."""
    sent = []
    now = time.time()
    for item in schedule:
        slot = int(now // item.every_seconds)
        marker = f"periodic:{item.task_name}:{slot}"
        if await runtime.cache.add(marker, b"1", item.every_seconds * 2):
            await send(item.task_name)
            sent.append(item.task_name)
    return sent


async def run_forever(
    runtime: Process, *, run_schedule: bool, stop: asyncio.Event, interval: float = 5.0
) -> None:
    """Background loop of a process: flush key last-use times; enqueue periodic jobs. Ends when
    ``stop`` is set."""
    last_flush = time.monotonic()
    while not stop.is_set():
        try:
            if run_schedule:
                await tick(runtime)
            if time.monotonic() - last_flush >= KEY_FLUSH_SECONDS:
                last_flush = time.monotonic()
                await runtime.keys.flush_last_used()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic.failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
