"""VectorSearch: a question finds the chunk that means the same thing without sharing its
words, a tenant only ever searches its own vectors, the cache follows writes and stays within
its memory bound, and a failing embedding provider leaves lexical search alone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.knowledge.embeddings import Vectors, to_bytes
from frontdesk.knowledge.vectors import SemanticHit, VectorSearch
from frontdesk.models import KnowledgeChunk
from frontdesk.runtime import Runtime
from frontdesk.tenants import bot_config
from frontdesk.tenants.bot_config import BotConfigIn
from tests import factories
from tests.knowledge.jobs import settle

BASE = "/api/v1/knowledge"
GUIDE = (
    "# Parking\n\nFree parking behind the building for every customer.\n\n"
    "# Opening hours\n\nMonday to Friday, 9:00 to 18:00.\n\n"
    "# Returns\n\nAny item within 30 days, with the receipt."
)


async def create(client: httpx.AsyncClient, tenant: factories.TenantWithKey, **body: object) -> str:
    r = await client.post(BASE, headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def headings(runtime: Runtime, tenant_id: uuid.UUID, hits: list[SemanticHit]) -> list[str | None]:
    async with unit_of_work(runtime.db, tenant_id=tenant_id, read_only=True) as session:
        found = []
        for hit in hits:
            row = await session.scalar(
                KnowledgeChunk.__table__.select()
                .with_only_columns(KnowledgeChunk.heading)
                .where(
                    KnowledgeChunk.document_id == uuid.UUID(hit.document_id),
                    KnowledgeChunk.ordinal == hit.ordinal,
                )
            )
            found.append(row)
        return found


@pytest.fixture
def vectors(runtime: Runtime) -> VectorSearch:
    return VectorSearch(runtime.settings)


async def test_a_paraphrase_finds_the_chunk_that_answers_it(
    client: httpx.AsyncClient, runtime: Runtime, vectors: VectorSearch, tenant_a
) -> None:
    assert (
        await vectors.search(runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=3)
        == []
    )
    doc_id = await create(client, tenant_a, name="Guide", content=GUIDE)
    await settle(runtime)

    hits = await vectors.search(runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=3)
    assert hits[0].document_id == doc_id
    assert (await headings(runtime, tenant_a.id, hits[:1])) == ["Parking"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert await vectors.knowledge_language(runtime.db, runtime.cache, tenant_a.id) == "en"


async def test_search_follows_writes_and_the_embedding_job(
    client: httpx.AsyncClient, runtime: Runtime, vectors: VectorSearch, tenant_a
) -> None:
    doc_id = await create(client, tenant_a, name="Guide", content="# Returns\n\nAny item within 30 days.")
    await settle(runtime)
    assert len(await vectors.search(runtime.db, runtime.cache, tenant_a.id, "car park", limit=5)) == 1
    builds = vectors.builds
    await vectors.search(runtime.db, runtime.cache, tenant_a.id, "car park", limit=5)
    assert vectors.builds == builds  # nothing changed: the cached matrix serves

    r = await client.put(f"{BASE}/{doc_id}", headers=tenant_a.headers, json={"content": GUIDE})
    assert r.status_code == 200
    await settle(runtime)
    hits = await vectors.search(runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=5)
    assert len(hits) == 3 and (await headings(runtime, tenant_a.id, hits[:1])) == ["Parking"]

    assert (await client.delete(f"{BASE}/{doc_id}", headers=tenant_a.headers)).status_code == 204
    assert (
        await vectors.search(runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=5)
        == []
    )


async def test_a_tenant_never_searches_another_tenants_vectors(
    client: httpx.AsyncClient, runtime: Runtime, vectors: VectorSearch, tenant_a, tenant_b
) -> None:
    ours = await create(
        client, tenant_a, name="Ours", content="# Parking\n\nPark in the yard behind the shop."
    )
    theirs = await create(client, tenant_b, name="Theirs", content=GUIDE)
    await settle(runtime)

    hits_a = await vectors.search(
        runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=10
    )
    hits_b = await vectors.search(
        runtime.db, runtime.cache, tenant_b.id, "Where can I leave my car?", limit=10
    )
    assert {h.document_id for h in hits_a} == {ours}
    assert {h.document_id for h in hits_b} == {theirs} and len(hits_b) == 3
    entry = await vectors.entry_for(runtime.db, runtime.cache, tenant_a.id)
    assert entry.matrix.shape == (1, 256) and set(entry.document_ids) == {ours}


async def test_the_cache_stays_within_its_memory_bound(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b
) -> None:
    await create(client, tenant_a, name="Ours", content=GUIDE)
    await create(client, tenant_b, name="Theirs", content=GUIDE)
    await settle(runtime)
    one_tenant = 3 * 256 * 4
    small = VectorSearch(runtime.settings, max_bytes=int(one_tenant * 1.5))
    await small.search(runtime.db, runtime.cache, tenant_a.id, "car", limit=1)
    assert len(small) == 1
    await small.search(runtime.db, runtime.cache, tenant_b.id, "car", limit=1)
    assert len(small) == 1 and small.cached_bytes <= small.max_bytes  # tenant A was evicted
    builds = small.builds
    await small.search(runtime.db, runtime.cache, tenant_a.id, "car", limit=1)
    assert small.builds == builds + 1  # rebuilt on demand, and still correct
    large = VectorSearch(runtime.settings)
    await large.search(runtime.db, runtime.cache, tenant_a.id, "car", limit=1)
    await large.search(runtime.db, runtime.cache, tenant_b.id, "car", limit=1)
    assert len(large) == 2


class Failing:
    model = "wordllama/l2_supercat-256"
    calls = 0

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        raise ConnectionError("embedding endpoint unreachable")


async def test_a_failing_provider_gives_no_semantic_hits_and_no_error(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tenant_a
) -> None:
    from frontdesk.knowledge import vectors as module

    await create(client, tenant_a, name="Guide", content=GUIDE)
    await settle(runtime)
    failing = Failing()
    monkeypatch.setattr(module, "embedder_for", lambda config, settings: failing)
    search = VectorSearch(runtime.settings)
    assert (
        await search.search(runtime.db, runtime.cache, tenant_a.id, "Where can I leave my car?", limit=3)
        == []
    )
    # the next turns do not wait for a provider that just failed
    assert await search.search(runtime.db, runtime.cache, tenant_a.id, "Is there parking?", limit=3) == []
    assert failing.calls == 1


async def test_vectors_of_another_model_are_not_mixed_in(
    client: httpx.AsyncClient, runtime: Runtime, vectors: VectorSearch, tenant_a
) -> None:
    await create(client, tenant_a, name="Guide", content=GUIDE)
    await settle(runtime)
    assert await vectors.search(runtime.db, runtime.cache, tenant_a.id, "car", limit=3)
    # the tenant switches to OpenAI embeddings (its own key): until the job re-embeds, none of
    # the stored (embedded-model) vectors may be compared with an OpenAI query vector
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        config = BotConfigIn.model_validate(
            {"knowledge": {"embeddings": "openai"}, "llm": {"api_key": "sk-tenant"}}
        )
        await bot_config.save(session, config, api_key_sent=True)
    await generations.bump(runtime.cache, tenant_a.id, generations.CONFIG)
    entry = await vectors.entry_for(runtime.db, runtime.cache, tenant_a.id)
    assert entry.embedder.model.startswith("openai/") and entry.matrix.shape[0] == 0


class Endpoint:
    """An embedder named like every other OpenAI-compatible one, at its own endpoint."""

    model = "openai/text-embedding-3-small-256"

    def __init__(self, sign: float) -> None:
        self.sign = sign
        self.questions: list[str] = []

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.questions.extend(texts)
        return np.full((len(texts), 4), self.sign * 0.5, dtype=np.float32)


async def test_question_vectors_are_never_shared_between_tenants(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tenant_a, tenant_b
) -> None:
    """Two endpoints with the same model name: each tenant's question is embedded by its own
    (a hostile endpoint's vector is never served to another tenant, nor does the missing call
    tell it what the other tenant asked)."""
    from frontdesk.knowledge import vectors as module

    hostile, honest = Endpoint(-1.0), Endpoint(1.0)
    by_url = {"https://hostile.example/v1": hostile, "https://honest.example/v1": honest}
    for tenant, url in ((tenant_a, "https://hostile.example/v1"), (tenant_b, "https://honest.example/v1")):
        async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
            await bot_config.save(
                session, BotConfigIn.model_validate({"llm": {"base_url": url}}), api_key_sent=False
            )
        await generations.bump(runtime.cache, tenant.id, generations.CONFIG)
        doc_id = await create(client, tenant, name="Guide", content=GUIDE)
        await settle(runtime)
        async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:  # the endpoint's vectors
            for chunk in await session.scalars(
                select(KnowledgeChunk).where(KnowledgeChunk.document_id == uuid.UUID(doc_id))
            ):
                chunk.embedding, chunk.embedding_model = to_bytes(np.full(4, 0.5, np.float32)), Endpoint.model
    monkeypatch.setattr(module, "embedder_for", lambda config, settings: by_url[str(config.llm.base_url)])
    search = VectorSearch(runtime.settings)

    question = "Where can I leave my car?"
    assert await search.search(runtime.db, runtime.cache, tenant_a.id, question, limit=3) == []
    hits = await search.search(runtime.db, runtime.cache, tenant_b.id, question, limit=3)
    assert len(hits) == 3  # the honest endpoint's vector, not the hostile one's (which scores < 0)
    assert hostile.questions == [question] and honest.questions == [question]
