"""One durable queue for web hook inboxes and reply outboxes: the row shape, claim with a
lease, retry with exponential backoff up to an attempt cap, the sweep, and the requeue.

Used by Stripe's events (``billing/webhooks.py``), Crisp's hook events and reply deliveries
(``channels/crisp/service.py``); an integration's inbox or a channel's outbox uses it too.

The life of a row::

    pending ──claim──▶ pending, leased (attempts + 1, next_attempt_at = now + lease)
       ▲                  │ done            │ failure
       │                  ▼                 ▼
       │              processed …       pending again at now + backoff(attempts),
       │                                or ``failed`` once attempts reach the cap
       └────────── requeue (a platform admin, from failed) ───────┘

- **One column is both lease and schedule**: ``next_attempt_at``. A row is due when it is
  pending and ``next_attempt_at <= now``; claiming it pushes ``next_attempt_at`` one lease
  ahead, so a second claim (another worker, the sweep, a redelivered job) finds nothing
  until the lease runs out — which is how a crashed worker's row comes back.
- **The claim is one conditional UPDATE** (``… WHERE due RETURNING attempts``): the database
  decides who wins, on SQLite and PostgreSQL alike.
- **The sweep** finds due rows (``due``) a little after they fell due (``sweep_grace``: the job
  queued at commit gets its row first) and sets aside rows whose last allowed attempt died
  with its worker (``give_up_abandoned``).

Why here, in ``kit``: the queue needs SQLAlchemy and nothing of ours (no ``db``, no models),
so the models (data layer) and the services above can both use it. The platform's admin view
of failed events, which needs the models and auth, is ``frontdesk.webhooks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, String, Text, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from frontdesk.kit.time import utcnow

PENDING = "pending"
RECEIVED = "received"  # an inbox's pending status
FAILED = "failed"
ERROR_CHARS = 2000


class QueueRow:
    """The columns every inbox and outbox row shares (mix into a model before ``Base``)."""

    pending_status: ClassVar[str] = PENDING

    @declared_attr
    def status(cls) -> Mapped[str]:
        return mapped_column(String(16), default=cls.pending_status)

    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # when the row is next due: the retry's time, or the end of a claim's lease
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxRow(QueueRow):
    """An inbox row (an event received from outside): pending is ``received``."""

    pending_status: ClassVar[str] = RECEIVED

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``first``, doubling per attempt up to ``maximum``; after
    ``max_attempts`` attempts a row is failed."""

    first: timedelta
    maximum: timedelta
    max_attempts: int

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        delay: timedelta = self.first * 2 ** min(max(attempts - 1, 0), 30)
        return min(delay, self.maximum)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Queue:
    """One table used as a queue: its model (a ``QueueRow``), lease, backoff and sweep grace."""

    model: type[QueueRow]
    lease: timedelta
    backoff: Backoff
    sweep_grace: timedelta = timedelta(0)

    @property
    def pending(self) -> str:
        return self.model.pending_status

    def is_due(self, now: datetime) -> ColumnElement[bool]:
        model = self.model
        return and_(
            model.status == self.pending,
            model.next_attempt_at <= now,
            model.attempts < self.backoff.max_attempts,
        )


async def claim(session: AsyncSession, queue: Queue, *where: ColumnElement[bool]) -> int | None:
    """Claim the row ``where`` selects if it is due: returns its attempt number (this one
    included), or None when it is not due (done, failed, leased by someone else, backing off)."""
    model, now = queue.model, utcnow()
    attempts: int | None = await session.scalar(
        update(model)
        .where(*where, queue.is_due(now))
        .values(attempts=model.attempts + 1, next_attempt_at=now + queue.lease)
        .returning(model.attempts)
        .execution_options(synchronize_session=False)
    )
    return attempts


async def retry_later(
    session: AsyncSession,
    queue: Queue,
    *where: ColumnElement[bool],
    attempts: int,
    error: str,
    final: bool = False,
) -> bool:
    """Record a failed attempt: due again after the backoff, or ``failed`` when it was the
    last allowed attempt or the failure is ``final`` (retrying cannot help). True if failed.

    ``attempts`` is the claim's number and fences the write: a worker whose lease ran out while
    another claimed the row since changes nothing (its count would roll the cap back)."""
    failed = final or queue.backoff.exhausted(attempts)
    result = await session.execute(
        update(queue.model)
        .where(*where, queue.model.status == queue.pending, queue.model.attempts == attempts)
        .values(
            status=FAILED if failed else queue.pending,
            last_error=error[:ERROR_CHARS],
            next_attempt_at=utcnow() + queue.backoff.delay(attempts),
        )
        .execution_options(synchronize_session=False)
    )
    return failed and bool(getattr(result, "rowcount", 0))


async def finish(
    session: AsyncSession, queue: Queue, *where: ColumnElement[bool], status: str, **values: Any
) -> None:
    """The row is done: ``status`` (processed, sent, skipped …) and any other ``values``."""
    await session.execute(
        update(queue.model)
        .where(*where)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )


def due(queue: Queue, *columns: Any, limit: int = 200) -> Select[Any]:
    """The sweep's query: ``columns`` of the rows due (past the grace), oldest due first."""
    now = utcnow()
    return (
        select(*columns)
        .where(queue.is_due(now - queue.sweep_grace))
        .order_by(queue.model.next_attempt_at)
        .limit(limit)
    )


async def give_up_abandoned(session: AsyncSession, queue: Queue) -> int:
    """Fail the pending rows whose last allowed attempt was claimed and never finished (its
    worker died) once that lease has run out. Returns how many."""
    model = queue.model
    result = await session.execute(
        update(model)
        .where(
            model.status == queue.pending,
            model.attempts >= queue.backoff.max_attempts,
            model.next_attempt_at <= utcnow(),
        )
        .values(status=FAILED, last_error="abandoned: the last attempt never finished")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def requeue(session: AsyncSession, model: type[QueueRow], *where: ColumnElement[bool]) -> bool:
    """Put a failed row of ``model`` back: pending, due now, with a fresh set of attempts (the
    last error stays for the record until the next attempt). False if no failed row matched."""
    result = await session.execute(
        update(model)
        .where(*where, model.status == FAILED)
        .values(status=model.pending_status, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
