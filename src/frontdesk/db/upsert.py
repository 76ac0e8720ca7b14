"""``INSERT … ON CONFLICT`` needs the dialect's own insert construct; this picks it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def insert_for(bind: AsyncSession | AsyncConnection) -> Any:
    """PostgreSQL's or SQLite's ``insert`` (both have ``on_conflict_do_nothing/update``)."""
    dialect = bind.dialect if isinstance(bind, AsyncConnection) else bind.get_bind().dialect
    return pg_insert if dialect.name == "postgresql" else sqlite_insert
