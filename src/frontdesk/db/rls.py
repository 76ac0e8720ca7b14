"""PostgreSQL Row-Level Security: the second, database-side layer of tenant isolation.

Every tenant table gets a policy keyed on the per-transaction settings ``app.tenant_id``
and ``app.admin`` (set by ``db/tenancy.py`` at the start of each transaction). FORCE makes
the policy apply to the table owner too; only superusers and BYPASSRLS roles skip it,
which is why the application connects as a role that has neither (``frontdesk db setup-roles``).
"""

from __future__ import annotations

import re

from alembic import op

APP_ROLE = "frontdesk_app"

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_ADMIN = "current_setting('app.admin', true) = 'on'"


def policy_sql(table: str, column: str = "tenant_id", *, rule: str | None = None) -> list[str]:
    rule = f"({_ADMIN} OR {rule or f'{column} = {_CURRENT_TENANT}'})"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING {rule} WITH CHECK {rule}",
    ]


def enable_rls(table: str, column: str = "tenant_id") -> None:
    """For migrations: protect a tenant table (no-op on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in policy_sql(table, column):
        op.execute(statement)


def enable_rls_custom(table: str, tenant_rule: str) -> None:
    """For migrations: protect a table whose rows a tenant may see when ``tenant_rule`` holds
    (admins always); ``"false"`` makes it admin-only."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in policy_sql(table, rule=tenant_rule):
        op.execute(statement)


def disable_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


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


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
