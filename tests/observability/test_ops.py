"""Health, readiness, metrics, request ids and secret-free logs."""

from __future__ import annotations

import json

import httpx

from tests.conftest import REDIS_URL, app_client


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"]["database"] == "ok"


async def test_readyz_reports_redis_down(settings) -> None:
    async with app_client(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})) as c:
        r = await c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"].startswith("error")
    assert r.json()["checks"]["database"] == "ok"


async def test_readyz_checks_redis_when_configured(settings) -> None:
    async with app_client(settings.model_copy(update={"redis_url": REDIS_URL})) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, tenant_a, admin_headers
) -> None:
    await client.get(f"/api/v1/admin/tenants/{tenant_a.id}", headers=admin_headers)
    await client.get("/definitely/not/here")
    text = (await client.get("/metrics")).text
    assert 'route="/api/v1/admin/tenants/{tenant_id}",status="200"' in text
    assert str(tenant_a.id) not in text  # ids never become labels
    assert 'route="unmatched"' in text
    assert "frontdesk_http_request_duration_seconds_bucket" in text


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz")
    assert len(r.headers["x-request-id"]) == 16


async def test_logs_are_json_with_request_and_tenant_ids_and_no_secrets(
    client: httpx.AsyncClient, tenant_a, capsys
) -> None:
    import structlog

    from frontdesk.auth.context import AuthContext  # noqa: F401  (import side effects only)

    capsys.readouterr()
    structlog.contextvars.clear_contextvars()
    log = structlog.get_logger()
    structlog.contextvars.bind_contextvars(request_id="rid-1", tenant_id=str(tenant_a.id))
    log.info(
        "chat.received",
        api_key=tenant_a.key,
        note=f"header was {tenant_a.key}",
        authorization="Bearer abcdefghijkl",
        url="postgresql://app:pa55word@db/x",
    )
    structlog.contextvars.clear_contextvars()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["request_id"] == "rid-1" and event["tenant_id"] == str(tenant_a.id)
    assert tenant_a.key not in line and "abcdefghijkl" not in line
    assert event["api_key"] == "***" and event["note"].endswith("fd_sk_***")
    assert "pa55word" not in line and event["url"] == "postgresql://***@db/x"
