"""The knowledge document API: CRUD, FAQ input, validation, the size cap, scopes and tenancy."""

from __future__ import annotations

import uuid

import httpx
import pytest

from frontdesk.auth.permissions import KNOWLEDGE_READ
from frontdesk.knowledge import service
from frontdesk.runtime import Runtime
from tests import factories

BASE = "/api/v1/knowledge"
HOURS = "# Opening hours\n\nWe are open Monday to Friday from 9am to 6pm."


async def create(client: httpx.AsyncClient, tenant: factories.TenantWithKey, **body: object) -> dict:
    r = await client.post(BASE, headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def stable(doc: dict, *drop: str) -> dict:
    """A document as returned, without what the background embedding job changes meanwhile
    (``indexing`` and ``embedded_chunks`` are covered in test_chunks.py)."""
    return {k: v for k, v in doc.items() if k not in {"embedded_chunks", "indexing", *drop}}


async def test_create_get_list_update_delete(client: httpx.AsyncClient, tenant_a) -> None:
    doc = await create(client, tenant_a, name="Shop guide", content=HOURS)
    assert doc["name"] == "Shop guide" and doc["content"] == HOURS
    assert (doc["version"], doc["chars"], doc["chunks"]) == (1, len(HOURS), 1)

    r = await client.get(f"{BASE}/{doc['id']}", headers=tenant_a.headers)
    assert r.status_code == 200 and stable(r.json()) == stable(doc)

    listed = (await client.get(BASE, headers=tenant_a.headers)).json()
    assert listed["total"] == 1
    assert [stable(item) for item in listed["items"]] == [stable(doc, "content")]

    new_text = HOURS + "\n\n# Delivery\n\nWe deliver within two days."
    r = await client.put(
        f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"name": "Guide", "content": new_text}
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert (updated["name"], updated["content"], updated["version"]) == ("Guide", new_text, 2)
    assert updated["chunks"] == 2 and updated["updated_at"] > doc["updated_at"]

    r = await client.put(f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"name": "Guide v3"})
    assert (r.json()["name"], r.json()["content"], r.json()["version"]) == ("Guide v3", new_text, 3)

    r = await client.delete(f"{BASE}/{doc['id']}", headers=tenant_a.headers)
    assert r.status_code == 204 and r.content == b""
    r = await client.get(f"{BASE}/{doc['id']}", headers=tenant_a.headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "No such document."
    assert (await client.get(BASE, headers=tenant_a.headers)).json()["total"] == 0


async def test_list_is_paged_by_name(client: httpx.AsyncClient, tenant_a) -> None:
    for name in ["Returns", "About us", "Pricing"]:
        await create(client, tenant_a, name=name, content=f"{name} text")
    r = await client.get(BASE, headers=tenant_a.headers, params={"limit": 2})
    assert [d["name"] for d in r.json()["items"]] == ["About us", "Pricing"]
    assert r.json()["total"] == 3
    r = await client.get(BASE, headers=tenant_a.headers, params={"limit": 2, "page": 2})
    assert [d["name"] for d in r.json()["items"]] == ["Returns"]
    assert (await client.get(BASE, headers=tenant_a.headers, params={"limit": 1000})).status_code == 422


async def test_faq_becomes_one_chunk_per_pair(client: httpx.AsyncClient, tenant_a) -> None:
    faq = [
        {"question": "Do you ship abroad?", "answer": "Yes, to the EU and the UK.\n\nIt takes 5 to 8 days."},
        {"question": "Can I pay\nby invoice?", "answer": "Only companies can."},
        # Lines that look like structure stay inside their answer.
        {"question": "How do I reset?", "answer": "Run this:\n# reset\nQ: is not a question here\n---"},
    ]
    doc = await create(client, tenant_a, name="FAQ", faq=faq)
    assert doc["chunks"] == 3
    assert doc["content"].startswith("Q: Do you ship abroad?\nA: Yes, to the EU and the UK.\n\nIt takes 5")
    assert "\n\nQ: Can I pay by invoice?\nA: Only companies can.\n\n" in doc["content"]

    r = await client.put(f"{BASE}/{doc['id']}", headers=tenant_a.headers, json={"faq": faq[:2]})
    assert (r.json()["chunks"], r.json()["version"]) == (2, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Both", "content": "text", "faq": [{"question": "q?", "answer": "a"}]}, "body"),
        ({"name": "Neither"}, "body"),
        ({"name": "", "content": "text"}, "name"),
        ({"name": "   ", "content": "text"}, "name"),
        ({"name": "x" * 201, "content": "text"}, "name"),
        ({"name": "Doc", "content": "text", "colour": "red"}, "colour"),
        ({"name": "Doc", "content": ""}, "content"),
        ({"name": "Doc", "content": "x" * 200_001}, "content"),
        ({"name": "Doc", "faq": []}, "faq"),
        ({"name": "Doc", "faq": [{"question": "q?", "answer": ""}]}, "faq.0.answer"),
        ({"name": "Doc", "faq": [{"question": "q?"}]}, "faq.0.answer"),
        ({"name": "Doc", "faq": [{"question": "q?", "answer": "a", "extra": 1}]}, "faq.0.extra"),
        ({"name": "Doc", "content": "nul \x00 byte"}, "content"),
    ],
)
async def test_invalid_documents_are_a_clear_422(
    client: httpx.AsyncClient, tenant_a, body: dict, field: str
) -> None:
    r = await client.post(BASE, headers=tenant_a.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert field in {e["field"] for e in problem["errors"]}
    if field == "body":
        assert "'content'" in problem["detail"] and "'faq'" in problem["detail"]
    assert (await client.get(BASE, headers=tenant_a.headers)).json()["total"] == 0


async def test_invalid_updates_are_422_and_change_nothing(client: httpx.AsyncClient, tenant_a) -> None:
    doc = await create(client, tenant_a, name="Guide", content=HOURS)
    for body in [{}, {"content": "a", "faq": [{"question": "q", "answer": "a"}]}, {"name": ""}, {"id": "x"}]:
        r = await client.put(f"{BASE}/{doc['id']}", headers=tenant_a.headers, json=body)
        assert r.status_code == 422, body
    assert stable((await client.get(f"{BASE}/{doc['id']}", headers=tenant_a.headers)).json()) == stable(doc)


async def test_total_size_cap_names_the_limit(client: httpx.AsyncClient, tenant_a, tenant_b) -> None:
    big = "word " * 39_990  # just under a tenth of the cap, and under the 200,000 per document
    docs = [await create(client, tenant_a, name=f"Part {i}", content=big + str(i)) for i in range(10)]
    small = await create(client, tenant_a, name="Small", content="s" * 400)
    room = service.MAX_TENANT_CHARS - sum(d["chars"] for d in [*docs, small])
    assert 0 < room < 1000

    r = await client.post(BASE, headers=tenant_a.headers, json={"name": "Over", "content": "x" * (room + 1)})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "knowledge_limit"
    assert f"{service.MAX_TENANT_CHARS:,}" in r.json()["detail"]
    # Growing a document past the cap is refused too, and changes nothing.
    r = await client.put(
        f"{BASE}/{small['id']}", headers=tenant_a.headers, json={"content": "s" * (400 + room + 1)}
    )
    assert r.status_code == 413 and r.json()["code"] == "knowledge_limit"
    assert stable((await client.get(f"{BASE}/{small['id']}", headers=tenant_a.headers)).json()) == stable(
        small
    )
    assert (await client.get(BASE, headers=tenant_a.headers)).json()["total"] == 11

    # Up to the cap exactly is fine, and the cap is per tenant.
    await create(client, tenant_a, name="Last", content="x" * room)
    await create(client, tenant_b, name="Other tenant", content=big)
    # Deleting makes room again.
    assert (await client.delete(f"{BASE}/{docs[0]['id']}", headers=tenant_a.headers)).status_code == 204
    await create(client, tenant_a, name="Again", content="z" * 1000)


async def test_a_read_only_key_cannot_write(client: httpx.AsyncClient, runtime: Runtime, tenant_a) -> None:
    doc = await create(client, tenant_a, name="Guide", content=HOURS)
    reader = await factories.create_key(runtime, tenant_a.id, scopes=[KNOWLEDGE_READ])
    headers = {"X-API-Key": reader[1]}
    assert (await client.get(BASE, headers=headers)).json()["total"] == 1
    assert (await client.get(f"{BASE}/{doc['id']}", headers=headers)).status_code == 200
    for method, path, body in [
        ("POST", BASE, {"name": "New", "content": "text"}),
        ("PUT", f"{BASE}/{doc['id']}", {"name": "Renamed"}),
        ("DELETE", f"{BASE}/{doc['id']}", None),
    ]:
        r = await client.request(method, path, headers=headers, json=body)
        assert r.status_code == 403, (method, r.text)
        assert "knowledge:write" in r.json()["detail"]
    assert stable((await client.get(f"{BASE}/{doc['id']}", headers=headers)).json()) == stable(doc)


async def test_a_key_without_knowledge_scopes_cannot_read(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await factories.tenant_with_key(runtime, scopes=["chat:write"])
    r = await client.get(BASE, headers=tenant.headers)
    assert r.status_code == 403 and "knowledge:read" in r.json()["detail"]
    assert (await client.get(BASE)).status_code == 401


async def test_another_tenants_document_is_404_and_untouched(
    client: httpx.AsyncClient, tenant_a, tenant_b
) -> None:
    mine = await create(client, tenant_a, name="Alpha guide", content="Alpha bikes are red.")
    theirs = await create(client, tenant_b, name="Beta secret recipe", content="Beta bakes with butter.")
    path = f"{BASE}/{theirs['id']}"
    for method, body in [("GET", None), ("PUT", {"content": "hijacked"}), ("DELETE", None)]:
        r = await client.request(method, path, headers=tenant_a.headers, json=body)
        assert r.status_code == 404, (method, r.text)
        assert r.json()["detail"] == "No such document."
        missing = await client.request(method, f"{BASE}/{uuid.uuid4()}", headers=tenant_a.headers, json=body)
        assert (missing.status_code, missing.json()) == (404, r.json())

    listed = await client.get(BASE, headers=tenant_a.headers)
    assert [d["id"] for d in listed.json()["items"]] == [mine["id"]]
    assert theirs["id"] not in listed.text and "Beta" not in listed.text
    assert stable((await client.get(path, headers=tenant_b.headers)).json()) == stable(theirs)


async def test_unknown_or_malformed_ids(client: httpx.AsyncClient, tenant_a) -> None:
    assert (await client.get(f"{BASE}/not-a-uuid", headers=tenant_a.headers)).status_code == 422
    r = await client.put(f"{BASE}/{uuid.uuid4()}", headers=tenant_a.headers, json={"name": "x"})
    assert r.status_code == 404
