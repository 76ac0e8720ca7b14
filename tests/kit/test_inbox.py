"""kit.inbox on the test database (SQLite or PostgreSQL): claim with a lease, backoff and the
attempt cap, the sweep, the requeue. Time passes by moving a row's next_attempt_at back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from frontdesk.db.base import UTCDateTime
from frontdesk.kit import inbox
from frontdesk.kit.time import utcnow


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class Row(inbox.InboxRow, Base):
    __tablename__ = f"test_inbox_{uuid.uuid4().hex[:8]}"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)


QUEUE = inbox.Queue(
    Row,
    lease=timedelta(minutes=1),
    backoff=inbox.Backoff(first=timedelta(seconds=10), maximum=timedelta(seconds=60), max_attempts=3),
    sweep_grace=timedelta(seconds=30),
)


@pytest.fixture
async def engine(database_urls: dict[str, str]) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_urls["owner"])
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield engine
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def _add(sessions: async_sessionmaker[AsyncSession], **values: object) -> str:
    row_id = uuid.uuid4().hex
    async with sessions.begin() as session:
        session.add(Row(id=row_id, **values))
    return row_id


async def _row(sessions: async_sessionmaker[AsyncSession], row_id: str) -> Row:
    async with sessions() as session:
        found = await session.get(Row, row_id)
        assert found is not None
        return found


async def _time_passes(sessions: async_sessionmaker[AsyncSession], row_id: str) -> None:
    """Whatever the row waits for (a lease, a backoff) has run out."""
    async with sessions.begin() as session:
        await session.execute(
            update(Row).where(Row.id == row_id).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def _claim(sessions: async_sessionmaker[AsyncSession], row_id: str) -> int | None:
    async with sessions.begin() as session:
        return await inbox.claim(session, QUEUE, Row.id == row_id)


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(sessions) -> None:
    row_id = await _add(sessions)
    assert (await _row(sessions, row_id)).status == "received"  # an inbox's pending status
    assert await _claim(sessions, row_id) == 1
    assert await _claim(sessions, row_id) is None  # another worker, the sweep: nothing
    leased = await _row(sessions, row_id)
    assert leased.status == "received" and leased.next_attempt_at > utcnow() + timedelta(seconds=50)
    await _time_passes(sessions, row_id)  # the worker died: the lease runs out
    assert await _claim(sessions, row_id) == 2


async def test_a_failure_backs_off_exponentially_then_the_cap_marks_it_failed(sessions) -> None:
    row_id = await _add(sessions)
    delays = []
    for expected in (1, 2, 3):
        attempts = await _claim(sessions, row_id)
        assert attempts == expected
        before = utcnow()
        async with sessions.begin() as session:
            failed = await inbox.retry_later(
                session, QUEUE, Row.id == row_id, attempts=attempts, error=f"boom {attempts}"
            )
        row = await _row(sessions, row_id)
        assert failed is (expected == 3) and row.last_error == f"boom {attempts}"
        delays.append(round((row.next_attempt_at - before).total_seconds()))
        if not failed:
            assert await _claim(sessions, row_id) is None  # backing off
            await _time_passes(sessions, row_id)
    assert delays[:2] == [10, 20]
    row = await _row(sessions, row_id)
    assert (row.status, row.attempts) == ("failed", 3)
    await _time_passes(sessions, row_id)
    assert await _claim(sessions, row_id) is None  # failed rows are not claimed any more

    # a platform admin requeues it: due now, fresh attempts
    async with sessions.begin() as session:
        assert await inbox.requeue(session, Row, Row.id == row_id)
        assert not await inbox.requeue(session, Row, Row.id == row_id)  # not failed any more
    assert await _claim(sessions, row_id) == 1


async def test_a_final_failure_is_failed_at_once(sessions) -> None:
    row_id = await _add(sessions)
    attempts = await _claim(sessions, row_id)
    assert attempts == 1
    async with sessions.begin() as session:
        assert await inbox.retry_later(session, QUEUE, Row.id == row_id, attempts=1, error="gone", final=True)
    assert (await _row(sessions, row_id)).status == "failed"


async def test_the_sweep_picks_due_rows_past_the_grace_and_sets_aside_abandoned_ones(sessions) -> None:
    now = utcnow()
    fresh = await _add(sessions, next_attempt_at=now)  # its job was queued at commit: not yet
    due = await _add(sessions, next_attempt_at=now - timedelta(minutes=5))
    later = await _add(sessions, next_attempt_at=now + timedelta(minutes=5))
    done = await _add(sessions, next_attempt_at=now - timedelta(minutes=5), status="processed")
    abandoned = await _add(sessions, next_attempt_at=now - timedelta(minutes=5), attempts=3)
    leased_last = await _add(sessions, next_attempt_at=now + timedelta(minutes=1), attempts=3)
    async with sessions.begin() as session:
        found = set((await session.scalars(inbox.due(QUEUE, Row.id))).all())
        assert due in found and not found & {fresh, later, done, abandoned, leased_last}
        assert await inbox.give_up_abandoned(session, QUEUE) == 1
    assert (await _row(sessions, abandoned)).status == "failed"
    assert (await _row(sessions, leased_last)).status == "received"  # its worker may still finish
    async with sessions() as session:
        statuses = dict((await session.execute(select(Row.id, Row.status))).all())
    assert statuses[done] == "processed"


def test_backoff_doubles_up_to_its_maximum() -> None:
    backoff = inbox.Backoff(first=timedelta(seconds=5), maximum=timedelta(minutes=15), max_attempts=20)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff.delay(19) == timedelta(minutes=15) and backoff.delay(1000) == timedelta(minutes=15)
    assert not backoff.exhausted(19) and backoff.exhausted(20)


async def test_a_worker_whose_lease_ran_out_does_not_undo_a_later_claim(sessions) -> None:
    row_id = await _add(sessions)
    assert await _claim(sessions, row_id) == 1  # worker A; its work outlives the lease
    await _time_passes(sessions, row_id)
    assert await _claim(sessions, row_id) == 2  # worker B (the sweep) claims it again
    async with sessions.begin() as session:  # B fails: retried later
        await inbox.retry_later(session, QUEUE, Row.id == row_id, attempts=2, error="B failed")
    async with sessions.begin() as session:  # then A fails too, with its stale claim number
        await inbox.retry_later(session, QUEUE, Row.id == row_id, attempts=1, error="A failed")
    row = await _row(sessions, row_id)
    assert (row.attempts, row.last_error) == (2, "B failed")  # the cap still counts both claims
