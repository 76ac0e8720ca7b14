"""The README's first steps, through the HTTP API with no LLM: the example must answer."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.runtime import Runtime
from tests.knowledge.test_retrieval import GUIDE, StaticVectors

README_DOCUMENT = "# Opening hours\nMonday to Friday, 9:00 to 18:00."


async def test_the_readme_quick_start_answers_its_own_question(client: httpx.AsyncClient, tenant_a) -> None:
    r = await client.post(
        "/api/v1/knowledge", headers=tenant_a.headers, json={"name": "FAQ", "content": README_DOCUMENT}
    )
    assert r.status_code == 201, r.text

    r = await client.post(
        "/api/v1/chat",
        headers=tenant_a.headers,
        json={"session_id": "visitor-1", "message": "When are you open?"},
    )

    assert r.status_code == 200, r.text
    body = r.json()
    assert "Monday to Friday, 9:00 to 18:00" in body["reply"]
    assert "don't have that information" not in body["reply"]
    assert [(s["document_name"], s["heading"]) for s in body["sources"]] == [("FAQ", "Opening hours")]


async def test_a_question_the_knowledge_does_not_cover_is_not_answered_from_it(
    client: httpx.AsyncClient, tenant_a
) -> None:
    r = await client.post(
        "/api/v1/knowledge", headers=tenant_a.headers, json={"name": "FAQ", "content": README_DOCUMENT}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/chat",
        headers=tenant_a.headers,
        json={"session_id": "visitor-2", "message": "Do you repair carbon frames?"},
    )
    body = r.json()
    assert body["reply"].startswith("I don't have that information yet")
    assert body["sources"] == []


async def test_with_a_semantic_source_a_paraphrase_finds_its_answer(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.chat, "semantic", StaticVectors(runtime.chat.retriever))
    ids = {}
    for tenant in (tenant_a, tenant_b):  # the same guide in two workspaces
        r = await client.post(
            "/api/v1/knowledge", headers=tenant.headers, json={"name": "Guide", "content": GUIDE}
        )
        assert r.status_code == 201, r.text
        ids[tenant.id] = r.json()["id"]

    r = await client.post(
        "/api/v1/chat",
        headers=tenant_a.headers,
        json={"session_id": "visitor-3", "message": "Where can I leave my car?"},
    )

    body = r.json()
    assert (
        body["reply"] == "Here's what I found: Free parking spaces behind the shop, reserved for customers."
    )
    assert body["sources"][0]["heading"] == "Parking"
    assert {s["document_id"] for s in body["sources"]} == {ids[tenant_a.id]}  # never the other workspace's
