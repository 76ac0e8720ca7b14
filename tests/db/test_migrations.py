"""Migrations: models and migrations agree, and they go down and up again cleanly."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.db import migrate
from frontdesk.models import Base


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(read())


def test_models_and_migrations_agree(database_urls: dict[str, str]) -> None:
    migrate.check(database_urls["owner"])  # raises on drift


def test_downgrade_to_base_and_upgrade_again(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url)
    assert set(Base.metadata.tables) <= _tables(url)
    migrate.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    migrate.upgrade(url)
    assert set(Base.metadata.tables) <= _tables(url)
