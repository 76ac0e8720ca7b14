"""Engines and session factories for the primary (and optional read) database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from frontdesk.config import Settings
from frontdesk.db.tenancy import ADMIN_SCOPE_KEY, admin_scope_key


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": "frontdesk"}},
        hide_parameters=True,  # errors and SQL logs never show values (password hashes, tokens, secrets)
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # a replaced secret is zeroed, not left in free pages
    cursor.close()


def make_null_pool_engine(url: str) -> AsyncEngine:
    """A short-lived engine (CLI, migrations) that keeps no connections open."""
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.read_engine = (
            make_engine(settings.database_read_url, pool_size=settings.database_pool_size)
            if settings.database_read_url
            else self.engine
        )
        info = {ADMIN_SCOPE_KEY: admin_scope_key(settings.secret_key)}
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, info=info
        )
        self.read_sessionmaker = async_sessionmaker(
            self.read_engine, expire_on_commit=False, autoflush=False, info=info
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, read_only: bool = False) -> AsyncSession:
        return (self.read_sessionmaker if read_only else self.sessionmaker)()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
