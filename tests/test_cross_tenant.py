"""The cross-tenant suite: tenant A's key never reads or changes tenant B's data.

Tenant B gets one of everything (config, document, conversation in handoff, lead); then every
tenant-scoped endpoint is called with A's key: lists never show B, B's object ids answer 404
exactly like missing ones, and B's data is unchanged afterwards. The last test fails when an
/api/v1 operation exists that this suite does not cover.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from frontdesk.channels.crisp.client import CrispClient
from frontdesk.runtime import Runtime
from tests import factories
from tests.fakes.crisp_server import FakeCrisp, message_event, signed_hook

B_MARK = "BETA-SECRET-7731"

# (method, path) → how it is covered below
READS_OWN_TENANT = {
    ("GET", "/api/v1/tenant"),
    ("GET", "/api/v1/config"),
    ("GET", "/api/v1/knowledge"),
    ("GET", "/api/v1/knowledge/imports"),
    ("GET", "/api/v1/knowledge/gaps"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/leads"),
    ("GET", "/api/v1/integrations/crisp"),
    ("GET", "/api/v1/widget/config"),
}
WRITES_OWN_TENANT = {
    ("POST", "/api/v1/chat"),
    ("PUT", "/api/v1/config"),
    ("POST", "/api/v1/knowledge"),
    ("POST", "/api/v1/knowledge/gaps/answer"),
    ("POST", "/api/v1/knowledge/gaps/dismiss"),
}
# covered by test_imports_land_in_the_callers_tenant_only (both doors)
IMPORT_WRITES = {("POST", "/api/v1/knowledge/imports"), ("POST", "/api/v1/knowledge/files")}
B_GAP_QUESTION = f"Where is the {B_MARK} parking?"
# covered by test_crisp_connection_and_hooks_stay_in_their_tenant
CRISP_ROUTES = {
    ("PUT", "/api/v1/integrations/crisp"),
    ("DELETE", "/api/v1/integrations/crisp"),
    ("POST", "/api/v1/crisp/webhook"),
}
# billing acts on the caller's own workspace and its Stripe customer: covered against a fake
# Stripe in tests/billing/test_billing.py::test_billing_stays_in_its_tenant
BILLING_ROUTES = {
    ("GET", "/api/v1/customer/billing"),
    ("POST", "/api/v1/customer/billing/checkout"),
    ("POST", "/api/v1/customer/billing/portal"),
    ("POST", "/api/v1/stripe/webhook"),
}
# covered by test_privacy_tools_never_reach_the_other_tenant (and its twin under /customer)
PRIVACY_ROUTES = {("GET", "/api/v1/privacy/export"), ("POST", "/api/v1/privacy/erase")}
B_WEBSITE = f"website-{B_MARK}"
A_WEBSITE = "website-alpha-0001"
OBJECT_ROUTES = {
    ("GET", "/api/v1/knowledge/{document_id}"): None,
    ("PUT", "/api/v1/knowledge/{document_id}"): {"content": "hijacked"},
    ("DELETE", "/api/v1/knowledge/{document_id}"): None,
    ("GET", "/api/v1/knowledge/imports/{import_id}"): None,
    ("POST", "/api/v1/knowledge/imports/{import_id}/sync"): None,
    ("DELETE", "/api/v1/knowledge/imports/{import_id}"): None,
    ("GET", "/api/v1/conversations/{conversation_id}"): None,
    ("POST", "/api/v1/conversations/{conversation_id}/release"): None,
    ("GET", "/api/v1/leads/{lead_id}"): None,
    ("PATCH", "/api/v1/leads/{lead_id}"): {"status": "lost"},
    ("POST", "/api/v1/chat/messages/{message_id}/rating"): {"session_id": "b-gap", "rating": "up"},
}
NOT_TENANT_SCOPED_PREFIXES = ("/api/v1/admin/",)
# identity endpoints: no tenant in the request; each acts on the caller's own account or token
ACCOUNT_ROUTES = {
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/signup/confirm"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/auth/sessions"),
    ("POST", "/api/v1/auth/password/forgot"),
    ("POST", "/api/v1/auth/password/reset"),
    ("POST", "/api/v1/auth/invitations/accept"),
    ("POST", "/api/v1/auth/unlock"),
    ("GET", "/api/v1/customer/account"),
    ("PATCH", "/api/v1/customer/account"),
}
CUSTOMER = "/api/v1/customer"
# customer-only routes (the shared routers' twins under /api/v1/customer are derived below)
CUSTOMER_READS = {
    ("GET", f"{CUSTOMER}/business"),
    ("GET", f"{CUSTOMER}/api-keys"),
    ("GET", f"{CUSTOMER}/team"),
    ("GET", f"{CUSTOMER}/audit"),
    ("GET", f"{CUSTOMER}/stats"),
}
CUSTOMER_WRITES = {
    ("PATCH", f"{CUSTOMER}/business"): {"name": "Alpha renamed"},
    ("POST", f"{CUSTOMER}/api-keys"): {"name": "alpha extra"},
    ("POST", f"{CUSTOMER}/team/invitations"): {"email": "alpha-new@example.com", "role": "viewer"},
}
CUSTOMER_OBJECTS = {
    ("DELETE", f"{CUSTOMER}/api-keys/{{key_id}}"): None,
    ("PATCH", f"{CUSTOMER}/team/members/{{user_id}}"): {"role": "viewer"},
    ("DELETE", f"{CUSTOMER}/team/members/{{user_id}}"): None,
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): None,
    ("DELETE", f"{CUSTOMER}/team/invitations/{{invitation_id}}"): None,
}


def customer_twin(path: str) -> str:
    return path.replace("/api/v1/", f"{CUSTOMER}/", 1)


@dataclass
class Seeded:
    ids: dict[str, str]
    snapshot: str


async def _snapshot(client: httpx.AsyncClient, headers: dict[str, str], ids: dict[str, str]) -> str:
    parts = []
    for path in (
        "/api/v1/config",
        f"/api/v1/knowledge/{ids['document_id']}",
        f"/api/v1/knowledge/imports/{ids['import_id']}",
        f"/api/v1/conversations/{ids['conversation_id']}",
        f"/api/v1/leads/{ids['lead_id']}",
        f"/api/v1/conversations/{ids['gap_conversation_id']}",
        "/api/v1/knowledge/gaps",
        "/api/v1/integrations/crisp",
    ):
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text)
        parts.append(r.text)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def fake_crisp() -> Iterator[FakeCrisp]:
    """Crisp, which confirms B's plugin token on B's website and A's on A's (connects ask it)."""
    with FakeCrisp(website_id=B_WEBSITE, identifier=B_MARK, key="beta-key") as fake:
        fake.grant(A_WEBSITE, "alpha", "k")
        yield fake


@pytest.fixture
async def crisp_api(runtime: Runtime, fake_crisp: FakeCrisp) -> AsyncIterator[FakeCrisp]:
    previous, runtime.crisp = runtime.crisp, CrispClient(fake_crisp.base_url)
    try:
        yield fake_crisp
    finally:
        client, runtime.crisp = runtime.crisp, previous
        await client.aclose()


@pytest.fixture
async def seeded_b(client: httpx.AsyncClient, tenant_b, crisp_api: FakeCrisp) -> Seeded:
    h = tenant_b.headers
    assert (await client.put("/api/v1/config", headers=h, json={"bot_name": B_MARK})).status_code == 200
    crisp = {
        "website_id": B_WEBSITE,
        "identifier": B_MARK,
        "key": "beta-key",
        "signing_secret": "beta-signing",
    }
    assert (await client.put("/api/v1/integrations/crisp", headers=h, json=crisp)).status_code == 200
    doc = (
        await client.post(
            "/api/v1/knowledge",
            headers=h,
            json={"name": f"{B_MARK} doc", "content": f"# Secret\n{B_MARK} recipe"},
        )
    ).json()
    faq = f"question,answer\n{B_MARK} secret question?,{B_MARK} answer\n".encode()
    imported = await client.post("/api/v1/knowledge/files", headers=h, files={"file": (f"{B_MARK}.csv", faq)})
    assert imported.status_code == 201, imported.text
    chat = (
        await client.post(
            "/api/v1/chat",
            headers=h,
            json={
                "session_id": "b-visitor",
                "message": f"I want a human. {B_MARK}, reach me at beta@example.com",
            },
        )
    ).json()
    assert chat["handoff"] is True and chat["lead"]
    # an answer B's visitor rated down: an unanswered question in B's list
    gap = (
        await client.post("/api/v1/chat", headers=h, json={"session_id": "b-gap", "message": B_GAP_QUESTION})
    ).json()
    rated = await client.post(
        f"/api/v1/chat/messages/{gap['message_id']}/rating",
        headers=h,
        json={"session_id": "b-gap", "rating": "down"},
    )
    assert rated.status_code == 200, rated.text
    gaps = (await client.get("/api/v1/knowledge/gaps", headers=h)).json()["items"]
    assert [g["question"] for g in gaps] == [B_GAP_QUESTION]
    ids = {
        "document_id": doc["id"],
        "import_id": imported.json()["id"],
        "conversation_id": chat["conversation_id"],
        "lead_id": chat["lead"]["id"],
        "gap_conversation_id": gap["conversation_id"],
        "message_id": gap["message_id"],
    }
    return Seeded(ids, await _snapshot(client, h, ids))


async def test_reads_never_show_the_other_tenant(
    client: httpx.AsyncClient, tenant_a, tenant_b, seeded_b
) -> None:
    await client.post("/api/v1/chat", headers=tenant_a.headers, json={"session_id": "a", "message": "hello"})
    for method, path in sorted(READS_OWN_TENANT):
        r = await client.request(method, path, headers=tenant_a.headers)
        assert r.status_code == 200, (path, r.text)
        assert B_MARK not in r.text and str(tenant_b.id) not in r.text, path
        assert not any(v in r.text for v in seeded_b.ids.values()), path


async def test_object_routes_answer_404_for_the_other_tenant(
    client: httpx.AsyncClient, tenant_a, tenant_b, seeded_b
) -> None:
    for (method, template), body in OBJECT_ROUTES.items():
        path = template.format(**seeded_b.ids)
        r = await client.request(method, path, headers=tenant_a.headers, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert B_MARK not in r.text
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot


async def test_writes_land_in_the_callers_tenant_only(
    client: httpx.AsyncClient, tenant_a, tenant_b, seeded_b
) -> None:
    h = tenant_a.headers
    await client.put("/api/v1/config", headers=h, json={"bot_name": "Alpha bot"})
    await client.post("/api/v1/knowledge", headers=h, json={"name": "A doc", "content": "alpha facts"})
    # A dismissing or answering B's question (its text guessed right) only touches A's own list
    for path, body in _gap_writes().items():
        assert (await client.post(path, headers=h, json=body)).status_code == 200
    # A visitor of A using B's session id gets A's own conversation, never B's
    r = await client.post("/api/v1/chat", headers=h, json={"session_id": "b-visitor", "message": "hello"})
    assert r.json()["conversation_id"] != seeded_b.ids["conversation_id"] and r.json()["handoff"] is False
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot
    listed = (await client.get("/api/v1/knowledge", headers=tenant_b.headers)).json()["items"]
    assert [d["name"] for d in listed] == [f"{B_MARK} doc", f"{B_MARK}.csv"]
    names = [d["name"] for d in (await client.get("/api/v1/knowledge", headers=h)).json()["items"]]
    assert names == ["A doc", "Answers"]


def _gap_writes(prefix: str = "/api/v1") -> dict[str, dict[str, object]]:
    return {
        f"{prefix}/knowledge/gaps/dismiss": {"questions": [B_GAP_QUESTION]},
        f"{prefix}/knowledge/gaps/answer": {"question": B_GAP_QUESTION, "answer": "Alpha's answer"},
    }


async def test_imports_land_in_the_callers_tenant_only(
    client: httpx.AsyncClient, tenant_a, tenant_b, seeded_b
) -> None:
    """A website import and a file upload by A's key and A's owner: A's, never B's."""
    owner = await factories.signup(client, "Alpha Importer")
    for prefix, headers in (("/api/v1", tenant_a.headers), (CUSTOMER, owner.headers)):
        r = await client.post(
            f"{prefix}/knowledge/imports", headers=headers, json={"url": "https://alpha.invalid/"}
        )
        assert r.status_code == 202, r.text
        faq = b"question,answer\nalpha question?,alpha answer\n"
        r = await client.post(
            f"{prefix}/knowledge/files", headers=headers, files={"file": ("alpha.csv", faq)}
        )
        assert r.status_code == 201, r.text
        listed = (await client.get(f"{prefix}/knowledge/imports", headers=headers)).json()
        assert listed["total"] == 2 and B_MARK not in json.dumps(listed), listed
    b_imports = (await client.get("/api/v1/knowledge/imports", headers=tenant_b.headers)).json()
    assert [i["id"] for i in b_imports["items"]] == [seeded_b.ids["import_id"]]
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot


async def test_a_tenant_key_cannot_use_the_admin_api(client: httpx.AsyncClient, tenant_a, tenant_b) -> None:
    for method, path in [
        ("GET", f"/api/v1/admin/tenants/{tenant_b.id}"),
        ("GET", f"/api/v1/admin/tenants/{tenant_b.id}/api-keys"),
        ("DELETE", f"/api/v1/admin/tenants/{tenant_b.id}"),
        ("POST", f"/api/v1/admin/tenants/{tenant_b.id}/suspend"),
        ("PUT", f"/api/v1/admin/tenants/{tenant_b.id}/billing"),
        ("GET", "/api/v1/admin/billing"),
        ("GET", "/api/v1/admin/webhook-events?status=failed"),
        ("POST", f"/api/v1/admin/webhook-events/crisp/{uuid.uuid4()}/requeue"),
    ]:
        r = await client.request(
            method, path, headers={**tenant_a.headers, "Authorization": f"Bearer {tenant_a.key}"}
        )
        assert r.status_code == 401, (method, path)
    assert (await client.get("/api/v1/tenant", headers=tenant_b.headers)).status_code == 200


async def test_admin_key_routes_do_not_cross_tenants(
    client: httpx.AsyncClient, admin_headers, tenant_a, tenant_b
) -> None:
    """Revoking B's key through A's path is a 404 and B's key keeps working."""
    r = await client.delete(
        f"/api/v1/admin/tenants/{tenant_a.id}/api-keys/{tenant_b.key_id}", headers=admin_headers
    )
    assert r.status_code == 404
    assert (await client.get("/api/v1/tenant", headers=tenant_b.headers)).status_code == 200
    listed = (await client.get(f"/api/v1/admin/tenants/{tenant_a.id}/api-keys", headers=admin_headers)).json()
    assert [k["id"] for k in listed] == [str(tenant_a.key_id)]


async def test_crisp_connection_and_hooks_stay_in_their_tenant(
    client: httpx.AsyncClient, tenant_a, tenant_b, seeded_b
) -> None:
    h = tenant_a.headers
    # A cannot disconnect B (A has no connection of its own) nor take B's Crisp website:
    # Crisp does not confirm A's plugin token on it
    assert (await client.delete("/api/v1/integrations/crisp", headers=h)).status_code == 404
    taken = {"website_id": B_WEBSITE, "identifier": "alpha", "key": "k", "signing_secret": "s"}
    r = await client.put("/api/v1/integrations/crisp", headers=h, json=taken)
    assert r.status_code == 422 and B_MARK not in r.text.replace(B_WEBSITE, "")
    assert str(tenant_b.id) not in r.text and "beta-key" not in r.text
    own = {"website_id": A_WEBSITE, "identifier": "alpha", "key": "k", "signing_secret": "s"}
    assert (await client.put("/api/v1/integrations/crisp", headers=h, json=own)).status_code == 200
    # A's key posting an event of B's website (signed with A's secret) is refused, nothing stored
    raw, signed = signed_hook("s", message_event(B_WEBSITE, "b-crisp-visitor", "hello"))
    r = await client.post("/api/v1/crisp/webhook", headers={**h, **signed}, content=raw)
    assert r.status_code == 404, r.text
    assert (await client.delete("/api/v1/integrations/crisp", headers=h)).status_code == 204
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot
    listed = (await client.get("/api/v1/conversations", headers=tenant_b.headers)).json()["items"]
    assert [c["session_id"] for c in listed] == ["b-gap", "b-visitor"]


async def test_privacy_tools_never_reach_the_other_tenant(
    client: httpx.AsyncClient, runtime, tenant_a, tenant_b, seeded_b
) -> None:
    """A's key with the privacy scope, and A's owner, select B's visitor every way: the export is
    404 like a visitor A never had, the erasure deletes nothing, B's data is unchanged."""
    _, key = await factories.create_key(runtime, tenant_a.id, name="dpo", scopes=["privacy:manage"])
    owner = await factories.signup(client, "Alpha Owner")
    selectors = (
        {"session_id": "b-visitor"},
        {"email": "beta@example.com"},
        {"lead_id": seeded_b.ids["lead_id"]},
    )
    for prefix, headers in (("/api/v1", {"X-API-Key": key}), (CUSTOMER, owner.headers)):
        for selector in selectors:
            r = await client.get(f"{prefix}/privacy/export", headers=headers, params=selector)
            assert r.status_code == 404, (prefix, selector, r.text)
            assert B_MARK not in r.text
            r = await client.post(f"{prefix}/privacy/erase", headers=headers, json=selector)
            assert r.status_code == 200 and set(r.json().values()) == {0}, (prefix, selector, r.text)
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot
    listed = (await client.get("/api/v1/conversations", headers=tenant_b.headers)).json()["items"]
    assert [c["session_id"] for c in listed] == ["b-gap", "b-visitor"]


SHARED_PREFIXES = ("/api/v1/config", "/api/v1/knowledge", "/api/v1/conversations", "/api/v1/leads")


def _shared(ops: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(m, customer_twin(p)) for m, p in ops if p.startswith(SHARED_PREFIXES)}


async def test_customer_users_never_reach_another_tenant(
    client: httpx.AsyncClient, runtime, tenant_b, seeded_b
) -> None:
    """Tenant B's owner has a session, keys, data; A's owner (a user token) tries everything."""
    b = await factories.signup(client, f"Beta {B_MARK}")
    b_me = (await client.get("/api/v1/auth/me", headers=b.headers)).json()
    b_keys = (await client.get(f"{CUSTOMER}/api-keys", headers=b.headers)).json()
    b_invited = await client.post(
        f"{CUSTOMER}/team/invitations", headers=b.headers, json={"email": "b-invitee@example.com"}
    )
    a = await factories.signup(client, "Alpha Users")
    ids = {
        "invitation_id": b_invited.json()["id"],
        **seeded_b.ids,
        "key_id": b_keys[0]["id"],
        "user_id": b_me["id"],
        "session_id": (await client.get("/api/v1/auth/sessions", headers=b.headers)).json()[0]["id"],
    }
    # the shared routers through the customer door: B's objects are 404, lists show no B
    for method, path in sorted(_shared(READS_OWN_TENANT) | CUSTOMER_READS):
        r = await client.request(method, path, headers=a.headers)
        assert r.status_code == 200, (path, r.text)
        assert B_MARK not in r.text and not any(v in r.text for v in ids.values()), path
    for (method, template), body in {**OBJECT_ROUTES, **CUSTOMER_OBJECTS}.items():
        path = customer_twin(template) if template.startswith(SHARED_PREFIXES) else template
        r = await client.request(method, path.format(**ids), headers=a.headers, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    for (method, path), body in CUSTOMER_WRITES.items():
        r = await client.request(method, path, headers=a.headers, json=body)
        assert r.status_code in (200, 201), (path, r.text)
    gap_writes = _gap_writes(CUSTOMER)
    for method, path in sorted(_shared(WRITES_OWN_TENANT)):  # imports: their own test
        body = {"bot_name": "Alpha"} if path.endswith("/config") else {"name": "A", "content": "alpha"}
        body = gap_writes.get(path, body)
        if path.endswith("/chat"):
            continue
        assert (await client.request(method, path, headers=a.headers, json=body)).status_code in (200, 201)
    # B is untouched: its data, its team, its keys, its session
    assert await _snapshot(client, tenant_b.headers, seeded_b.ids) == seeded_b.snapshot
    assert (await client.get(f"{CUSTOMER}/api-keys", headers=b.headers)).json() == b_keys
    team = (await client.get(f"{CUSTOMER}/team", headers=b.headers)).json()
    assert [m["user_id"] for m in team["members"]] == [b_me["id"]]
    assert [i["id"] for i in team["invitations"]] == [ids["invitation_id"]]  # still pending
    assert (await client.get(f"{CUSTOMER}/business", headers=b.headers)).json()["name"] == f"Beta {B_MARK}"
    b_audit = (await client.get(f"{CUSTOMER}/audit", headers=b.headers)).json()
    assert "Alpha" not in json.dumps(b_audit) and str(a.tenant_id) not in json.dumps(b_audit)


def test_every_tenant_operation_is_in_this_suite(app) -> None:
    covered = (
        READS_OWN_TENANT
        | WRITES_OWN_TENANT
        | IMPORT_WRITES
        | _shared(IMPORT_WRITES)
        | set(OBJECT_ROUTES)
        | CRISP_ROUTES
        | BILLING_ROUTES
        | ACCOUNT_ROUTES
        | _shared(READS_OWN_TENANT | WRITES_OWN_TENANT | set(OBJECT_ROUTES))
        | CUSTOMER_READS
        | set(CUSTOMER_WRITES)
        | set(CUSTOMER_OBJECTS)
        | PRIVACY_ROUTES
        | {(m, customer_twin(p)) for m, p in PRIVACY_ROUTES}
    )
    operations = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if path.startswith("/api/v1/") and not path.startswith(NOT_TENANT_SCOPED_PREFIXES)
    }
    assert operations, "no tenant operations found: the check itself is broken"
    assert sorted(operations - covered) == [], "add these operations to the cross-tenant suite"
    assert json.dumps(sorted(covered - operations)) == "[]", "the suite lists operations that no longer exist"
