"""Knowledge documents of the session's tenant. No HTTP, no commit: the caller owns the transaction.

Every write bumps the tenant's knowledge generation once the transaction has committed,
which is how retrievers in every process learn that their index is stale. Creating or
updating a document rewrites its chunk rows in the same transaction and queues their
embedding for after the commit (``knowledge.chunks``); deleting it cascades to its chunks.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.billing import service as billing
from frontdesk.db.tenancy import current_tenant
from frontdesk.jobs.enqueue import after_commit
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import FrontdeskError, NotFound
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.time import utcnow
from frontdesk.knowledge.chunks import sync_chunks
from frontdesk.knowledge.schemas import DocumentCreate, DocumentUpdate
from frontdesk.models import KnowledgeBase, Tenant

MAX_TENANT_CHARS = 2_000_000


class KnowledgeLimitExceeded(FrontdeskError):
    status, code, title = 413, "knowledge_limit", "Knowledge base limit reached"


async def list_documents(session: AsyncSession, params: PageParams) -> tuple[list[KnowledgeBase], int]:
    return await paginate(
        session, select(KnowledgeBase).order_by(KnowledgeBase.name, KnowledgeBase.id), params
    )


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> KnowledgeBase:
    doc = await session.get(KnowledgeBase, document_id)
    if doc is None:
        raise NotFound("No such document.")
    return doc


async def create_document(session: AsyncSession, cache: Cache, data: DocumentCreate) -> KnowledgeBase:
    text = data.text()
    await _check_total(session, len(text))
    await billing.check_document(session)  # after the lock _check_total takes: no race past the limit
    doc = KnowledgeBase(name=data.name, content=text, version=1, updated_at=utcnow())
    session.add(doc)
    await session.flush()
    await sync_chunks(session, doc)
    _bump_after_commit(session, cache, doc.tenant_id)
    return doc


async def update_document(
    session: AsyncSession, cache: Cache, document_id: uuid.UUID, data: DocumentUpdate
) -> KnowledgeBase:
    doc = await get_document(session, document_id)
    text = data.text()
    if text is not None:
        await _check_total(session, len(text), excluding=doc.id)
        doc.content = text
    if data.name is not None:
        doc.name = data.name
    doc.version += 1
    doc.updated_at = utcnow()
    await session.flush()
    if text is not None:
        await sync_chunks(session, doc)
    _bump_after_commit(session, cache, doc.tenant_id)
    return doc


async def delete_document(session: AsyncSession, cache: Cache, document_id: uuid.UUID) -> None:
    doc = await get_document(session, document_id)
    await session.delete(doc)
    await session.flush()
    _bump_after_commit(session, cache, doc.tenant_id)


async def lock_knowledge(session: AsyncSession) -> None:
    """Serialise the session's tenant's knowledge writes until the transaction ends.

    Two concurrent uploads cannot both pass the size check, and a read-modify-write of a
    document (adding an answer) cannot lose a concurrent one. PostgreSQL row lock on the
    tenant, SQLite's write lock; NO KEY UPDATE leaves the foreign key checks of
    other inserts for the tenant unblocked. Taking it twice in a transaction is harmless.
    """
    tenant_id = current_tenant(session)
    if tenant_id is None:  # the lock below would otherwise take every tenant's row
        raise RuntimeError("knowledge writes need a tenant-scoped session")
    if session.get_bind().dialect.name == "sqlite":
        # FOR UPDATE means nothing to SQLite, and its transaction starts at the first write: a
        # no-op write takes the database's one write lock now, before anything is read
        # (a non-key column: writing the key would make SQLite check every child table)
        await session.execute(update(Tenant).where(Tenant.id == tenant_id).values(name=Tenant.name))
    else:
        await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))


async def _check_total(session: AsyncSession, new_chars: int, *, excluding: uuid.UUID | None = None) -> None:
    """Refuse a write that would take the tenant's knowledge past ``MAX_TENANT_CHARS``."""
    await lock_knowledge(session)
    query = select(func.coalesce(func.sum(func.length(KnowledgeBase.content)), 0))
    if excluding is not None:
        query = query.where(KnowledgeBase.id != excluding)
    used = int(await session.scalar(query) or 0)
    if used + new_chars > MAX_TENANT_CHARS:
        raise KnowledgeLimitExceeded(
            f"A knowledge base holds at most {MAX_TENANT_CHARS:,} characters across its documents; "
            f"{used:,} are in use and this document has {new_chars:,}."
        )


def _bump_after_commit(session: AsyncSession, cache: Cache, tenant_id: uuid.UUID) -> None:
    async def bump() -> None:
        await generations.bump(cache, tenant_id, generations.KNOWLEDGE)

    after_commit(session, bump)
