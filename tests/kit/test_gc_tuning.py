"""Startup freezes what it loaded out of the cyclic GC, so full collections stay short."""

from __future__ import annotations

import gc
from pathlib import Path

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.nlu import language
from tests.conftest import make_settings


async def test_a_started_app_has_its_startup_objects_frozen(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    settings: Settings = make_settings(database_urls, tmp_path, gc_freeze=True)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            frozen = gc.get_freeze_count()
            tracked = len(gc.get_objects())
            assert language._detector is not None  # the first message does not load the models
    finally:
        gc.unfreeze()
    # nearly everything alive after startup is out of the collector's reach
    assert frozen > 50_000 and tracked < frozen / 2


async def test_with_gc_freeze_off_nothing_is_frozen(database_urls: dict[str, str], tmp_path: Path) -> None:
    app = create_app(make_settings(database_urls, tmp_path))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
