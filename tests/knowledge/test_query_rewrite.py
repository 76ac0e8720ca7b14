"""Query rewrite: a question in another language than the knowledge is translated for retrieval
by one short LLM call, cached; without an LLM, in the same language, or when the call fails,
the question is used as asked."""

from __future__ import annotations

import uuid

import httpx

from frontdesk.kit.cache import MemoryCache
from frontdesk.knowledge.query_rewrite import MAX_TOKENS, rewrite_for_retrieval
from frontdesk.knowledge.vectors import VectorSearch
from frontdesk.llm.breaker import CircuitBreaker
from frontdesk.llm.offline import OfflineResponder
from frontdesk.llm.openai_provider import OpenAIProvider
from frontdesk.runtime import Runtime
from tests.fakes.openai_server import FakeOpenAI
from tests.knowledge.jobs import settle

QUESTION = "Où puis-je garer ma voiture ?"
TRANSLATED = "Where can I park my car?"


def provider(fake: FakeOpenAI, timeout_s: float = 5.0) -> OpenAIProvider:
    return OpenAIProvider(
        "sk-test", fake.base_url, timeout_s=timeout_s, max_retries=0, breaker=CircuitBreaker()
    )


async def test_a_question_in_another_language_is_translated_once() -> None:
    with FakeOpenAI(reply=f'"{TRANSLATED}"') as fake:
        cache, tenant = MemoryCache(), uuid.uuid4()
        llm = provider(fake)
        rewritten = await rewrite_for_retrieval(
            llm, QUESTION, "fr", "en", model="gpt-4o-mini", tenant_id=tenant, cache=cache
        )
        assert rewritten == TRANSLATED  # quotes stripped
        (request,) = fake.chat_requests
        assert request.body["max_tokens"] == MAX_TOKENS and request.body["temperature"] == 0
        assert "English" in request.body["messages"][0]["content"]
        assert request.body["messages"][-1]["content"] == QUESTION

        # the same question (spacing and case aside) is answered from the cache
        again = await rewrite_for_retrieval(
            llm, "  où puis-je GARER ma voiture ? ", "fr", "en", model="m", tenant_id=tenant, cache=cache
        )
        assert again == TRANSLATED and len(fake.chat_requests) == 1
        # another tenant's cache entry is its own
        await rewrite_for_retrieval(llm, QUESTION, "fr", "en", model="m", tenant_id=uuid.uuid4(), cache=cache)
        assert len(fake.chat_requests) == 2


async def test_the_question_stands_when_no_rewrite_is_needed_or_possible() -> None:
    with FakeOpenAI(reply=TRANSLATED) as fake:
        llm = provider(fake)
        assert await rewrite_for_retrieval(llm, "Where to park?", "en", "en", model="m") == "Where to park?"
        assert await rewrite_for_retrieval(llm, QUESTION, None, "en", model="m") == QUESTION
        assert await rewrite_for_retrieval(llm, QUESTION, "fr", None, model="m") == QUESTION
        assert await rewrite_for_retrieval(None, QUESTION, "fr", "en", model="m") == QUESTION
        offline = OfflineResponder.__new__(OfflineResponder)  # the offline responder: no LLM call
        assert await rewrite_for_retrieval(offline, QUESTION, "fr", "en", model="m") == QUESTION
        assert fake.chat_requests == []

        fake.fail_next(1, 500)
        assert (
            await rewrite_for_retrieval(llm, QUESTION, "fr", "en", model="m", cache=MemoryCache()) == QUESTION
        )
        fake.delay_seconds = 2.0
        slow = await rewrite_for_retrieval(
            llm, QUESTION, "fr", "en", model="m", cache=MemoryCache(), timeout_s=0.2
        )
        assert slow == QUESTION
        fake.delay_seconds = 0.0
        fake.reply = "   "
        assert (
            await rewrite_for_retrieval(llm, QUESTION, "fr", "en", model="m", cache=MemoryCache()) == QUESTION
        )


async def test_a_translated_question_finds_the_english_chunk(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    content = (
        "# Parking\n\nFree parking behind the building for every customer.\n\n"
        "# Opening hours\n\nMonday to Friday, 9:00 to 18:00.\n\n"
        "# Returns\n\nAny item within 30 days, with the receipt."
    )
    r = await client.post(
        "/api/v1/knowledge", headers=tenant_a.headers, json={"name": "Guide", "content": content}
    )
    doc_id = r.json()["id"]
    await settle(runtime)
    search = VectorSearch(runtime.settings)
    language = await search.knowledge_language(runtime.db, runtime.cache, tenant_a.id)
    assert language == "en"
    with FakeOpenAI(reply=TRANSLATED) as fake:
        query = await rewrite_for_retrieval(
            provider(fake), QUESTION, "fr", language, model="m", tenant_id=tenant_a.id
        )
    hits = await search.search(runtime.db, runtime.cache, tenant_a.id, query, limit=1)
    assert [(h.document_id, h.ordinal) for h in hits] == [(doc_id, 0)]
