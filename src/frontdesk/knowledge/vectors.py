"""Semantic search over a tenant's stored chunk vectors.

``VectorSearch`` keeps, per tenant, a float32 matrix of the tenant's chunk embeddings (those of
the tenant's current embedding model only: vectors of different models never mix), read from
``knowledge_chunks`` and tagged with the tenant's ``knowledge``, ``embeddings`` and ``config``
generations (``kit.generations``): when one moved — a document was written, the embedding job
wrote vectors, the embedding setting changed — the matrix is rebuilt on the next search. Builds
are one at a time per tenant. Matrices are kept in an LRU bounded by bytes (``kit.tenant_cache``).

A search embeds the question once (the only embedding on the chat path; a question's vector is
kept briefly, per tenant), then scores every row with one matrix-vector product: exact cosine similarity
(the vectors are unit length). With 2,000 chunks of 256 dimensions that is 2 MB and well under
a millisecond. If the tenant's embedding provider fails (or takes over 3 s), the search returns
no hits and the caller's lexical results stand alone: a chat turn never fails on embeddings;
for 30 s after such a failure the tenant's searches do not wait for the provider again.

pgvector: on PostgreSQL the first search checks whether the ``vector`` extension is available
and logs which path is used. The numpy path is the only one implemented (pgvector cannot be
installed on the machines this was built on, so a pgvector path could not be tested).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import structlog
from sqlalchemy import select, text

from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.tenant_cache import TenantCache
from frontdesk.knowledge.embeddings import Embedder, Vectors, embedder_for, from_bytes
from frontdesk.models import KnowledgeChunk
from frontdesk.tenants import bot_config

log = structlog.get_logger()
QUERY_CACHE_SIZE = 1_024
QUERY_CACHE_SECONDS = 300.0
MAX_QUERY_CHARS = 2_000
QUERY_TIMEOUT_SECONDS = 3.0  # a remote embedding of the question: past this, lexical only
FAILURE_COOLDOWN_SECONDS = 30.0  # after a failed question embedding, the tenant's turns skip it


@dataclass(frozen=True)
class SemanticHit:
    document_id: str
    ordinal: int
    score: float


Tag = tuple[int, int, int]  # the knowledge, embeddings and config generations


@dataclass(frozen=True)
class _Entry:
    embedder: Embedder
    matrix: Vectors  # (n, d) float32, unit rows
    document_ids: tuple[str, ...]
    ordinals: npt.NDArray[np.int32]
    language: str | None  # the most common language of the tenant's chunks

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes + self.ordinals.nbytes) + 64 * len(self.document_ids)


class VectorSearch:
    """Exact cosine search over each tenant's chunk vectors, cached per tenant.

    ``max_bytes`` bounds the cached matrices (least recently used tenants go first);
    ``max_age`` bounds how long a matrix is trusted without a rebuild.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        max_age: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.path: str | None = None  # "numpy" once detected; see _detect_path
        self._clock = clock
        self._matrices: TenantCache[Tag, _Entry] = TenantCache(
            size_of=lambda entry: entry.nbytes, max_size=max_bytes, max_age=max_age, clock=clock
        )
        self._queries: OrderedDict[tuple[uuid.UUID, str, str], tuple[float, Vectors]] = OrderedDict()
        self._failed: dict[tuple[uuid.UUID, str], float] = {}  # (tenant, model) -> when it failed

    @property
    def max_bytes(self) -> int:
        return self._matrices.max_size

    @property
    def builds(self) -> int:
        return self._matrices.builds

    @property
    def cached_bytes(self) -> int:
        return self._matrices.size

    def __len__(self) -> int:
        return len(self._matrices)

    async def search(
        self, db: Database, cache: Cache, tenant_id: uuid.UUID, query: str, *, limit: int
    ) -> list[SemanticHit]:
        """The tenant's chunks most similar to ``query``, best first; none when the tenant has no
        vectors yet or its embedding provider fails."""
        if limit <= 0 or not query.strip():
            return []
        entry = await self.entry_for(db, cache, tenant_id)
        if not len(entry.document_ids):
            return []
        vector = await self._query_vector(entry.embedder, query, tenant_id)
        if vector is None or vector.shape[0] != entry.matrix.shape[1]:
            return []
        # einsum, not BLAS: a matrix-vector product this small gains nothing from BLAS threads, and
        # on a busy machine their wake-ups put 10-25 ms on the slowest searches (p99, measured)
        scores = np.einsum("ij,j->i", entry.matrix, vector)
        k = min(limit, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
        top = top[np.argsort(-scores[top], kind="stable")]
        return [
            SemanticHit(entry.document_ids[i], int(entry.ordinals[i]), float(scores[i]))
            for i in top
            if scores[i] > 0
        ]

    async def knowledge_language(self, db: Database, cache: Cache, tenant_id: uuid.UUID) -> str | None:
        """The language most of the tenant's knowledge is written in (detected per document)."""
        return (await self.entry_for(db, cache, tenant_id)).language

    async def entry_for(self, db: Database, cache: Cache, tenant_id: uuid.UUID) -> _Entry:
        async def read_tag() -> Tag:
            return (
                await generations.current(cache, tenant_id, generations.KNOWLEDGE),
                await generations.current(cache, tenant_id, generations.EMBEDDINGS),
                await generations.current(cache, tenant_id, generations.CONFIG),
            )

        async def build(tag: Tag) -> _Entry:
            return await self._build(db, tenant_id)

        return (await self._matrices.get(tenant_id, read_tag, build))[1]

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        self._matrices.invalidate(tenant_id)

    def clear(self) -> None:
        self._matrices.clear()
        self._queries.clear()

    async def _build(self, db: Database, tenant_id: uuid.UUID) -> _Entry:
        if self.path is None:
            await self._detect_path(db)
        started = time.perf_counter()
        async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
            config, _ = await bot_config.load(session)
            embedder = embedder_for(config, self.settings)
            rows = (
                await session.execute(
                    select(KnowledgeChunk.document_id, KnowledgeChunk.ordinal, KnowledgeChunk.embedding)
                    .where(
                        KnowledgeChunk.embedding_model == embedder.model,
                        KnowledgeChunk.embedding.is_not(None),
                    )
                    .order_by(KnowledgeChunk.document_id, KnowledgeChunk.ordinal)
                )
            ).all()
            languages = (
                await session.execute(
                    select(KnowledgeChunk.language).where(KnowledgeChunk.language.is_not(None)).limit(5_000)
                )
            ).scalars()
            language = _most_common([lang for lang in languages if lang])
        vectors = [from_bytes(blob) for _, _, blob in rows if blob]
        dims = Counter(v.shape[0] for v in vectors).most_common(1)
        width = dims[0][0] if dims else 0
        keep = [i for i, v in enumerate(vectors) if v.shape[0] == width]
        matrix = (
            np.stack([vectors[i] for i in keep]).astype(np.float32, copy=False)
            if keep
            else np.zeros((0, width), dtype=np.float32)
        )
        entry = _Entry(
            embedder=embedder,
            matrix=matrix,
            document_ids=tuple(str(rows[i][0]) for i in keep),
            ordinals=np.asarray([rows[i][1] for i in keep], dtype=np.int32),
            language=language,
        )
        log.debug(
            "knowledge.vectors_built",
            tenant_id=str(tenant_id),
            vectors=len(keep),
            model=embedder.model,
            bytes=entry.nbytes,
            seconds=round(time.perf_counter() - started, 4),
        )
        return entry

    async def _query_vector(self, embedder: Embedder, query: str, tenant_id: uuid.UUID) -> Vectors | None:
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        # per tenant: a question's vector is never served from another tenant's endpoint (which
        # could poison it), nor does a hit reveal that another tenant asked the same question
        key = (tenant_id, embedder.model, query)
        now = self._clock()
        cached = self._queries.get(key)
        if cached is not None and now - cached[0] < QUERY_CACHE_SECONDS:
            self._queries.move_to_end(key)
            return cached[1]
        failed_at = self._failed.get((tenant_id, embedder.model))
        if failed_at is not None and now - failed_at < FAILURE_COOLDOWN_SECONDS:
            return None  # a provider that just failed is not waited for on every turn
        try:
            async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):
                vectors = await embedder.embed([query])
        except Exception as exc:  # any provider failure: lexical results only, never a failed turn
            log.warning(
                "knowledge.query_embedding_failed",
                tenant_id=str(tenant_id),
                model=embedder.model,
                error=type(exc).__name__,
            )
            if len(self._failed) > QUERY_CACHE_SIZE:
                self._failed.clear()
            self._failed[(tenant_id, embedder.model)] = now
            return None
        self._failed.pop((tenant_id, embedder.model), None)
        if vectors.shape[0] != 1:
            return None
        vector: Vectors = vectors[0]
        self._queries[key] = (now, vector)
        if len(self._queries) > QUERY_CACHE_SIZE:
            self._queries.popitem(last=False)
        return vector

    async def _detect_path(self, db: Database) -> None:
        """Log whether pgvector could serve (PostgreSQL with the extension available)."""
        available = False
        if db.dialect == "postgresql":
            try:
                async with unit_of_work(db, read_only=True) as s:  # a catalog view: no tenant rows
                    available = bool(
                        await s.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"))
                    )
            except Exception:
                log.warning("knowledge.pgvector_check_failed", exc_info=True)
        self.path = "numpy"
        log.info(
            "knowledge.vector_search",
            path=self.path,
            pgvector_available=available,
            note="exact cosine search with numpy over each tenant's vectors",
        )


def _most_common(values: list[str]) -> str | None:
    return Counter(values).most_common(1)[0][0] if values else None
