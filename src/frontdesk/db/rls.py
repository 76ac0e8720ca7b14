"""PostgreSQL Row-Level Security: the second, database-side layer of tenant isolation.

Every tenant table gets one policy, ``tenant_isolation``, that lets a row through when

- the transaction is inside an admin scope, which only a holder of the deployment's
  admin-scope key can start: ``frontdesk_admin_scope(key)`` (SECURITY DEFINER) checks the key
  against a hash the app role cannot read and sets ``app.admin_scope`` to a token bound to this
  backend and this transaction (a keyed hash under a random key in the ``frontdesk_private``
  schema, which the app role cannot use); the policy recomputes it. Setting
  ``app.admin_scope`` (or the old ``app.admin``) by hand, or replaying a token seen in another
  transaction, lifts nothing;
- or the row belongs to the per-transaction setting ``app.tenant_id`` (set by
  ``db/tenancy.py`` at the start of each transaction), or the table's own rule.

FORCE makes the policy apply to the table owner too; only superusers and BYPASSRLS roles
skip it, which is why the application connects as a role that has neither
(``frontdesk db setup-roles``). See docs/architecture.md, "Tenancy".
"""

from __future__ import annotations

import hashlib
import re

from alembic import op

APP_ROLE = "frontdesk_app"
PRIVATE_SCHEMA = "frontdesk_private"

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
# A scalar subquery is an InitPlan: evaluated once per statement, not per row; outside an admin
# scope (the setting is empty) it never calls the function at all.
_ADMIN_SCOPE = (
    "(SELECT CASE WHEN coalesce(current_setting('app.admin_scope', true), '') = '' THEN false"
    " ELSE public.frontdesk_admin_scope_active() END)"
)

# The token for the current transaction: sha256(k || sha256(k || "<backend pid>/<transaction
# start in µs>")) under a random key k that only the owner can read. Owner-only (migrations use
# it directly; the app role reaches it only through the two SECURITY DEFINER functions).
_TRANSACTION_MAC_BODY = """
DECLARE k bytea;
BEGIN
  SELECT transaction_key INTO k FROM frontdesk_private.admin_scope;
  RETURN encode(sha256(k || sha256(k || convert_to(
    pg_backend_pid()::text || '/' || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint::text,
    'UTF8'))), 'hex');
END"""

_ENTER_BODY = """
DECLARE expected bytea;
BEGIN
  IF app_key IS NULL OR app_key = '' THEN
    PERFORM set_config('app.admin_scope', '', true);
    RETURN false;
  END IF;
  SELECT app_key_hash INTO expected FROM frontdesk_private.admin_scope;
  IF expected IS NULL OR sha256(convert_to(app_key, 'UTF8')) <> expected THEN
    IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user) THEN
      RETURN true;  -- RLS does not apply to this login anyway (development as the superuser)
    END IF;
    RAISE EXCEPTION 'admin scope refused: wrong admin-scope key (run frontdesk db setup-roles with this deployment''s FRONTDESK_SECRET_KEY)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('app.admin_scope', frontdesk_private.transaction_token(), true);
  RETURN true;
END"""

_ACTIVE_BODY = """
DECLARE presented text := current_setting('app.admin_scope', true);
BEGIN
  IF presented IS NULL OR presented = '' THEN
    RETURN false;
  END IF;
  RETURN presented = frontdesk_private.transaction_token();
END"""

_DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

ADMIN_SCOPE_SQL = [
    f"CREATE SCHEMA IF NOT EXISTS {PRIVATE_SCHEMA}",
    f"REVOKE ALL ON SCHEMA {PRIVATE_SCHEMA} FROM PUBLIC",
    f"""CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.admin_scope (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  transaction_key bytea NOT NULL,
  app_key_hash bytea
)""",
    f"""INSERT INTO {PRIVATE_SCHEMA}.admin_scope (transaction_key)
VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))
ON CONFLICT (id) DO NOTHING""",
    f"""CREATE OR REPLACE FUNCTION {PRIVATE_SCHEMA}.transaction_token() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn${_TRANSACTION_MAC_BODY}$fn$""",
    f"REVOKE ALL ON FUNCTION {PRIVATE_SCHEMA}.transaction_token() FROM PUBLIC",
    f"""CREATE OR REPLACE FUNCTION public.frontdesk_admin_scope(app_key text) RETURNS boolean
LANGUAGE plpgsql VOLATILE {_DEFINER} AS $fn${_ENTER_BODY}$fn$""",
    f"""CREATE OR REPLACE FUNCTION public.frontdesk_admin_scope_active() RETURNS boolean
LANGUAGE plpgsql STABLE {_DEFINER} AS $fn${_ACTIVE_BODY}$fn$""",
]

# For migrations that must read or write across tenants (they run as the owner, which FORCE
# subjects to the policies): the owner may compute the token itself.
MIGRATION_ADMIN_SCOPE_SQL = (
    "SELECT set_config('app.admin_scope', frontdesk_private.transaction_token(), true)"
)


def policy_sql(table: str, column: str = "tenant_id", *, rule: str | None = None) -> list[str]:
    # One policy, the admin scope first: inside an admin scope each row is let through on the
    # InitPlan's value alone (PostgreSQL orders separate permissive policies by name, not by us).
    rule = f"({_ADMIN_SCOPE} OR ({rule or f'{column} = {_CURRENT_TENANT}'}))"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING {rule} WITH CHECK {rule}",
    ]


def _ensure_admin_scope() -> None:
    bind = op.get_bind()
    if bind.info.get("frontdesk.admin_scope_sql"):
        return
    for statement in ADMIN_SCOPE_SQL:
        op.execute(statement)
    bind.info["frontdesk.admin_scope_sql"] = True


def enable_rls(table: str, column: str = "tenant_id") -> None:
    """For migrations: protect a tenant table (no-op on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    _ensure_admin_scope()
    for statement in policy_sql(table, column):
        op.execute(statement)


def enable_rls_custom(table: str, tenant_rule: str) -> None:
    """For migrations: protect a table whose rows a tenant may see when ``tenant_rule`` holds
    (admin scopes always); ``"false"`` makes it admin-only."""
    if op.get_bind().dialect.name != "postgresql":
        return
    _ensure_admin_scope()
    for statement in policy_sql(table, rule=tenant_rule):
        op.execute(statement)


def disable_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def drop_admin_scope() -> None:
    """For the first migration's downgrade: remove the admin-scope functions and key."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS public.frontdesk_admin_scope_active()")
    op.execute("DROP FUNCTION IF EXISTS public.frontdesk_admin_scope(text)")
    op.execute(f"DROP SCHEMA IF EXISTS {PRIVATE_SCHEMA} CASCADE")


def setup_role_sql(role: str, password: str | None) -> list[str]:
    """Create (or fix) the application role: LOGIN, no superuser, no BYPASSRLS, DML only."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"invalid role name: {role!r}")
    pw = "PASSWORD " + _literal(password) if password else "PASSWORD NULL"
    return [
        f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(role)}) THEN
    CREATE ROLE {role} LOGIN;
  END IF;
END $$""",
        f"ALTER ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE {pw}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON alembic_version FROM {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


ADMIN_SCOPE_READY_SQL = f"SELECT to_regclass('{PRIVATE_SCHEMA}.admin_scope') IS NOT NULL"


def admin_key_sql(admin_scope_key: str) -> str:
    """Record (the hash of) the key the application presents to enter an admin scope (into the
    table ``ADMIN_SCOPE_SQL`` creates, which migrations run)."""
    if not admin_scope_key:
        raise ValueError("the admin-scope key is empty")
    digest = hashlib.sha256(admin_scope_key.encode()).hexdigest()
    return f"UPDATE {PRIVATE_SCHEMA}.admin_scope SET app_key_hash = decode('{digest}', 'hex')"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
