"""Run Alembic from code (CLI, tests, `serve` on the embedded SQLite)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db.engine import make_null_pool_engine
from frontdesk.db.rls import ADMIN_SCOPE_READY_SQL, ADMIN_SCOPE_SQL, APP_ROLE, admin_key_sql, setup_role_sql

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


async def setup_roles(
    admin_url: str, *, admin_scope_key: str, role: str = APP_ROLE, password: str | None = None
) -> None:
    """Create (or fix) the app role and record the admin-scope key (``db/tenancy.admin_scope_key``)
    the app presents to enter an admin scope. Idempotent."""
    engine = make_null_pool_engine(admin_url)
    if engine.dialect.name != "postgresql":
        await engine.dispose()
        raise ValueError("setup-roles applies to PostgreSQL only")
    async with engine.begin() as conn:
        for statement in setup_role_sql(role, password):
            await conn.execute(text(statement))
        await _record_admin_scope_key(conn, admin_scope_key)
    await engine.dispose()


def setup_roles_sync(
    admin_url: str, *, admin_scope_key: str, role: str = APP_ROLE, password: str | None = None
) -> None:
    asyncio.run(setup_roles(admin_url, admin_scope_key=admin_scope_key, role=role, password=password))


async def install_admin_scope_key(admin_url: str, admin_scope_key: str) -> None:
    """Record the admin-scope key on PostgreSQL (after migrating; no-op on SQLite)."""
    engine = make_null_pool_engine(admin_url)
    try:
        if engine.dialect.name != "postgresql":
            return
        async with engine.begin() as conn:
            await _record_admin_scope_key(conn, admin_scope_key)
    finally:
        await engine.dispose()


async def _record_admin_scope_key(conn: AsyncConnection, admin_scope_key: str) -> None:
    if not await conn.scalar(text(ADMIN_SCOPE_READY_SQL)):  # not migrated yet (the migrations create it too)
        for statement in ADMIN_SCOPE_SQL:
            await conn.execute(text(statement))
    await conn.execute(text(admin_key_sql(admin_scope_key)))
