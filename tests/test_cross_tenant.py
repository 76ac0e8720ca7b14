"""The cross-tenant suite: tenant A's key never reads or changes tenant B's data.

Every tenant-scoped endpoint is listed here; a new one must be added (the last test
fails when an /api/v1 route is neither listed nor declared not tenant-scoped).
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute

# Endpoints that act on the caller's own tenant, with no object id: B must never appear.
OWN_TENANT_READS = ["/api/v1/tenant"]
# (method, path template) of routes that take another tenant's object id: A must get 404.
OBJECT_ROUTES: list[tuple[str, str]] = []
NOT_TENANT_SCOPED_PREFIXES = ("/api/v1/admin/",)


@pytest.mark.parametrize("path", OWN_TENANT_READS)
async def test_own_tenant_reads_never_show_the_other_tenant(
    client: httpx.AsyncClient, tenant_a, tenant_b, path: str
) -> None:
    r = await client.get(path, headers=tenant_a.headers)
    assert r.status_code == 200
    assert str(tenant_b.id) not in r.text and tenant_b.name not in r.text
    assert str(tenant_a.id) in r.text


async def test_a_tenant_key_cannot_use_the_admin_api(client: httpx.AsyncClient, tenant_a, tenant_b) -> None:
    for method, path in [
        ("GET", f"/api/v1/admin/tenants/{tenant_b.id}"),
        ("GET", f"/api/v1/admin/tenants/{tenant_b.id}/api-keys"),
        ("DELETE", f"/api/v1/admin/tenants/{tenant_b.id}"),
        ("POST", f"/api/v1/admin/tenants/{tenant_b.id}/suspend"),
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


def test_every_tenant_route_is_in_this_suite(app) -> None:
    listed = {p for p in OWN_TENANT_READS} | {p for _, p in OBJECT_ROUTES}
    missing = [
        route.path
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/v1/")
        and not route.path.startswith(NOT_TENANT_SCOPED_PREFIXES)
        and route.path not in listed
    ]
    assert missing == [], f"add these tenant-scoped routes to the cross-tenant suite: {missing}"
