"""Jobs sent after the commit, by task name.

``enqueue_after_commit(session, "frontdesk.knowledge.embed_chunks", tenant_id, document_id)``
sends the job once the transaction that asked for it committed, and drops it on rollback. The
caller names the task instead of importing it, so a domain never imports the module that
declares another domain's task (nor its own tasks module: tasks import services, not the
reverse). The name is resolved through the process's broker when the job is sent; every task
is registered by ``jobs.registry``, which the runtime imports.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AsyncTaskiqDecoratedTask
from taskiq.kicker import AsyncKicker

# The after-commit hook belongs to the unit of work (db); re-exported because services import it
# from here. TODO(issue 14, lead): point them at frontdesk.db.after_commit and drop this line.
from frontdesk.db.after_commit import after_commit as after_commit
from frontdesk.jobs.broker import current_broker


def kicker(task_name: str) -> AsyncKicker[Any, Any]:
    """A kicker for the task called ``task_name`` on the process's broker (its labels kept)."""
    broker = current_broker()
    task = broker.find_task(task_name)
    if task is None:
        raise LookupError(f"no task named {task_name!r} is registered (see frontdesk.jobs.registry)")
    return AsyncKicker(task_name=task_name, broker=broker, labels=dict(task.labels))


async def send(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Enqueue the task called ``task_name`` now (outside a transaction: sweeps, periodic jobs)."""
    await kicker(task_name).kiq(*args, **kwargs)


def enqueue_after_commit(
    session: AsyncSession, task: str | AsyncTaskiqDecoratedTask[Any, Any], *args: Any, **kwargs: Any
) -> None:
    """Send the task (by name; a task object is still accepted until every caller names it)
    once ``session`` committed."""
    task_name = task if isinstance(task, str) else task.task_name

    async def send_after_commit() -> None:
        await send(task_name, *args, **kwargs)

    after_commit(session, send_after_commit)
