"""The admin tenant API, guarded by the bootstrap admin token."""

from __future__ import annotations

import httpx

from tests import factories


async def test_admin_api_requires_the_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/admin/tenants")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/v1/admin/tenants", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


async def test_create_list_get_update_tenant(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/admin/tenants", headers=admin_headers, json={"name": "Café Olé", "email": "Owner@Cafe.test"}
    )
    assert r.status_code == 201, r.text
    tenant = r.json()
    assert tenant["slug"] == "cafe-ole"
    assert tenant["email"] == "owner@cafe.test"
    assert tenant["plan"] == "free"

    # the same name gets a distinct slug
    r2 = await client.post(
        "/api/v1/admin/tenants", headers=admin_headers, json={"name": "Café Olé", "email": "two@cafe.test"}
    )
    assert r2.json()["slug"] != "cafe-ole" and r2.json()["slug"].startswith("cafe-ole-")

    r = await client.get("/api/v1/admin/tenants", headers=admin_headers, params={"q": "cafe"})
    assert r.json()["total"] == 2
    r = await client.get(f"/api/v1/admin/tenants/{tenant['id']}", headers=admin_headers)
    assert r.json()["name"] == "Café Olé"
    r = await client.patch(
        f"/api/v1/admin/tenants/{tenant['id']}",
        headers=admin_headers,
        json={"plan": "pro", "name": "Café Olé GmbH"},
    )
    assert r.status_code == 200
    assert (r.json()["plan"], r.json()["name"]) == ("pro", "Café Olé GmbH")


async def test_bad_input_is_a_clear_422(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    r = await client.post(
        "/api/v1/admin/tenants",
        headers=admin_headers,
        json={"name": "", "email": "not-an-email", "colour": "red"},
    )
    assert r.status_code == 422
    body = r.json()
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "email", "colour"} <= fields
    r = await client.patch(
        f"/api/v1/admin/tenants/{factories.uuid.uuid4()}", headers=admin_headers, json={"plan": "platinum"}
    )
    assert r.status_code == 422


async def test_unknown_tenant_is_404(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    r = await client.get(f"/api/v1/admin/tenants/{factories.uuid.uuid4()}", headers=admin_headers)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


async def test_keys_created_listed_and_revoked_by_admin(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    tenant = (
        await client.post(
            "/api/v1/admin/tenants", headers=admin_headers, json={"name": "Keys Inc", "email": "k@keys.test"}
        )
    ).json()
    base = f"/api/v1/admin/tenants/{tenant['id']}/api-keys"
    r = await client.post(base, headers=admin_headers, json={"name": "server"})
    assert r.status_code == 201
    created = r.json()
    assert created["key"].startswith("fd_sk_") and len(created["key"]) >= 6 + 43
    assert created["key"].startswith(created["key_prefix"])

    listed = (await client.get(base, headers=admin_headers)).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and "key_hash" not in listed[0]

    assert (await client.get("/api/v1/tenant", headers={"X-API-Key": created["key"]})).status_code == 200
    r = await client.delete(f"{base}/{created['id']}", headers=admin_headers)
    assert r.status_code == 204
    r = await client.get("/api/v1/tenant", headers={"X-API-Key": created["key"]})
    assert r.status_code == 401


async def test_publishable_key_needs_origins(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    tenant = (
        await client.post(
            "/api/v1/admin/tenants", headers=admin_headers, json={"name": "Pub", "email": "p@pub.test"}
        )
    ).json()
    base = f"/api/v1/admin/tenants/{tenant['id']}/api-keys"
    r = await client.post(base, headers=admin_headers, json={"type": "publishable"})
    assert r.status_code == 422
    r = await client.post(
        base,
        headers=admin_headers,
        json={"type": "publishable", "allowed_origins": ["https://shop.example.com/"]},
    )
    assert r.status_code == 201
    assert r.json()["key"].startswith("fd_pk_")
    assert r.json()["scopes"] == ["chat:write"]
    assert r.json()["allowed_origins"] == ["https://shop.example.com"]
    r = await client.post(
        base,
        headers=admin_headers,
        json={"type": "publishable", "allowed_origins": ["x"], "scopes": ["leads:read"]},
    )
    assert r.status_code == 422


async def test_suspend_and_reactivate(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tenant_a
) -> None:
    assert (await client.get("/api/v1/tenant", headers=tenant_a.headers)).status_code == 200
    r = await client.post(f"/api/v1/admin/tenants/{tenant_a.id}/suspend", headers=admin_headers)
    assert r.json()["suspended_at"] is not None
    r = await client.get("/api/v1/tenant", headers=tenant_a.headers)
    assert r.status_code == 403
    assert "suspended" in r.json()["detail"]
    await client.post(f"/api/v1/admin/tenants/{tenant_a.id}/reactivate", headers=admin_headers)
    assert (await client.get("/api/v1/tenant", headers=tenant_a.headers)).status_code == 200
