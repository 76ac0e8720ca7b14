"""The dashboard's static export is served at / after the API, without shadowing it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from frontdesk import web


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "_next" / "static").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<h1>home</h1>")
    (tmp_path / "app" / "index.html").write_text("<h1>app</h1>")
    (tmp_path / "404.html").write_text("<h1>not here</h1>")
    (tmp_path / "_next" / "static" / "chunk-abc123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("do not serve")
    monkeypatch.setattr(web, "DASHBOARD_DIR", tmp_path)
    return tmp_path


async def test_pages_assets_and_the_api_side_by_side(client: httpx.AsyncClient, export: Path) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and "home" in home.text and home.headers["cache-control"] == "no-cache"
    moved = await client.get("/app", params={"tab": "keys"})
    assert moved.status_code == 308 and moved.headers["location"] == "/app/?tab=keys"
    page = await client.get("/app/")
    assert page.status_code == 200 and "app" in page.text
    asset = await client.get("/_next/static/chunk-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert asset.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    missing = await client.get("/no-such-page/")
    assert missing.status_code == 404 and "not here" in missing.text
    assert (await client.get("/%2e%2e/secret.txt")).status_code == 404
    # the API keeps its own answers
    api = await client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    assert (await client.post("/api/v1/no-such-endpoint")).status_code == 404
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_without_a_build_the_root_says_how_to_make_one(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "DASHBOARD_DIR", tmp_path / "missing")
    r = await client.get("/")
    assert r.status_code == 404 and "make dashboard" in r.json()["detail"]
