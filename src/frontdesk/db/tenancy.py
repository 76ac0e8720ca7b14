"""The one choke point for tenant isolation in the ORM.

Every ORM statement that touches a tenant-owned model is scoped to the session's tenant
(``with_loader_criteria``), every new tenant-owned row is stamped with it, and a statement
with no tenant raises ``TenancyError`` unless the session is inside an explicit, audited
``admin_scope``. On PostgreSQL the same tenant is set per transaction (``app.tenant_id``)
and Row-Level Security policies enforce it a second time; an admin scope is entered there by
presenting the deployment's admin-scope key to ``frontdesk_admin_scope()`` (``db/rls.py``),
which the app role's SQL alone cannot do.

Outside the ORM, the same tenant reaches Core statements through three helpers, so that no
query elsewhere writes ``tenant_id ==`` by hand (``tests/test_repository.py`` checks):
``tenant_filter(table)`` and ``tenant_values()`` name the session's tenant as a bound parameter,
which ``execute`` fills in from the session (and raises without one); ``of_tenant`` is for the
admin and system queries that name a tenant on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import structlog
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Executable,
    FromClause,
    bindparam,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    ORMExecuteState,
    QueryableAttribute,
    Session,
    SessionTransaction,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

from frontdesk.db.base import TenantOwned

TENANT_KEY = "frontdesk.tenant_id"
ADMIN_KEY = "frontdesk.admin_scope"
ADMIN_SCOPE_KEY = "frontdesk.admin_scope_key"  # session.info: the key PostgreSQL checks (Database sets it)
audit_log = structlog.get_logger("frontdesk.audit")


class TenancyError(RuntimeError):
    """A tenant-owned model was touched without a tenant (and outside an admin scope)."""


def admin_scope_key(secret_key: str) -> str:
    """The key this deployment presents to PostgreSQL to enter an admin scope, derived from
    FRONTDESK_SECRET_KEY (whoever holds that can already sign platform-admin tokens)."""
    return hmac.new(secret_key.encode(), b"frontdesk:database-admin-scope", hashlib.sha256).hexdigest()


def current_tenant(session: Session | AsyncSession) -> uuid.UUID | None:
    value = session.info.get(TENANT_KEY)
    return value if isinstance(value, uuid.UUID) else None


def require_tenant(session: Session | AsyncSession) -> uuid.UUID:
    """The session's tenant; ``TenancyError`` when it has none."""
    tenant_id = current_tenant(session)
    if tenant_id is None:
        raise TenancyError("a tenant-scoped statement without a tenant context")
    return tenant_id


# --- Core statements: the raw-SQL counterpart of the ORM hook --------------------------------

TENANT_PARAM = "tenant"  # the bound parameter that carries the session's tenant


def tenant_filter(table: FromClause) -> ColumnElement[bool]:
    """``table.tenant_id = :tenant``: the current tenant's rows. The statement runs through
    ``execute``, which binds the session's tenant (a statement built once keeps working)."""
    return table.c.tenant_id == bindparam(TENANT_PARAM)


def tenant_values() -> dict[str, BindParameter[Any]]:
    """``tenant_id=:tenant`` for an INSERT's values, bound by ``execute`` like ``tenant_filter``."""
    return {"tenant_id": bindparam(TENANT_PARAM)}


async def execute(
    session: AsyncSession, statement: Executable, params: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Run a Core statement on the session's connection (no ORM events: the chat turn's hot path)
    with the session's tenant bound to ``tenant_filter``/``tenant_values``; raises without one."""
    tenant = {TENANT_PARAM: require_tenant(session)}
    connection = await session.connection()
    return await connection.execute(statement, {**params, **tenant} if params else tenant)


def of_tenant(
    column: QueryableAttribute[Any] | ColumnElement[Any], tenant_id: uuid.UUID | None
) -> ColumnElement[bool]:
    """``column = tenant_id`` for the queries that name a tenant on purpose: admin and system
    work in an ``admin_scope`` (or on tables no tenant owns). In a tenant's session the ORM hook
    already scopes every tenant-owned model: such a query needs no filter of its own."""
    return column == tenant_id


def in_admin_scope(session: Session | AsyncSession) -> bool:
    return bool(session.info.get(ADMIN_KEY))


@cache
def _tenant_tables() -> frozenset[str]:
    from frontdesk.models import Base

    return frozenset(
        m.persist_selectable.name  # type: ignore[attr-defined]
        for m in Base.registry.mappers
        if _is_tenant_model(m.class_)
    )


def _is_tenant_model(cls: type) -> bool:
    from frontdesk.models.tenant import Tenant

    return issubclass(cls, TenantOwned) or issubclass(cls, Tenant)


async def _apply_to_open_transaction(session: AsyncSession) -> None:
    if session.in_transaction():
        await session.run_sync(lambda s: _set_pg_settings(s.connection(), s.info))


async def use_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Bind the session to one tenant (before or during its transaction)."""
    session.info[TENANT_KEY] = tenant_id
    await _apply_to_open_transaction(session)


@asynccontextmanager
async def admin_scope(session: AsyncSession, *, actor: str, reason: str) -> AsyncIterator[None]:
    """Lift tenant scoping for a block, on purpose and on the record."""
    audit_log.info("tenancy.admin_scope", actor=actor, reason=reason)
    previous = session.info.get(ADMIN_KEY)
    session.info[ADMIN_KEY] = reason
    await _apply_to_open_transaction(session)
    try:
        yield
    except BaseException:
        # the transaction may be aborted: touching it again would hide the real error
        session.info[ADMIN_KEY] = previous
        raise
    session.info[ADMIN_KEY] = previous
    if session.is_active:
        await _apply_to_open_transaction(session)


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    # Fast path: a tenant model among the statement's entities. The criteria added below then
    # cover every tenant entity the statement reaches, joined or not. Otherwise walk the whole
    # statement (select_from, subqueries, Core tables) for a tenant table.
    if any(_is_tenant_model(m.class_) for m in state.all_mappers):
        return True
    tables = find_tables(state.statement, include_crud=True)  # type: ignore[arg-type]
    return any(t.name in _tenant_tables() for t in tables)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    if in_admin_scope(state.session):
        return
    if not _touches_tenant_data(state):
        return
    tenant_id = current_tenant(state.session)
    if tenant_id is None:
        tables = find_tables(state.statement, include_crud=True)  # type: ignore[arg-type]
        touched = ", ".join(sorted(t.name for t in tables if t.name in _tenant_tables()))
        raise TenancyError(f"query on tenant-owned table(s) {touched} without a tenant context")
    if state.is_insert:
        return  # values are checked by RLS (WITH CHECK) and _stamp_new_rows for ORM objects
    from frontdesk.models.tenant import Tenant

    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True),
        with_loader_criteria(Tenant, lambda cls: cls.id == tenant_id, include_aliases=True),
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _ctx: Any, _instances: Any) -> None:
    admin = in_admin_scope(session)
    tenant_id = current_tenant(session)
    for obj in session.new:
        if not _is_tenant_model(type(obj)):
            continue
        if not isinstance(obj, TenantOwned):  # a Tenant row itself
            if not admin:
                raise TenancyError("tenants are created only inside an admin scope")
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                if admin and getattr(obj, "tenant_optional", False):
                    continue  # a platform-level row (e.g. an admin's audit event)
                raise TenancyError(f"new {type(obj).__name__} without a tenant context")
            obj.tenant_id = tenant_id
        elif not admin and obj.tenant_id != tenant_id:
            raise TenancyError(f"new {type(obj).__name__} for another tenant")
    for obj in session.dirty:
        if isinstance(obj, TenantOwned) and not admin and obj.tenant_id != tenant_id:
            raise TenancyError(f"{type(obj).__name__} moved to another tenant")


_SET_TENANT = text(
    "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.admin_scope', '', true)"
)
_SET_ADMIN = text("SELECT set_config('app.tenant_id', :tenant, true), public.frontdesk_admin_scope(:key)")


def _set_pg_settings(connection: Connection, info: dict[str, Any]) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant = info.get(TENANT_KEY)
    params = {"tenant": str(tenant) if tenant else ""}
    if not info.get(ADMIN_KEY):
        connection.execute(_SET_TENANT, params)
        return
    key = info.get(ADMIN_SCOPE_KEY)
    if not key:
        raise TenancyError(
            "admin scope on PostgreSQL needs the admin-scope key (open sessions with Database)"
        )
    try:
        connection.execute(_SET_ADMIN, {**params, "key": key})
    except DBAPIError as error:  # its message would carry the key among the statement's parameters
        raise TenancyError(f"PostgreSQL refused the admin scope: {error.orig}") from None


@event.listens_for(Session, "after_begin")
def _begin(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    _set_pg_settings(connection, session.info)
