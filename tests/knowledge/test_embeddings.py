"""Embedding providers: the OpenAI-compatible one through the real SDK against the fake server,
with the chat provider's key rules (a tenant's key only to the tenant's base URL, through the
outbound guard; the deployment's key only to the deployment's endpoint), and the per-tenant
setting that picks the provider and re-embeds the knowledge when it changes."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.db.session import unit_of_work
from frontdesk.knowledge.embeddings import (
    STATIC_MODEL,
    EmbeddingError,
    OpenAIEmbedder,
    StaticEmbedder,
    embedder_for,
    from_bytes,
    model_for,
    openai_model_name,
    static_embedder,
    to_bytes,
)
from frontdesk.knowledge.vectors import VectorSearch
from frontdesk.models import KnowledgeChunk
from frontdesk.runtime import Runtime
from frontdesk.tenants.bot_config import BotConfigIn
from tests import factories
from tests.chat.test_tenant_endpoint import platform
from tests.fakes.openai_server import FakeOpenAI
from tests.knowledge.jobs import settle

DEPLOYMENT_KEY = "sk-deployment-canary"
TENANT_KEY = "sk-tenant-own"
GUIDE = "# Parking\n\nFree parking behind the building.\n\n# Opening hours\n\nMonday to Friday, 9 to 6."


def test_the_static_embedder_gives_unit_vectors_that_round_trip() -> None:
    embedder = static_embedder()
    assert embedder is static_embedder() and isinstance(embedder, StaticEmbedder)  # loaded once
    vectors = embedder.embed_sync(["Where can I park?", "Opening hours"])
    assert vectors.shape == (2, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(from_bytes(to_bytes(vectors[0])), vectors[0])


async def test_the_openai_embedder_through_the_sdk() -> None:
    with FakeOpenAI() as fake:
        embedder = OpenAIEmbedder(TENANT_KEY, fake.base_url)
        assert embedder.model == openai_model_name(base_url=fake.base_url)
        texts = [f"text number {i}" for i in range(130)]
        vectors = await embedder.embed(texts)
        assert vectors.shape == (130, 256) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        requests = [r for r in fake.requests if r.path == "/v1/embeddings"]
        assert [len(r.body["input"]) for r in requests] == [128, 2]  # batched
        assert {(r.body["model"], r.body["dimensions"], r.bearer) for r in requests} == {
            ("text-embedding-3-small", 256, TENANT_KEY)
        }
        # the same text gives the same vector, in the caller's order
        again = await embedder.embed([texts[5], texts[0]])
        assert np.allclose(again, vectors[[5, 0]])

        fake.fail_next(5, 500)
        with pytest.raises(EmbeddingError) as raised:
            await OpenAIEmbedder(TENANT_KEY, fake.base_url, max_retries=0).embed(["hello"])
        assert TENANT_KEY not in str(raised.value)


def config(**llm: object) -> BotConfigIn:
    return BotConfigIn.model_validate({"knowledge": {"embeddings": "openai"}, "llm": llm})


async def test_keys_go_only_to_their_own_endpoint(settings: Settings) -> None:
    with FakeOpenAI() as deployment, FakeOpenAI() as tenant_endpoint:
        deployed = settings.model_copy(
            update={
                "openai_api_key": SecretStr(DEPLOYMENT_KEY),
                "openai_base_url": deployment.base_url,
                "outbound_allow": [f"127.0.0.1:{tenant_endpoint.port}"],
            }
        )
        # the tenant's endpoint: the tenant's key, never the deployment's
        await embedder_for(config(base_url=tenant_endpoint.base_url, api_key=TENANT_KEY), deployed).embed(
            ["a"]
        )
        assert [r.bearer for r in tenant_endpoint.requests] == [TENANT_KEY]
        # a tenant base URL without the tenant's key: the embedded model, nothing sent anywhere
        assert embedder_for(config(base_url=tenant_endpoint.base_url), deployed).model == STATIC_MODEL
        # the tenant's key without a base URL: the deployment's endpoint with the tenant's key
        await embedder_for(config(api_key=TENANT_KEY), deployed).embed(["b"])
        # no tenant key: the deployment's key to the deployment's endpoint
        await embedder_for(config(), deployed).embed(["c"])
        assert [r.bearer for r in deployment.requests] == [TENANT_KEY, DEPLOYMENT_KEY]
        assert len(tenant_endpoint.requests) == 1
        # "embedded" never calls out
        assert embedder_for(BotConfigIn(), deployed).model == STATIC_MODEL

        # the outbound guard stands between a tenant's URL and loopback unless the deployment allows it
        guarded = settings.model_copy(update={"outbound_allow": []})
        with pytest.raises(EmbeddingError):
            await embedder_for(config(base_url=tenant_endpoint.base_url, api_key=TENANT_KEY), guarded).embed(
                ["d"]
            )
        assert len(tenant_endpoint.requests) == 1


async def chunk_models(runtime: Runtime, tenant_id: uuid.UUID) -> list[str | None]:
    async with unit_of_work(runtime.db, tenant_id=tenant_id, read_only=True) as session:
        return list(
            await session.scalars(select(KnowledgeChunk.embedding_model).order_by(KnowledgeChunk.ordinal))
        )


async def test_a_tenant_on_openai_embeddings_end_to_end(settings: Settings) -> None:
    with FakeOpenAI() as endpoint:
        async with platform(settings, outbound_allow=[f"127.0.0.1:{endpoint.port}"]) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Own endpoint")
            other = await factories.tenant_with_key(runtime, name="Embedded")
            # no key anywhere (this deployment has none): 'openai' is refused when saved
            r = await client.put(
                "/api/v1/config", headers=tenant.headers, json={"knowledge": {"embeddings": "openai"}}
            )
            assert r.status_code == 422 and "knowledge.embeddings" in r.json()["detail"]
            r = await client.post(
                "/api/v1/knowledge", headers=tenant.headers, json={"name": "Guide", "content": GUIDE}
            )
            doc_id = r.json()["id"]
            await client.post(
                "/api/v1/knowledge", headers=other.headers, json={"name": "Guide", "content": GUIDE}
            )
            await settle(runtime)
            assert await chunk_models(runtime, tenant.id) == [STATIC_MODEL, STATIC_MODEL]

            # switching provider re-embeds everything with the new model, with the tenant's key
            body = {
                "knowledge": {"embeddings": "openai"},
                "llm": {"base_url": endpoint.base_url, "api_key": TENANT_KEY},
            }
            r = await client.put("/api/v1/config", headers=tenant.headers, json=body)
            assert r.status_code == 200 and r.json()["knowledge"] == {"embeddings": "openai"}
            await settle(runtime)
            own_model = openai_model_name(base_url=endpoint.base_url)
            assert await chunk_models(runtime, tenant.id) == [own_model, own_model]
            assert await chunk_models(runtime, other.id) == [STATIC_MODEL, STATIC_MODEL]  # untouched
            r = await client.get(f"/api/v1/knowledge/{doc_id}", headers=tenant.headers)
            assert (r.json()["embedded_chunks"], r.json()["indexing"]) == (2, "ready")
            embedded = [r for r in endpoint.requests if r.path == "/v1/embeddings"]
            assert embedded and {r.bearer for r in embedded} == {TENANT_KEY}

            # the question is embedded by the same provider
            search = VectorSearch(runtime.settings)
            hits = await search.search(runtime.db, runtime.cache, tenant.id, "car", limit=2)
            assert {h.document_id for h in hits} <= {doc_id}
            assert endpoint.requests[-1].body["input"] == ["car"]

            # the provider fails: the question gets no semantic hits, and no error
            endpoint.fail_next(10, 500)
            assert await search.search(runtime.db, runtime.cache, tenant.id, "where to park", limit=2) == []
            # a document written meanwhile stays pending, nothing lost; the sweep retries later
            r = await client.put(
                f"/api/v1/knowledge/{doc_id}",
                headers=tenant.headers,
                json={"content": GUIDE + "\n\n# Wifi\n\nFree."},
            )
            await settle(runtime)
            r = await client.get(f"/api/v1/knowledge/{doc_id}", headers=tenant.headers)
            assert (r.json()["chunks"], r.json()["embedded_chunks"], r.json()["indexing"]) == (
                3,
                2,
                "pending",
            )


async def test_the_model_name_carries_the_endpoint(settings: Settings) -> None:
    """The same model at two endpoints is two models: moving to another endpoint re-embeds, and
    vectors from one endpoint are never compared with another's."""
    deployed = settings.model_copy(update={"openai_api_key": SecretStr(DEPLOYMENT_KEY)})
    names = {
        model_for(config(), deployed),
        model_for(config(base_url="https://one.example/v1", api_key=TENANT_KEY), deployed),
        model_for(config(base_url="https://two.example/v1", api_key=TENANT_KEY), deployed),
    }
    assert len(names) == 3 and all(name.startswith("openai/text-embedding-3-small-256@") for name in names)
    own = config(base_url="https://one.example/v1", api_key=TENANT_KEY)
    assert embedder_for(own, deployed).model == model_for(own, deployed)
    assert embedder_for(config(), deployed).model == model_for(config(), deployed)


async def test_a_hostile_endpoint_never_serves_or_learns_another_tenants_questions(
    settings: Settings,
) -> None:
    """Two tenants with their own endpoints ask the same question: each question is embedded by
    the asking tenant's own endpoint (a shared cache would hand tenant B's endpoint's vector to
    tenant A, and show tenant B which questions A asked by the calls it no longer gets)."""
    with FakeOpenAI() as theirs, FakeOpenAI() as ours:
        allow = [f"127.0.0.1:{theirs.port}", f"127.0.0.1:{ours.port}"]
        async with platform(settings, outbound_allow=allow) as (client, runtime):
            hostile = await factories.tenant_with_key(runtime, name="Hostile")
            victim = await factories.tenant_with_key(runtime, name="Victim")
            for tenant, endpoint in ((hostile, theirs), (victim, ours)):
                body = {
                    "knowledge": {"embeddings": "openai"},
                    "llm": {"base_url": endpoint.base_url, "api_key": TENANT_KEY},
                }
                r = await client.put("/api/v1/config", headers=tenant.headers, json=body)
                assert r.status_code == 200, r.text
                r = await client.post(
                    "/api/v1/knowledge", headers=tenant.headers, json={"name": "Guide", "content": GUIDE}
                )
                assert r.status_code == 201, r.text
            await settle(runtime)
            assert set(await chunk_models(runtime, hostile.id)) == {
                openai_model_name(base_url=theirs.base_url)
            }
            assert set(await chunk_models(runtime, victim.id)) == {openai_model_name(base_url=ours.base_url)}

            def questions(endpoint: FakeOpenAI) -> list[object]:
                return [r.body["input"] for r in endpoint.requests if r.path == "/v1/embeddings"]

            search = VectorSearch(runtime.settings)
            question = "Where can I park my car?"
            await search.search(runtime.db, runtime.cache, hostile.id, question, limit=2)
            assert questions(theirs).count([question]) == 1
            await search.search(runtime.db, runtime.cache, victim.id, question, limit=2)
            assert questions(ours).count([question]) == 1  # the victim's own endpoint embedded it
            assert questions(theirs).count([question]) == 1  # ... and the hostile one heard nothing
            # the victim asks again: its own cached vector, still nothing for the hostile endpoint
            await search.search(runtime.db, runtime.cache, victim.id, question, limit=2)
            assert questions(theirs).count([question]) == 1
