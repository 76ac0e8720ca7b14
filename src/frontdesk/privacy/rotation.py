"""Key rotation: rewrite every stored secret under the newest encryption key.

What is rotated is found, not listed: every ``EncryptedString`` column and every JSON column
marked ``SECRET_DOCUMENT`` (its ``enc:v1:`` strings, at any depth). Rows are read and
rewritten in batches by primary key, each batch its own short transaction (the app keeps
serving) that locks what it rewrites (the rows on PostgreSQL, the database on SQLite), and a
column is only rewritten if it still holds what was read. Values already under the newest key are left alone, so running it again is
harmless. A value no configured key decrypts is reported and skipped, and the run fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import JSONType
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.models import Base  # the package, so that every model is on the metadata
from frontdesk.privacy.encryption import EncryptedString, Keyring, SecretUnreadable, is_encrypted

ADMIN = ("cli", "secrets rotate")


@dataclass(frozen=True)
class Target:
    """A table and where its secrets are: encrypted columns, and JSON columns holding secrets."""

    table: Table
    columns: tuple[str, ...]
    documents: tuple[str, ...]

    @property
    def label(self) -> str:
        return ", ".join(f"{self.table.name}.{name}" for name in (*self.columns, *self.documents))


@dataclass
class Progress:
    table: str
    rows: int = 0  # rows read
    rotated: int = 0  # values rewritten under the newest key
    unreadable: list[str] = field(default_factory=list)  # "table.column id=…: reason"


def targets(metadata: MetaData) -> list[Target]:
    found = []
    for table in metadata.sorted_tables:
        columns = tuple(c.name for c in table.columns if isinstance(c.type, EncryptedString))
        documents = tuple(c.name for c in table.columns if c.info.get("secret_document"))
        if columns or documents:
            found.append(Target(table, columns, documents))
    return found


async def rotate(
    db: Database,
    keyring: Keyring,
    *,
    batch_size: int = 200,
    on_batch: Callable[[Progress], None] | None = None,
) -> list[Progress]:
    """Re-encrypt every stored secret with ``keyring``'s newest key; one Progress per table."""
    results = []
    for target in targets(Base.metadata):
        progress = Progress(target.table.name)
        last: Any = None
        while True:
            async with unit_of_work(db, admin=ADMIN) as session:
                batch = await _rotate_batch(session, target, keyring, last, batch_size, progress)
            if on_batch is not None:
                on_batch(progress)
            if len(batch) < batch_size:
                break
            last = batch[-1]
        results.append(progress)
    return results


async def _rotate_batch(
    session: AsyncSession, target: Target, keyring: Keyring, after: Any, limit: int, progress: Progress
) -> list[Any]:
    [pk] = target.table.primary_key.columns
    # plain types: read and write the stored text, not through EncryptedString
    raw = sa.table(
        target.table.name,
        sa.column(pk.name, pk.type),
        *(sa.column(name, sa.String()) for name in target.columns),
        *(sa.column(name, JSONType) for name in target.documents),
    )
    key = raw.c[pk.name]
    if session.get_bind().dialect.name == "sqlite":
        # the write lock before reading (SQLite has no FOR UPDATE, and its driver begins the
        # transaction only at the first write): no save can slip in between read and rewrite
        await session.execute(sa.update(raw).where(sa.false()).values({pk.name: key}))
    query = sa.select(raw).order_by(key).limit(limit).with_for_update()
    if after is not None:
        query = query.where(key > after)
    rows = (await session.execute(query)).mappings().all()
    for row in rows:
        progress.rows += 1
        changes: dict[str, Any] = {}
        unchanged: list[Any] = []
        count = 0
        for name in target.columns:
            value = row[name]
            new = _reencrypt(keyring, value, f"{target.table.name}.{name} {row[pk.name]}", progress)
            if new is not None:
                changes[name] = new
                unchanged.append(raw.c[name] == value)  # the app may have written it meanwhile
                count += 1
        for name in target.documents:
            document = row[name]
            where = f"{target.table.name}.{name} {row[pk.name]}"
            new_document, changed = _reencrypt_document(keyring, document, where, progress)
            if changed:
                changes[name] = new_document
                count += changed
        if changes:
            result = await session.execute(
                sa.update(raw).where(key == row[pk.name], *unchanged).values(changes)
            )
            if getattr(result, "rowcount", 1):
                progress.rotated += count
    return [row[pk.name] for row in rows]


def _reencrypt(keyring: Keyring, value: str | None, where: str, progress: Progress) -> str | None:
    if not value:
        return None
    try:
        return keyring.reencrypt(value)
    except SecretUnreadable as error:
        progress.unreadable.append(f"{where}: {error.reason}")
        return None


def _reencrypt_document(keyring: Keyring, node: Any, where: str, progress: Progress) -> tuple[Any, int]:
    """The document with each encrypted string under the newest key, and how many changed."""
    if isinstance(node, dict):
        changed = 0
        out: dict[str, Any] = {}
        for k, v in node.items():
            out[k], n = _reencrypt_document(keyring, v, where, progress)
            changed += n
        return out, changed
    if isinstance(node, list):
        items = [_reencrypt_document(keyring, v, where, progress) for v in node]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(node, str) and is_encrypted(node):
        new = _reencrypt(keyring, node, where, progress)
        return (node, 0) if new is None else (new, 1)
    return node, 0
