"""The README's first steps, through the HTTP API with no LLM: the example must answer."""

from __future__ import annotations

import httpx

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
