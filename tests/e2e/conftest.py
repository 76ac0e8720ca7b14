"""Browser tests: Playwright driving Debian's Chromium against a live server on loopback."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.fakes.crisp_server import FakeCrisp
from tests.live import live_server

ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots (git-ignored)
# the Crisp website and plugin token the fake Crisp confirms (the dashboard test connects them)
CRISP_WEBSITE, CRISP_IDENTIFIER, CRISP_KEY = (
    "5a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "plugin-identifier",
    "plugin-key",
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live(settings) -> Iterator[str]:
    with (
        FakeCrisp(website_id=CRISP_WEBSITE, identifier=CRISP_IDENTIFIER, key=CRISP_KEY) as crisp,
        live_server(settings, FRONTDESK_CRISP_API_URL=crisp.base_url) as base,
    ):
        yield base


def _prepare() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    _prepare()
    async with async_playwright() as p:
        instance = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()
