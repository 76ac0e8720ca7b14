"""A document's chunks as rows, and the job that embeds them.

``sync_chunks`` runs inside the caller's transaction whenever a document is created or
updated (deleting a document cascades to its chunks): it re-chunks the text, rewrites the
rows, and keeps the stored embedding of every chunk whose text is unchanged (same
``content_hash``), so re-importing an unchanged page embeds nothing. It then queues
``embed_chunks`` for after the commit. The job embeds the chunks that have no vector for the
tenant's current model, in batches, each batch as: read the texts (short read-only
transaction) → embed (no transaction open) → write the vectors (short transaction). When it
has written anything it bumps the tenant's ``embeddings`` generation, so every process's
vector cache refreshes (a separate counter from ``knowledge``: new vectors leave the lexical
index as it is). ``sweep_embeddings`` (periodic) re-queues documents a crashed job left behind
(longest waiting first, a few per tenant; a document whose embedding failed waits ``SWEEP_AFTER``
again), and ``sweep_embedding_models`` tenants whose re-embedding after a change of model was lost.
The jobs themselves are declared in ``knowledge/tasks.py``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.jobs.enqueue import enqueue_after_commit
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.time import utcnow
from frontdesk.knowledge.chunking import chunk_document
from frontdesk.knowledge.embeddings import Embedder, EmbeddingError, embedder_for, model_for, to_bytes
from frontdesk.models import KnowledgeBase, KnowledgeChunk, TenantConfiguration
from frontdesk.nlu.language import detect_language
from frontdesk.tenants import bot_config

log = structlog.get_logger()
EMBED_BATCH = 64  # chunks per read → embed → write round
MAX_ROUNDS = 1_000  # a document has at most a few thousand chunks: a runaway loop stops here
SWEEP_AFTER = timedelta(minutes=5)  # chunks without a vector this long: their job is lost
SWEEP_LIMIT = 200  # documents re-queued per sweep
SWEEP_PER_TENANT = 10  # of which at most this many from one tenant
LANGUAGE_SAMPLE_CHARS = 4_000


def content_hash(heading: str | None, text: str) -> str:
    """What decides whether a chunk's stored embedding still fits its text."""
    return hashlib.sha256(f"{heading or ''}\n{text}".encode()).hexdigest()


def embedding_text(heading: str | None, text: str) -> str:
    """The text embedded for a chunk: its heading path, then its text."""
    return f"{heading}\n{text}" if heading and heading not in text else text


async def sync_chunks(session: AsyncSession, document: KnowledgeBase) -> None:
    """Rewrite ``document``'s chunk rows to match its text (flushes; never commits) and queue
    the embedding job for after the commit."""
    chunks = chunk_document(str(document.id), document.name, document.content)
    language = detect_language(document.content[:LANGUAGE_SAMPLE_CHARS])
    existing = list(
        await session.scalars(select(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
    )
    # any stored vector for the same text is reused, whatever its old position
    stored: dict[str, tuple[bytes, str]] = {
        row.content_hash: (row.embedding, row.embedding_model)
        for row in existing
        if row.embedding is not None and row.embedding_model is not None
    }
    by_ordinal = {row.ordinal: row for row in existing}
    now = utcnow()
    for chunk in chunks:
        digest = content_hash(chunk.heading, chunk.text)
        embedding, model = stored.get(digest, (None, None))
        row = by_ordinal.pop(chunk.ordinal, None)
        if row is None:
            session.add(
                KnowledgeChunk(
                    document_id=document.id,
                    ordinal=chunk.ordinal,
                    heading=chunk.heading,
                    text=chunk.text,
                    content_hash=digest,
                    language=language,
                    embedding=embedding,
                    embedding_model=model,
                    created_at=now,
                )
            )
        else:
            row.language = language
            if row.content_hash != digest:
                row.heading, row.text, row.content_hash = chunk.heading, chunk.text, digest
                row.embedding, row.embedding_model = embedding, model
                row.created_at = now  # the sweep's clock starts again
    for row in by_ordinal.values():  # the document got shorter
        await session.delete(row)
    await session.flush()
    enqueue_after_commit(
        session, "frontdesk.knowledge.embed_chunks", str(document.tenant_id), str(document.id)
    )


async def chunk_counts(
    session: AsyncSession, document_ids: Sequence[uuid.UUID], model: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per document: (chunks, chunks with a vector of ``model``)."""
    if not document_ids:
        return {}
    embedded = func.sum(case((KnowledgeChunk.embedding_model == model, 1), else_=0))
    rows = await session.execute(
        select(KnowledgeChunk.document_id, func.count(), embedded)
        .where(KnowledgeChunk.document_id.in_(list(document_ids)))
        .group_by(KnowledgeChunk.document_id)
    )
    return {doc_id: (int(total), int(done or 0)) for doc_id, total, done in rows}


async def tenant_embedding_model(session: AsyncSession, settings: Settings) -> str:
    """The model the session's tenant embeds with now (from its bot configuration)."""
    config, _ = await bot_config.load(session)
    return model_for(config, settings)


async def tenant_embedder(db: Database, settings: Settings, tenant_id: uuid.UUID) -> Embedder:
    async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
        config, _ = await bot_config.load(session)
    return embedder_for(config, settings)


async def embed_document(
    db: Database,
    cache: Cache,
    settings: Settings,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    embedder: Embedder | None = None,
    batch: int = EMBED_BATCH,
) -> int:
    """Embed the document's chunks that lack a vector of the tenant's model; returns how many
    were written. No transaction is open while the embedder runs."""
    embedder = embedder or await tenant_embedder(db, settings, tenant_id)
    model = embedder.model
    written = 0
    needs = or_(KnowledgeChunk.embedding.is_(None), KnowledgeChunk.embedding_model != model)
    after = -1  # ordinals are walked upwards: a chunk the embedder skipped is not retried forever
    try:
        for _ in range(MAX_ROUNDS):
            async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
                rows = (
                    await session.execute(
                        select(
                            KnowledgeChunk.id,
                            KnowledgeChunk.ordinal,
                            KnowledgeChunk.heading,
                            KnowledgeChunk.text,
                            KnowledgeChunk.content_hash,
                        )
                        .where(
                            KnowledgeChunk.document_id == document_id,
                            KnowledgeChunk.ordinal > after,
                            needs,
                        )
                        .order_by(KnowledgeChunk.ordinal)
                        .limit(batch)
                    )
                ).all()
            if not rows:
                break
            after = rows[-1].ordinal
            vectors = await embedder.embed([embedding_text(r.heading, r.text) for r in rows])
            async with unit_of_work(db, tenant_id=tenant_id) as session:
                for row, vector in zip(rows, vectors, strict=True):
                    # only if the text is still the one embedded (a concurrent update re-queues)
                    result = await session.execute(
                        update(KnowledgeChunk)
                        .where(
                            and_(KnowledgeChunk.id == row.id, KnowledgeChunk.content_hash == row.content_hash)
                        )
                        .values(embedding=to_bytes(vector), embedding_model=model)
                    )
                    written += int(getattr(result, "rowcount", 0) or 0)
    except EmbeddingError as exc:
        log.warning(
            "knowledge.embedding_failed",
            tenant_id=str(tenant_id),
            document_id=str(document_id),
            error=str(exc),
        )
        # back-off: the sweep's clock of the chunks left without a vector starts again, so the
        # sweep retries this document after SWEEP_AFTER at the earliest, behind older ones
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            await session.execute(
                update(KnowledgeChunk)
                .where(KnowledgeChunk.document_id == document_id, KnowledgeChunk.embedding.is_(None))
                .values(created_at=utcnow())
            )
    if written:
        await generations.bump(cache, tenant_id, generations.EMBEDDINGS)
    log.info(
        "knowledge.embedded",
        tenant_id=str(tenant_id),
        document_id=str(document_id),
        chunks=written,
        model=model,
    )
    return written


async def documents_to_embed(
    db: Database, *, older_than: timedelta = SWEEP_AFTER
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, document) pairs with chunks still lacking a vector after ``older_than``: the
    documents waiting longest first, at most ``SWEEP_PER_TENANT`` of one tenant (a tenant whose
    endpoint always fails never fills a sweep; its failed documents also wait again, see
    ``embed_document``)."""
    cutoff = utcnow() - older_than
    pending = (
        select(
            KnowledgeChunk.tenant_id,
            KnowledgeChunk.document_id,
            func.min(KnowledgeChunk.created_at).label("oldest"),
        )
        .where(KnowledgeChunk.embedding.is_(None), KnowledgeChunk.created_at < cutoff)
        .group_by(KnowledgeChunk.tenant_id, KnowledgeChunk.document_id)
        .subquery()
    )
    ranked = select(
        pending.c.tenant_id,
        pending.c.document_id,
        pending.c.oldest,
        func.row_number()
        .over(partition_by=pending.c.tenant_id, order_by=(pending.c.oldest, pending.c.document_id))
        .label("rank"),
    ).subquery()
    async with unit_of_work(
        db, admin=("system:jobs", "find chunks without embeddings"), read_only=True
    ) as session:
        rows = await session.execute(
            select(ranked.c.tenant_id, ranked.c.document_id)
            .where(ranked.c.rank <= SWEEP_PER_TENANT)
            .order_by(ranked.c.oldest, ranked.c.tenant_id, ranked.c.document_id)
            .limit(SWEEP_LIMIT)
        )
        return [(tenant_id, document_id) for tenant_id, document_id in rows]


async def tenants_to_reembed(db: Database, settings: Settings) -> list[uuid.UUID]:
    """Tenants holding vectors of another model than their configuration asks for now (the
    re-embedding queued when the setting changed was lost)."""
    async with unit_of_work(
        db, admin=("system:jobs", "find stale embedding models"), read_only=True
    ) as session:
        pairs = (
            await session.execute(
                select(KnowledgeChunk.tenant_id, KnowledgeChunk.embedding_model)
                .where(KnowledgeChunk.embedding_model.is_not(None))
                .distinct()
            )
        ).all()
        tenants = {tenant_id for tenant_id, _ in pairs}
        if not tenants:
            return []
        rows = await session.execute(
            select(TenantConfiguration.tenant_id, TenantConfiguration.config_data).where(
                TenantConfiguration.config_type == bot_config.CONFIG_TYPE,
                TenantConfiguration.tenant_id.in_(tenants),
            )
        )
        configs = {tenant_id: data for tenant_id, data in rows}
    current: dict[uuid.UUID, str] = {}
    for tenant_id in tenants:
        try:  # one unreadable configuration (undecryptable key, invalid document) skips one tenant
            current[tenant_id] = model_for(bot_config.parse(configs.get(tenant_id)), settings)
        except Exception as exc:
            log.warning(
                "knowledge.reembed_config_unreadable", tenant_id=str(tenant_id), error=type(exc).__name__
            )
    return sorted({t for t, model in pairs if t in current and model != current[t]})


async def tenant_documents(db: Database, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
        return list(await session.scalars(select(KnowledgeBase.id).order_by(KnowledgeBase.id)))
