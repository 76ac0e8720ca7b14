"""Migrations: models and migrations agree, and they go down and up again cleanly."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.config import new_encryption_key
from frontdesk.db import migrate
from frontdesk.db.base import JSONType, UTCDateTime
from frontdesk.models import Base
from frontdesk.privacy.encryption import Keyring
from tests.conftest import BACKEND, PG_ADMIN, pg_url


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


@contextlib.contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's backend (PostgreSQL: a new one, as the owner)."""
    if BACKEND == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"frontdesk_mig_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url(name, "postgres")
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _execute(url: str, *statements: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            results = [await conn.execute(s) for s in statements]
            rows = [r.mappings().all() if r.returns_rows else None for r in results]
        await engine.dispose()
        return rows

    return asyncio.run(run())


TENANTS = sa.table(
    "tenants",
    *(sa.column(n, sa.String()) for n in ("name", "email", "slug", "subscription_status", "plan")),
    sa.column("id", sa.Uuid()),
    sa.column("created_at", UTCDateTime()),
)
CRISP = sa.table(
    "crisp_integrations",
    *(sa.column(n, sa.String()) for n in ("website_id", "identifier", "api_key", "signing_secret")),
    sa.column("webhook_token_hash", sa.String()),
    *(sa.column(n, sa.Uuid()) for n in ("id", "tenant_id")),
    *(sa.column(n, UTCDateTime()) for n in ("created_at", "updated_at")),
)
CONFIGS = sa.table(
    "tenant_configurations",
    *(sa.column(n, sa.Uuid()) for n in ("id", "tenant_id")),
    sa.column("config_type", sa.String()),
    sa.column("config_data", JSONType),
    sa.column("updated_at", UTCDateTime()),
)


def test_migration_encrypts_secrets_stored_in_plaintext_before_it(tmp_path: Path) -> None:
    llm_key, crisp_key, crisp_secret = (f"{kind}-canary-{uuid.uuid4().hex}" for kind in ("sk", "ck", "cs"))
    keyring = Keyring([base64.urlsafe_b64decode(new_encryption_key())])
    tenant, now = uuid.uuid4(), datetime.now(UTC)
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url, "0005")
        _execute(
            url,
            sa.insert(TENANTS).values(
                id=tenant,
                name="Old",
                email="o@old.test",
                slug="old",
                subscription_status="active",
                plan="free",
                created_at=now,
            ),
            sa.insert(CRISP).values(
                id=uuid.uuid4(),
                tenant_id=tenant,
                website_id="website-1",
                identifier="ident",
                api_key=crisp_key,
                signing_secret=crisp_secret,
                webhook_token_hash="h" * 64,
                created_at=now,
                updated_at=now,
            ),
            sa.insert(CONFIGS).values(
                id=uuid.uuid4(),
                tenant_id=tenant,
                config_type="bot",
                updated_at=now,
                config_data={"bot_name": "Old bot", "llm": {"model": "m", "api_key": llm_key}},
            ),
        )

        migrate.upgrade(url, keyring=keyring)
        crisp, config = _execute(url, sa.select(CRISP), sa.select(CONFIGS))
        stored = [crisp[0]["api_key"], crisp[0]["signing_secret"], config[0]["config_data"]["llm"]["api_key"]]
        assert all(keyring.is_current(value) for value in stored)
        assert [keyring.decrypt(value) for value in stored] == [crisp_key, crisp_secret, llm_key]
        assert config[0]["config_data"]["bot_name"] == "Old bot"  # the rest of the document is kept
        if BACKEND == "sqlite":  # not left behind in the file either (freed pages are zeroed)
            raw = (tmp_path / "fresh.db").read_bytes()
            assert not any(secret.encode() in raw for secret in (llm_key, crisp_key, crisp_secret))

        migrate.upgrade(url, keyring=keyring)  # at head already: nothing happens
        migrate.downgrade(url, "0005", keyring=keyring)  # and back to plaintext
        crisp, config = _execute(url, sa.select(CRISP), sa.select(CONFIGS))
        assert [crisp[0]["api_key"], config[0]["config_data"]["llm"]["api_key"]] == [crisp_key, llm_key]


CRISP_EVENTS_0013 = sa.table(
    "crisp_events",
    *(sa.column(n, sa.Uuid()) for n in ("id", "tenant_id")),
    *(sa.column(n, sa.String()) for n in ("fingerprint", "event", "session_id", "status")),
    sa.column("payload", JSONType),
    sa.column("attempts", sa.Integer()),
    *(sa.column(n, UTCDateTime()) for n in ("received_at", "processed_at")),
)
CRISP_DELIVERIES_0013 = sa.table(
    "crisp_deliveries",
    *(sa.column(n, sa.Uuid()) for n in ("id", "tenant_id", "event_id")),
    *(sa.column(n, sa.String()) for n in ("website_id", "session_id", "content", "status")),
    sa.column("attempts", sa.Integer()),
    *(sa.column(n, UTCDateTime()) for n in ("next_attempt_at", "created_at")),
)


def test_0014_keeps_the_deliveries_link_to_their_event(tmp_path: Path) -> None:
    tenant, event, delivery, now = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url, "0013")
        _execute(
            url,
            sa.insert(TENANTS).values(
                id=tenant,
                name="T",
                email="t@t.test",
                slug="t",
                subscription_status="active",
                plan="free",
                created_at=now,
            ),
            sa.insert(CRISP_EVENTS_0013).values(
                id=event,
                tenant_id=tenant,
                fingerprint="fp",
                event="message:send",
                session_id="s",
                status="processed",
                payload={},
                attempts=1,
                received_at=now,
                processed_at=now,
            ),
            sa.insert(CRISP_DELIVERIES_0013).values(
                id=delivery,
                tenant_id=tenant,
                event_id=event,
                website_id="w",
                session_id="s",
                content="hi",
                status="sent",
                attempts=1,
                next_attempt_at=now,
                created_at=now,
            ),
        )
        migrate.upgrade(url, "0014")
        (rows,) = _execute(url, sa.select(CRISP_DELIVERIES_0013.c.event_id))
        assert [r["event_id"] for r in rows] == [
            event
        ]  # SQLite batch copies: not reset by ON DELETE SET NULL
        migrate.downgrade(url, "0013")
        (rows,) = _execute(url, sa.select(CRISP_DELIVERIES_0013.c.event_id))
        assert [r["event_id"] for r in rows] == [event]
