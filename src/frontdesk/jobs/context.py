"""What a job takes from the process: the database, the cache and the settings.

The runtime installs a ``JobContext`` when it starts (as it installs the broker and the keyring)
and restores the previous one when it closes; a task reads it with ``job_context()``. So a
domain's ``tasks.py`` imports nothing above its own layer (not the runtime, which is built from
the domains).
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.kit.cache import Cache


@dataclass(frozen=True)
class JobContext:
    db: Database
    cache: Cache
    settings: Settings


_current: JobContext | None = None


def install_job_context(context: JobContext | None) -> JobContext | None:
    """Make ``context`` the one tasks see; returns the one it replaces (for restoring)."""
    global _current
    previous, _current = _current, context
    return previous


def job_context() -> JobContext:
    if _current is None:
        raise RuntimeError("no job context: the runtime installs one at start-up")
    return _current
