"""KnowledgeRetriever: searches see every committed write, only the tenant's own text,
and the per-tenant index is rebuilt only when the knowledge changed (or grew old)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from typing import Any

import httpx
import pytest

from frontdesk.db.engine import Database
from frontdesk.kit.cache import Cache
from frontdesk.knowledge import retrieval
from frontdesk.knowledge.chunking import Chunk
from frontdesk.knowledge.embeddings import static_embedder
from frontdesk.knowledge.fusion import estimate_tokens, knowledge_text, pack
from frontdesk.knowledge.index import ScoredChunk
from frontdesk.knowledge.retrieval import KnowledgeRetriever
from frontdesk.runtime import Runtime
from tests import factories

BASE = "/api/v1/knowledge"
HOURS = "# Opening hours\n\nWe are open Monday to Friday from 9am to 6pm."
NEW_HOURS = "# Opening hours\n\nFrom March we open on Saturdays too, 10am to 2pm."


class Searcher:
    """A retriever bound to the test runtime, returning chunk texts."""

    def __init__(self, runtime: Runtime, **options: Any) -> None:
        self.runtime = runtime
        self.retriever = KnowledgeRetriever(**options)

    async def texts(self, tenant_id: uuid.UUID, query: str, limit: int = 4) -> list[str]:
        hits = await self.retriever.search(self.runtime.db, self.runtime.cache, tenant_id, query, limit=limit)
        return [hit.chunk.text for hit in hits]

    @property
    def builds(self) -> int:
        return self.retriever.builds


@pytest.fixture
def searcher(runtime: Runtime) -> Searcher:
    return Searcher(runtime)


async def post(client: httpx.AsyncClient, tenant: factories.TenantWithKey, name: str, **body: object) -> str:
    r = await client.post(BASE, headers=tenant.headers, json={"name": name, **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_search_follows_create_update_and_delete(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    assert await searcher.texts(tenant_a.id, "When are you open?") == []

    doc_id = await post(client, tenant_a, "Shop guide", content=HOURS)
    hits = await searcher.retriever.search(searcher.runtime.db, searcher.runtime.cache, tenant_a.id, "open")
    assert [(h.chunk.document_id, h.chunk.document_name, h.chunk.heading) for h in hits] == [
        (doc_id, "Shop guide", "Opening hours")
    ]
    assert "Monday to Friday" in hits[0].chunk.text

    r = await client.put(f"{BASE}/{doc_id}", headers=tenant_a.headers, json={"content": NEW_HOURS})
    assert r.status_code == 200
    texts = await searcher.texts(tenant_a.id, "When are you open on Saturday?")
    assert len(texts) == 1 and "Saturdays too" in texts[0]
    assert await searcher.texts(tenant_a.id, "Monday Friday 6pm") == []

    assert (await client.delete(f"{BASE}/{doc_id}", headers=tenant_a.headers)).status_code == 204
    assert await searcher.texts(tenant_a.id, "When are you open on Saturday?") == []


async def test_faq_pairs_are_retrieved_one_by_one(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    faq = [
        {"question": "Do you ship abroad?", "answer": "Yes, to the EU and the UK."},
        {"question": "Can I pay by invoice?", "answer": "Only companies can."},
    ]
    await post(client, tenant_a, "FAQ", faq=faq)
    assert await searcher.texts(tenant_a.id, "invoice", limit=4) == [
        "Q: Can I pay by invoice?\nA: Only companies can."
    ]


async def test_each_tenant_finds_only_its_own_chunks(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a, tenant_b
) -> None:
    await post(client, tenant_a, "Bikes", content="# Opening hours\n\nAlpha Bikes opens at 8am for repairs.")
    await post(
        client, tenant_b, "Bakery", content="# Opening hours\n\nBeta Bakery opens at 6am with fresh bread."
    )
    a = await searcher.texts(tenant_a.id, "opening hours bread repairs bikes bakery")
    b = await searcher.texts(tenant_b.id, "opening hours bread repairs bikes bakery")
    assert len(a) == 1 and "Alpha Bikes" in a[0]
    assert len(b) == 1 and "Beta Bakery" in b[0]
    assert await searcher.texts(tenant_a.id, "fresh bread") == []


async def test_an_unchanged_knowledge_base_is_not_rebuilt(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a, tenant_b
) -> None:
    doc_id = await post(client, tenant_a, "Shop guide", content=HOURS)
    for _ in range(5):
        assert await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 1

    # Another tenant's write does not rebuild this tenant's index.
    await post(client, tenant_b, "Other", content="Something else entirely.")
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 1

    # Refused writes change nothing, so nothing is rebuilt.
    r = await client.post(BASE, headers=tenant_a.headers, json={"name": "Both", "content": "x", "faq": []})
    assert r.status_code == 422
    r = await client.put(f"{BASE}/{uuid.uuid4()}", headers=tenant_a.headers, json={"name": "Nope"})
    assert r.status_code == 404
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 1

    # Every kind of write does.
    await client.put(f"{BASE}/{doc_id}", headers=tenant_a.headers, json={"name": "Guide"})
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 2
    await post(client, tenant_a, "More", content="More text.")
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 3
    await client.delete(f"{BASE}/{doc_id}", headers=tenant_a.headers)
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 4

    searcher.retriever.invalidate(tenant_a.id)
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 5


async def test_concurrent_first_searches_build_once(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    await post(client, tenant_a, "Shop guide", content=HOURS)
    results = await asyncio.gather(*(searcher.texts(tenant_a.id, "opening hours") for _ in range(10)))
    assert searcher.builds == 1
    assert all(len(texts) == 1 and "Monday to Friday" in texts[0] for texts in results)


async def test_an_old_index_is_rebuilt(client: httpx.AsyncClient, runtime: Runtime, tenant_a) -> None:
    now = [1000.0]
    searcher = Searcher(runtime, max_age=300.0, clock=lambda: now[0])
    await post(client, tenant_a, "Shop guide", content=HOURS)
    await searcher.texts(tenant_a.id, "opening hours")
    now[0] += 299
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 1
    now[0] += 2
    await searcher.texts(tenant_a.id, "opening hours")
    assert searcher.builds == 2


async def test_least_recently_used_tenants_are_evicted(client: httpx.AsyncClient, runtime: Runtime) -> None:
    searcher = Searcher(runtime, max_tenants=2)
    tenants = [await factories.tenant_with_key(runtime, name=f"T{i}") for i in range(3)]
    for t in tenants:
        await post(client, t, "Guide", content=f"{t.name} sells kites.")
    await searcher.texts(tenants[0].id, "kites")
    await searcher.texts(tenants[1].id, "kites")
    await searcher.texts(tenants[0].id, "kites")  # tenant 1 is now the least recently used
    assert await searcher.texts(tenants[2].id, "kites") == ["T2 sells kites."]
    assert (searcher.builds, len(searcher.retriever)) == (3, 2)
    await searcher.texts(tenants[0].id, "kites")
    assert searcher.builds == 3
    assert await searcher.texts(tenants[1].id, "kites") == ["T1 sells kites."]
    assert searcher.builds == 4


async def test_large_knowledge_is_indexed_off_the_event_loop(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    index = retrieval._index

    def spy(documents: list[tuple[str, str, str]]) -> retrieval.KnowledgeIndex:
        threads.append(threading.current_thread())
        return index(documents)

    monkeypatch.setattr(retrieval, "_index", spy)
    searcher = Searcher(runtime, thread_chars=100)
    await post(client, tenant_a, "Small", content="Kites fly.")
    await searcher.texts(tenant_a.id, "kites")
    await post(client, tenant_a, "Large", content="Kites and more kites. " * 20)
    hits = await searcher.texts(tenant_a.id, "kites fly")
    assert hits[0] == "Kites fly."
    assert threads[0] is threading.main_thread() and threads[1] is not threading.main_thread()


# -- retrieve: lexical hits fused with a semantic source, packed into a token budget ----------

GUIDE = """\
# Opening hours

Monday to Friday, 9:00 to 18:00.

# Parking

Free parking spaces behind the shop, reserved for customers.

# Refunds

Ask for a refund within 30 days of purchase.

# Repairs

We repair every brand of bicycle within two days.
"""


@dataclasses.dataclass(frozen=True)
class Hit:
    document_id: str
    ordinal: int
    score: float


class StaticVectors:
    """A small semantic source: the embedded model over the tenant's chunks, exact cosine."""

    def __init__(self, retriever: KnowledgeRetriever) -> None:
        self.retriever = retriever
        self.calls = 0

    async def search(
        self, db: Database, cache: Cache, tenant_id: uuid.UUID, query: str, *, limit: int
    ) -> list[Hit]:
        self.calls += 1
        _, index = await self.retriever.index_for(db, cache, tenant_id)
        chunks = index.chunks
        embedder = static_embedder()
        vectors = await embedder.embed([knowledge_text(c) for c in chunks])
        scores = vectors @ (await embedder.embed([query]))[0]
        order = sorted(range(len(chunks)), key=lambda i: -scores[i])[:limit]
        return [Hit(chunks[i].document_id, chunks[i].ordinal, float(scores[i])) for i in order]


async def headings(searcher: Searcher, tenant_id: uuid.UUID, query: str, **options: Any) -> list[str | None]:
    found = await searcher.retriever.retrieve(
        searcher.runtime.db, searcher.runtime.cache, tenant_id, query, **options
    )
    return [hit.chunk.heading for hit in found.hits]


async def test_a_semantic_source_finds_what_no_word_of_the_question_says(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    await post(client, tenant_a, "Guide", content=GUIDE)
    vectors = StaticVectors(searcher.retriever)

    assert await headings(searcher, tenant_a.id, "Where can I leave my car?") == []  # no shared word
    found = await headings(searcher, tenant_a.id, "Where can I leave my car?", semantic=vectors)
    assert found[0] == "Parking"
    # both searches agree: first, with the best possible score
    retrieval = await searcher.retriever.retrieve(
        searcher.runtime.db, searcher.runtime.cache, tenant_a.id, "where do I park", semantic=vectors
    )
    assert retrieval.hits[0].chunk.heading == "Parking" and retrieval.hits[0].score == 1.0
    assert (
        retrieval.knowledge[0] == "## Parking\nFree parking spaces behind the shop, reserved for customers."
    )
    # small talk is not close enough to anything
    assert await headings(searcher, tenant_a.id, "how are you?", semantic=vectors) == []
    assert vectors.calls == 3


async def test_the_knowledge_of_a_turn_stays_within_its_token_budget(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    products = "\n\n".join(
        f"# Bike model {i}\n\nThe model {i} city bike has {i % 9 + 3} gears, a steel frame, mudguards "
        f"and lights, and costs {300 + i * 7} euros. Delivery of the bike takes {i % 5 + 2} days."
        for i in range(280)
    )
    assert len(products) > 40_000
    await post(client, tenant_a, "Catalogue", content=products)
    await post(
        client, tenant_a, "FAQ", faq=[{"question": "Do you deliver bikes?", "answer": "Yes, anywhere."}]
    )

    for budget in (1500, 300):
        retrieval = await searcher.retriever.retrieve(
            searcher.runtime.db,
            searcher.runtime.cache,
            tenant_a.id,
            "city bike steel frame gears lights delivery price",
            budget_tokens=budget,
        )
        assert retrieval.hits
        assert sum(estimate_tokens(text) for text in retrieval.knowledge) <= budget
    retrieval = await searcher.retriever.retrieve(
        searcher.runtime.db, searcher.runtime.cache, tenant_a.id, "model 117 bike price"
    )
    assert retrieval.hits[0].chunk.heading == "Bike model 117"


def test_packing_keeps_order_drops_repeats_and_cuts_a_lone_giant() -> None:
    def hit(ordinal: int, text: str, heading: str | None = None) -> ScoredChunk:
        return ScoredChunk(Chunk("d", "Doc", ordinal, heading, text), 1.0 / (ordinal + 1))

    first = hit(0, "Parking is free behind the shop for all customers.")
    repeat = hit(1, "Parking is free behind the shop, for all customers!")
    other = hit(2, "Refunds within 30 days.")
    assert pack([first, repeat, other]) == [first, other]

    giant = hit(3, "word " * 2000, heading="Catalogue")
    packed = pack([giant, other], budget_tokens=100)
    assert len(packed) == 1 and packed[0].chunk.text.endswith("…")
    assert estimate_tokens(knowledge_text(packed[0].chunk)) <= 100
    # a chunk too large for what is left gives way to a smaller one further down
    assert pack([other, giant, first], budget_tokens=40) == [other, first]


async def test_a_failing_semantic_source_leaves_the_lexical_hits(
    client: httpx.AsyncClient, searcher: Searcher, tenant_a
) -> None:
    class Down:
        async def search(
            self, db: Database, cache: Cache, tenant_id: uuid.UUID, query: str, *, limit: int
        ) -> list[Hit]:
            raise ConnectionError("embedding endpoint down")

    await post(client, tenant_a, "Guide", content=GUIDE)

    assert await headings(searcher, tenant_a.id, "refund", semantic=Down()) == ["Refunds"]
