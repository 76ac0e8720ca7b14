"""Every task of the application, registered with the broker by importing the modules that
declare them.

A task lives beside its domain (``<domain>/tasks.py``) and is declared on taskiq's shared
broker under a stable name (``frontdesk.<domain>.<what>``). Senders name it
(``jobs.enqueue.enqueue_after_commit(session, "frontdesk.knowledge.run_import", …)``) instead
of importing it, so the only module that imports every tasks module is this one. The entry
points (``app`` and the ``worker`` command of ``cli``) import it, so a worker (and the web
process's in-memory broker) knows every task; a new domain's ``tasks.py`` is added to
``TASK_MODULES``.

This module is wiring, at the level of the entry points: nothing else imports it.
"""

from __future__ import annotations

from types import ModuleType

from taskiq import async_shared_broker

from frontdesk.auth import tasks as auth_tasks
from frontdesk.billing import tasks as billing_tasks
from frontdesk.channels.crisp import tasks as crisp_tasks
from frontdesk.knowledge import tasks as knowledge_tasks
from frontdesk.visitor_data import tasks as visitor_data_tasks

TASK_MODULES: tuple[ModuleType, ...] = (
    auth_tasks,
    knowledge_tasks,
    visitor_data_tasks,
    billing_tasks,
    crisp_tasks,
)


def task_names() -> set[str]:
    """The names of every registered task."""
    return set(async_shared_broker.get_all_tasks())
