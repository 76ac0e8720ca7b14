"""Chunk rows follow their document, and the embedding job fills them in the background:
an unchanged chunk keeps its vector (re-importing a page embeds nothing new), a crashed job is
picked up by the sweep, and the document API says when a document is fully indexed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from frontdesk.db import migrate
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.knowledge import chunks
from frontdesk.knowledge.chunks import content_hash, documents_to_embed, embed_document, tenants_to_reembed
from frontdesk.knowledge.embeddings import (
    STATIC_MODEL,
    EmbeddingError,
    StaticEmbedder,
    Vectors,
    from_bytes,
    static_embedder,
)
from frontdesk.models import KnowledgeChunk, TenantConfiguration
from frontdesk.runtime import Runtime
from frontdesk.tenants import bot_config
from frontdesk.tenants.bot_config import BotConfigIn
from tests import factories
from tests.db.test_migrations import TENANTS, _execute, fresh_database
from tests.knowledge.jobs import settle

BASE = "/api/v1/knowledge"
GUIDE = (
    "# Parking\n\nFree parking behind the building for every customer.\n\n"
    "# Opening hours\n\nMonday to Friday, 9:00 to 18:00.\n\n"
    "# Returns\n\nAny item within 30 days, with the receipt."
)


class CountingEmbedder:
    """The embedded model, counting the texts it is asked to embed."""

    def __init__(self, inner: StaticEmbedder) -> None:
        self.inner = inner
        self.model = inner.model
        self.texts: list[str] = []

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return await self.inner.embed(texts)


@pytest.fixture
async def counting(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    await settle(runtime)  # jobs left running by earlier tests count nothing here
    embedder = CountingEmbedder(static_embedder())
    monkeypatch.setattr(chunks, "embedder_for", lambda config, settings: embedder)
    return embedder


async def rows(
    runtime: Runtime, tenant_id: uuid.UUID, document_id: str | None = None
) -> list[KnowledgeChunk]:
    async with unit_of_work(runtime.db, tenant_id=tenant_id, read_only=True) as session:
        query = select(KnowledgeChunk).order_by(KnowledgeChunk.document_id, KnowledgeChunk.ordinal)
        if document_id is not None:
            query = query.where(KnowledgeChunk.document_id == uuid.UUID(document_id))
        return list(await session.scalars(query))


async def create(client: httpx.AsyncClient, tenant: factories.TenantWithKey, **body: object) -> dict:
    r = await client.post(BASE, headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_chunk_rows_follow_create_update_and_delete(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, counting: CountingEmbedder
) -> None:
    doc = await create(client, tenant_a, name="Guide", content=GUIDE)
    stored = await rows(runtime, tenant_a.id, doc["id"])
    assert [(r.ordinal, r.heading) for r in stored] == [(0, "Parking"), (1, "Opening hours"), (2, "Returns")]
    assert doc["chunks"] == 3
    assert all(r.content_hash == content_hash(r.heading, r.text) for r in stored)
    assert {r.language for r in stored} == {"en"}

    await settle(runtime)
    stored = await rows(runtime, tenant_a.id, doc["id"])
    assert all(r.embedding_model == STATIC_MODEL and r.embedding is not None for r in stored)
    assert from_bytes(stored[0].embedding or b"").shape == (256,)
    r = await client.get(f"{BASE}/{doc['id']}", headers=tenant_a.headers)
    assert (r.json()["embedded_chunks"], r.json()["indexing"]) == (3, "ready")
    listed = (await client.get(BASE, headers=tenant_a.headers)).json()["items"]
    assert [(d["chunks"], d["embedded_chunks"], d["indexing"]) for d in listed] == [(3, 3, "ready")]

    r = await client.put(
        f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"content": "# Parking\n\nNone."}
    )
    assert r.status_code == 200
    stored = await rows(runtime, tenant_a.id, doc["id"])
    assert [(x.ordinal, x.text) for x in stored] == [(0, "None.")]
    assert r.json()["chunks"] == 1

    assert (await client.delete(f"{BASE}/{doc['id']}", headers=tenant_a.headers)).status_code == 204
    assert await rows(runtime, tenant_a.id) == []


async def test_only_changed_chunks_are_embedded_again(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, counting: CountingEmbedder
) -> None:
    doc = await create(client, tenant_a, name="Guide", content=GUIDE)
    await settle(runtime)
    assert len(counting.texts) == 3
    before = {r.ordinal: r.embedding for r in await rows(runtime, tenant_a.id, doc["id"])}

    # the same page imported again: nothing to embed
    r = await client.put(f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"content": GUIDE})
    assert r.status_code == 200 and r.json()["indexing"] == "ready"
    await settle(runtime)
    assert len(counting.texts) == 3

    # one section changed, and a section moved up: only the changed text is embedded
    changed = (
        "# Opening hours\n\nMonday to Saturday, 9:00 to 18:00.\n\n"
        "# Parking\n\nFree parking behind the building for every customer.\n\n"
        "# Returns\n\nAny item within 30 days, with the receipt."
    )
    r = await client.put(f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"content": changed})
    assert r.json()["embedded_chunks"] == 2 and r.json()["indexing"] == "pending"
    await settle(runtime)
    assert len(counting.texts) == 4 and "Monday to Saturday" in counting.texts[-1]
    after = {r.heading: r for r in await rows(runtime, tenant_a.id, doc["id"])}
    assert after["Parking"].embedding == before[0] and after["Parking"].ordinal == 1  # reused
    assert after["Returns"].embedding == before[2]
    assert after["Opening hours"].embedding not in (None, before[1])
    r = await client.get(f"{BASE}/{doc['id']}", headers=tenant_a.headers)
    assert r.json()["indexing"] == "ready"


async def test_the_sweep_requeues_documents_a_lost_job_left_unembedded(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b, counting: CountingEmbedder
) -> None:
    doc = await create(client, tenant_a, name="Guide", content=GUIDE)
    other = await create(client, tenant_b, name="Theirs", content="# Parking\n\nIn the garage.")
    await settle(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:  # as if the job crashed
        await session.execute(update(KnowledgeChunk).values(embedding=None, embedding_model=None))

    assert await documents_to_embed(runtime.db, older_than=timedelta(hours=1)) == []  # still in time
    due = await documents_to_embed(runtime.db, older_than=timedelta(0))
    assert (tenant_a.id, uuid.UUID(doc["id"])) in due
    assert (tenant_b.id, uuid.UUID(other["id"])) not in due  # embedded: not queued

    counting.texts.clear()
    assert (
        await embed_document(runtime.db, runtime.cache, runtime.settings, tenant_a.id, uuid.UUID(doc["id"]))
        == 3
    )
    assert len(counting.texts) == 3
    assert all(r.embedding is not None for r in await rows(runtime, tenant_a.id))
    # a second run finds nothing left to do
    assert (
        await embed_document(runtime.db, runtime.cache, runtime.settings, tenant_a.id, uuid.UUID(doc["id"]))
        == 0
    )


async def test_the_job_only_touches_its_own_tenants_document(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b, counting: CountingEmbedder
) -> None:
    theirs = await create(client, tenant_b, name="Theirs", content=GUIDE)
    await settle(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant_b.id) as session:
        await session.execute(update(KnowledgeChunk).values(embedding=None, embedding_model=None))
    # tenant A's job pointed at tenant B's document sees nothing (ORM scoping and RLS)
    assert (
        await embed_document(
            runtime.db, runtime.cache, runtime.settings, tenant_a.id, uuid.UUID(theirs["id"])
        )
        == 0
    )
    assert all(r.embedding is None for r in await rows(runtime, tenant_b.id))


DOCUMENTS = sa.table(
    "knowledge_bases",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("content", sa.Text()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
CHUNKS = sa.table(
    "knowledge_chunks",
    *(sa.column(n, sa.Uuid()) for n in ("tenant_id", "document_id")),
    sa.column("ordinal", sa.Integer()),
    sa.column("heading", sa.Text()),
    sa.column("text", sa.Text()),
    sa.column("content_hash", sa.String()),
    sa.column("embedding", sa.LargeBinary()),
)


def test_the_migration_chunks_existing_documents(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    tenants = [uuid.uuid4(), uuid.uuid4()]
    documents = [uuid.uuid4(), uuid.uuid4()]
    now = datetime.now(UTC)
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url, "0010")
        _execute(
            url,
            *(
                sa.insert(TENANTS).values(
                    id=t,
                    name="Old",
                    email=f"{i}@old.test",
                    slug=f"old-{i}",
                    subscription_status="active",
                    plan="free",
                    created_at=now,
                )
                for i, t in enumerate(tenants)
            ),
            sa.insert(DOCUMENTS).values(
                id=documents[0], tenant_id=tenants[0], name="Guide", content=GUIDE, version=1, updated_at=now
            ),
            sa.insert(DOCUMENTS).values(
                id=documents[1],
                tenant_id=tenants[1],
                name="FAQ",
                content="Q: Do you deliver?\nA: Yes, across town.",
                version=1,
                updated_at=now,
            ),
        )
        migrate.upgrade(url, "0011")
        (stored,) = _execute(url, sa.select(CHUNKS).order_by(CHUNKS.c.document_id, CHUNKS.c.ordinal))
        assert [(r["tenant_id"], r["document_id"], r["ordinal"], r["heading"]) for r in stored] == sorted(
            [
                (tenants[0], documents[0], 0, "Parking"),
                (tenants[0], documents[0], 1, "Opening hours"),
                (tenants[0], documents[0], 2, "Returns"),
                (tenants[1], documents[1], 0, "Do you deliver?"),
            ],
            key=lambda row: (row[1], row[2]),
        )
        assert all(r["embedding"] is None for r in stored)  # left to the job
        assert all(r["content_hash"] == content_hash(r["heading"], r["text"]) for r in stored)
        migrate.downgrade(url, "0010")
        migrate.upgrade(url, "0011")


async def test_a_lost_reembedding_after_a_model_change_is_found(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b
) -> None:
    await create(client, tenant_a, name="Guide", content=GUIDE)
    await create(client, tenant_b, name="Guide", content=GUIDE)
    await settle(runtime)
    assert await tenants_to_reembed(runtime.db, runtime.settings) == []
    # tenant A's setting changes and the re-embedding job is lost (saved without the router)
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        config = BotConfigIn.model_validate(
            {"knowledge": {"embeddings": "openai"}, "llm": {"api_key": "sk-a"}}
        )
        await bot_config.save(session, config, api_key_sent=True)
    assert await tenants_to_reembed(runtime.db, runtime.settings) == [tenant_a.id]


async def test_one_unreadable_configuration_does_not_stop_the_reembedding_sweep(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b
) -> None:
    await create(client, tenant_a, name="Guide", content=GUIDE)
    await create(client, tenant_b, name="Guide", content=GUIDE)
    await settle(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        config = BotConfigIn.model_validate(
            {"knowledge": {"embeddings": "openai"}, "llm": {"api_key": "sk-a"}}
        )
        await bot_config.save(session, config, api_key_sent=True)
    # tenant B's stored key cannot be decrypted (a rotated secret, a damaged row)
    async with unit_of_work(runtime.db, tenant_id=tenant_b.id) as session:
        config = BotConfigIn.model_validate(
            {"knowledge": {"embeddings": "openai"}, "llm": {"api_key": "sk-b"}}
        )
        await bot_config.save(session, config, api_key_sent=True)
        await session.execute(
            update(TenantConfiguration)
            .where(TenantConfiguration.config_type == bot_config.CONFIG_TYPE)
            .values(
                config_data={"knowledge": {"embeddings": "openai"}, "llm": {"api_key": "not-a-ciphertext"}}
            )
        )
    assert await tenants_to_reembed(runtime.db, runtime.settings) == [tenant_a.id]


class Unreachable:
    model = STATIC_MODEL

    async def embed(self, texts: Sequence[str]) -> Vectors:
        raise EmbeddingError("embedding request failed: unreachable")


async def test_a_tenant_whose_endpoint_always_fails_never_starves_the_sweep(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tenant_a, tenant_b
) -> None:
    # the victim's id sorts after the failing tenant's: a sweep taking (tenant, document) in key
    # order would only ever see the failing tenant's documents
    failing, victim = sorted((tenant_a, tenant_b), key=lambda t: t.id)
    theirs = sorted(  # equally old: taken in id order
        [
            uuid.UUID(
                (await create(client, failing, name=f"Doc {i}", content=f"# Part {i}\n\nText {i}."))["id"]
            )
            for i in range(6)
        ]
    )
    ours = (await create(client, victim, name="Guide", content=GUIDE))["id"]
    await settle(runtime)
    now = utcnow()
    for tenant, age in ((failing, timedelta(hours=1)), (victim, timedelta(minutes=10))):
        async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:  # as if the jobs were lost
            await session.execute(
                update(KnowledgeChunk).values(embedding=None, embedding_model=None, created_at=now - age)
            )
    monkeypatch.setattr(chunks, "SWEEP_LIMIT", 4)
    monkeypatch.setattr(chunks, "SWEEP_PER_TENANT", 2, raising=False)
    static = static_embedder()

    async def tenant_embedder(db: object, settings: object, tenant_id: uuid.UUID) -> object:
        return Unreachable() if tenant_id == failing.id else static

    monkeypatch.setattr(chunks, "tenant_embedder", tenant_embedder)

    due = await documents_to_embed(runtime.db)
    assert [doc for _, doc in due] == [theirs[0], theirs[1], uuid.UUID(ours)]
    for tenant_id, document_id in due:  # the queued jobs run: the failing tenant's fail
        await embed_document(runtime.db, runtime.cache, runtime.settings, tenant_id, document_id)
    assert all(r.embedding is not None for r in await rows(runtime, victim.id))

    # the failed documents wait before their next try; the failing tenant's others come first
    due = await documents_to_embed(runtime.db)
    assert [doc for _, doc in due] == [theirs[2], theirs[3]]
