"""Units of work: the edge (request or job) owns the transaction; services only flush."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.after_commit import discard_after_commit, run_after_commit
from frontdesk.db.engine import Database
from frontdesk.db.tenancy import TENANT_KEY, admin_scope


@asynccontextmanager
async def unit_of_work(
    db: Database,
    *,
    tenant_id: uuid.UUID | None = None,
    admin: tuple[str, str] | None = None,
    read_only: bool = False,
) -> AsyncIterator[AsyncSession]:
    """Open a session for one tenant (or an audited admin scope ``(actor, reason)``),
    commit when the block ends cleanly, roll back otherwise, then run what was
    deferred to after the commit (jobs, cache invalidation)."""
    session = db.session(read_only=read_only)
    if tenant_id is not None:
        session.info[TENANT_KEY] = tenant_id
    try:
        if admin is not None:
            async with admin_scope(session, actor=admin[0], reason=admin[1]):
                yield session
                await session.commit()
        else:
            yield session
            await session.commit()
    except BaseException:
        discard_after_commit(session)
        await session.rollback()
        raise
    finally:
        await session.close()
    await run_after_commit(session)
