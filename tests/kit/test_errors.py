"""Every error is RFC 9457 problem+json with a stable code; bad input is a clear 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest


def assert_problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    return body


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nope"), 404, "not_found")


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    assert_problem(await client.put("/healthz"), 405, "method_not_allowed")


async def test_malformed_json_is_400(client: httpx.AsyncClient, admin_headers) -> None:
    r = await client.post(
        "/api/v1/admin/tenants",
        headers={**admin_headers, "content-type": "application/json"},
        content=b'{"name": "x",',
    )
    assert_problem(r, 400, "malformed_json")


async def test_wrong_content_type_is_a_4xx(client: httpx.AsyncClient, admin_headers) -> None:
    r = await client.post(
        "/api/v1/admin/tenants",
        headers={**admin_headers, "content-type": "text/plain"},
        content=b'{"name": "x", "email": "a@b.co"}',
    )
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"] == "application/problem+json"


async def test_validation_error_lists_fields(client: httpx.AsyncClient, admin_headers) -> None:
    r = await client.post(
        "/api/v1/admin/tenants", headers=admin_headers, json={"email": "a@b.co", "extra": 1}
    )
    body = assert_problem(r, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"name", "extra"}
    r = await client.get("/api/v1/admin/tenants/not-a-uuid", headers=admin_headers)
    assert_problem(r, 422, "validation_error")


@pytest.mark.parametrize("chunked", [False, True])
async def test_huge_body_is_413(client: httpx.AsyncClient, admin_headers, settings, chunked: bool) -> None:
    payload = b'{"name": "' + b"x" * (settings.max_body_bytes + 10) + b'", "email": "a@b.co"}'
    if chunked:

        async def stream():
            for i in range(0, len(payload), 65536):
                yield payload[i : i + 65536]

        content = stream()
    else:
        content = payload
    r = await client.post(
        "/api/v1/admin/tenants",
        headers={**admin_headers, "content-type": "application/json"},
        content=content,
    )
    assert_problem(r, 413, "payload_too_large")


async def test_unexpected_error_is_500_without_internals(app, client: httpx.AsyncClient) -> None:
    @app.get("/api/v1/_boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.get("/api/v1/_boom")
        body = assert_problem(r, 500, "internal_error")
        assert "hunter2" not in r.text and "Traceback" not in r.text and "RuntimeError" not in body["detail"]
    finally:
        app.router.routes[:] = [rt for rt in app.router.routes if getattr(rt, "path", "") != "/api/v1/_boom"]


async def test_nul_characters_are_refused_not_a_500(client: httpx.AsyncClient, admin_headers) -> None:
    r = await client.post(
        "/api/v1/admin/tenants", headers=admin_headers, json={"name": "a\x00b", "email": "a@b.co"}
    )
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["field"] == "name"
    r = await client.get("/api/v1/admin/tenants", headers=admin_headers, params={"q": "x\x00"})
    assert_problem(r, 422, "validation_error")
