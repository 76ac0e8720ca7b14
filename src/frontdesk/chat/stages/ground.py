"""Ground: the knowledge a turn's answer may use — the question searched (translated first when
an LLM is at hand and the knowledge is in another language), lexical hits fused with semantic
ones, packed into the turn's budget; and the generations that key the response cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.chat.stages.admit import Admitted
from frontdesk.chat.stages.record import Recorded
from frontdesk.chat.stages.understand import Understood
from frontdesk.db.engine import Database
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.knowledge.fusion import SemanticSource
from frontdesk.knowledge.index import ScoredChunk
from frontdesk.knowledge.query_rewrite import rewrite_for_retrieval
from frontdesk.knowledge.retrieval import KnowledgeRetriever
from frontdesk.knowledge.vectors import VectorSearch

SNIPPET_CHARS = 300


@dataclass(frozen=True)
class Grounding:
    knowledge: list[str]  # the passages, best first
    sources: list[dict[str, Any]]  # what the reply cites
    generations: tuple[int, int]  # the knowledge and embeddings generations (0: not read)


async def ground(
    admitted: Admitted,
    understood: Understood,
    recorded: Recorded,
    *,
    db: Database,
    cache: Cache,
    retriever: KnowledgeRetriever,
    semantic: SemanticSource | None,
    cacheable: bool,
) -> Grounding:
    tenant_id = admitted.profile.tenant_id
    # the embeddings generation (vectors written by the job after a document was added) keys the
    # response cache: read before the retrieval, so a key is never newer than the vectors used
    embeddings = await generations.current(cache, tenant_id, generations.EMBEDDINGS) if cacheable else 0
    query, query_language = await _query(admitted, understood.text, recorded.language, db, cache, semantic)
    retrieval = await retriever.retrieve(
        db, cache, tenant_id, query, semantic=semantic, language=query_language
    )
    return Grounding(
        knowledge=retrieval.knowledge,
        sources=[_source(hit) for hit in retrieval.hits],
        generations=(retrieval.generation, embeddings),
    )


async def _query(
    admitted: Admitted,
    text: str,
    language: str | None,
    db: Database,
    cache: Cache,
    semantic: SemanticSource | None,
) -> tuple[str, str | None]:
    """The question to search the knowledge with, and its language: with an LLM, a question in
    another language than the knowledge is translated first (one short, cached call)."""
    if not isinstance(semantic, VectorSearch) or admitted.llm is None:
        return text, language
    profile = admitted.profile
    knowledge_language = await semantic.knowledge_language(db, cache, profile.tenant_id)
    query = await rewrite_for_retrieval(
        admitted.llm,
        text,
        language,
        knowledge_language,
        model=profile.config.llm.model,
        tenant_id=profile.tenant_id,
        cache=cache,
    )
    return (query, knowledge_language) if query != text else (text, language)


def _source(scored: ScoredChunk) -> dict[str, Any]:
    chunk = scored.chunk
    text = " ".join(chunk.text.split())
    return {
        "document_id": chunk.document_id,
        "document_name": chunk.document_name,
        "heading": chunk.heading,
        "snippet": text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…",
        "score": round(scored.score, 3),
    }
