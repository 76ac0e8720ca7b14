"""Run Alembic from code (CLI, tests, `serve` on the embedded SQLite)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from frontdesk.db.engine import make_null_pool_engine
from frontdesk.db.rls import APP_ROLE, setup_role_sql

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str, keyring: Any = None) -> Config:
    """``keyring`` (privacy.encryption.Keyring): for migrations that encrypt or decrypt stored
    secrets; without one they use the process's, else the settings' keys."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    if keyring is not None:
        config.attributes["keyring"] = keyring
    return config


def upgrade(url: str, revision: str = "head", *, keyring: Any = None) -> None:
    command.upgrade(alembic_config(url, keyring), revision)


def downgrade(url: str, revision: str, *, keyring: Any = None) -> None:
    command.downgrade(alembic_config(url, keyring), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(url))


async def setup_roles(admin_url: str, *, role: str = APP_ROLE, password: str | None = None) -> None:
    engine = make_null_pool_engine(admin_url)
    if engine.dialect.name != "postgresql":
        await engine.dispose()
        raise ValueError("setup-roles applies to PostgreSQL only")
    async with engine.begin() as conn:
        for statement in setup_role_sql(role, password):
            await conn.execute(text(statement))
    await engine.dispose()


def setup_roles_sync(admin_url: str, *, role: str = APP_ROLE, password: str | None = None) -> None:
    asyncio.run(setup_roles(admin_url, role=role, password=password))
