"""Per-tenant knowledge indexes, kept in memory and rebuilt when the knowledge changes.

One ``KnowledgeRetriever`` per process. ``retrieve`` is what a chat turn calls: lexical
hits fused with an optional semantic source, packed into a token budget
(``knowledge.fusion``). For each tenant it keeps the BM25 index built
from the tenant's documents, tagged with the knowledge generation it was built from
(``kit.generations``). A search first reads the current generation (one cache read); when
it moved — a document was written, in this process or another — or the index is older
than ``max_age`` seconds, the index is rebuilt from the database. Builds are one at a time
per tenant, so a burst of first requests builds once (``kit.tenant_cache``), and large builds
run in a thread.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import select

from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.tenant_cache import TenantCache
from frontdesk.knowledge.chunking import Chunk, chunk_document
from frontdesk.knowledge.fusion import (
    DEFAULT_BUDGET_TOKENS,
    MIN_SIMILARITY,
    SemanticMatch,
    SemanticSource,
    fuse,
    knowledge_text,
    pack,
)
from frontdesk.knowledge.index import MAX_QUERY_CHARS, KnowledgeIndex, ScoredChunk
from frontdesk.models import KnowledgeBase

log = structlog.get_logger()
_Document = tuple[str, str, str]  # id, name, content


LEXICAL_CANDIDATES = 16
SEMANTIC_CANDIDATES = 16
LEXICAL_FLOOR = 0.2  # lexical hits below this share of the best one are left out


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What a turn retrieved: the packed hits, best first, and the knowledge generation
    they come from (it also keys the response cache)."""

    generation: int
    hits: list[ScoredChunk]

    @property
    def knowledge(self) -> list[str]:
        """The hits as the prompt shows them: heading, then text."""
        return [knowledge_text(hit.chunk) for hit in self.hits]


class KnowledgeRetriever:
    """Searches a tenant's knowledge through a cached, per-tenant index.

    ``max_tenants`` and ``max_chars`` bound the cache (least recently used tenants go
    first); ``max_age`` bounds how long an index is trusted without a rebuild (it covers a
    missed generation bump or a lagging read replica); documents larger in total than
    ``thread_chars`` are indexed in a worker thread so the event loop keeps serving.
    """

    def __init__(
        self,
        *,
        max_tenants: int = 2_000,
        max_chars: int = 400_000_000,
        max_age: float = 300.0,
        thread_chars: int = 300_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thread_chars = thread_chars
        self._indexes: TenantCache[int, _Built] = TenantCache(
            size_of=lambda built: built.chars,
            max_size=max_chars,
            max_entries=max_tenants,
            max_age=max_age,
            clock=clock,
        )

    @property
    def builds(self) -> int:
        return self._indexes.builds

    async def search(
        self, db: Database, cache: Cache, tenant_id: uuid.UUID, query: str, *, limit: int = 4
    ) -> list[ScoredChunk]:
        """The tenant's best chunks for ``query``, best first (none when nothing matches)."""
        _, index = await self.index_for(db, cache, tenant_id)
        return index.search(query, limit=limit)

    async def retrieve(
        self,
        db: Database,
        cache: Cache,
        tenant_id: uuid.UUID,
        query: str,
        *,
        semantic: SemanticSource | None = None,
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        language: str | None = None,
        min_similarity: float = MIN_SIMILARITY,
    ) -> Retrieval:
        """The tenant's best chunks for ``query``: lexical hits fused with the semantic
        source's (when given), packed into ``budget_tokens``. ``language`` is the visitor's,
        when known. A semantic source that fails leaves the lexical hits (logged)."""
        generation, index = await self.index_for(db, cache, tenant_id)
        query = query[:MAX_QUERY_CHARS]  # a 4,000-character message is searched by its start
        if not index.size or not query.strip():
            return Retrieval(generation, [])
        lexical = index.search(query, limit=LEXICAL_CANDIDATES, language=language)
        if lexical:
            floor = lexical[0].score * LEXICAL_FLOOR
            lexical = [hit for hit in lexical if hit.score >= floor]
        matches: Sequence[SemanticMatch] = ()
        if semantic is not None:
            try:
                matches = await semantic.search(db, cache, tenant_id, query, limit=SEMANTIC_CANDIDATES)
            except Exception as error:  # an embedding endpoint down must not fail the turn
                log.warning("knowledge.semantic_failed", tenant_id=str(tenant_id), error=type(error).__name__)
        fused = fuse(index, lexical, matches, min_similarity=min_similarity)
        return Retrieval(generation, pack(fused, budget_tokens=budget_tokens))

    async def index_for(self, db: Database, cache: Cache, tenant_id: uuid.UUID) -> tuple[int, KnowledgeIndex]:
        """The tenant's current index and the knowledge generation it was built from."""

        async def read_tag() -> int:
            return await generations.current(cache, tenant_id, generations.KNOWLEDGE)

        async def build(generation: int) -> _Built:
            return await self._build(db, tenant_id)

        generation, built = await self._indexes.get(tenant_id, read_tag, build)
        return generation, built.index

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget a tenant's index; the next search rebuilds it."""
        self._indexes.invalidate(tenant_id)

    def clear(self) -> None:
        self._indexes.clear()

    def __len__(self) -> int:
        return len(self._indexes)

    async def _build(self, db: Database, tenant_id: uuid.UUID) -> _Built:
        async with unit_of_work(db, tenant_id=tenant_id, read_only=True) as session:
            rows = await session.execute(
                select(KnowledgeBase.id, KnowledgeBase.name, KnowledgeBase.content).order_by(
                    KnowledgeBase.name, KnowledgeBase.id
                )
            )
            documents = [(str(doc_id), name, content) for doc_id, name, content in rows]
        chars = sum(len(content) for _, _, content in documents)
        started = time.perf_counter()
        if chars > self.thread_chars:
            index = await asyncio.to_thread(_index, documents)
        else:
            index = _index(documents)
        log.debug(
            "knowledge.index_built",
            tenant_id=str(tenant_id),
            documents=len(documents),
            chunks=index.size,
            chars=chars,
            seconds=round(time.perf_counter() - started, 4),
        )
        return _Built(chars, index)


@dataclass(frozen=True, slots=True)
class _Built:
    chars: int
    index: KnowledgeIndex


def _index(documents: list[_Document]) -> KnowledgeIndex:
    chunks: list[Chunk] = []
    for doc_id, name, content in documents:
        chunks.extend(chunk_document(doc_id, name, content))
    return KnowledgeIndex.build(chunks)
