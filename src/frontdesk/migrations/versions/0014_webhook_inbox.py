"""one webhook inbox: Stripe's and Crisp's events share kit.inbox's columns

``stripe_events`` and ``crisp_events`` get ``next_attempt_at`` (the retry time and the end of
a claim's lease), ``error`` becomes ``last_error`` (the outboxes' name), and the sweep's index
is on (status, next_attempt_at). Existing rows are due from when they were received; a Crisp
event a job had claimed (``processing``) is received again, due from when it was
claimed. Row-Level Security on ``crisp_events`` is unchanged (its policy reads tenant_id only).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db.base
from frontdesk.db.rls import MIGRATION_ADMIN_SCOPE_SQL

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("stripe_events", "crisp_events")


def _admin_scope() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # FORCE'd RLS applies to the (non-superuser) owner too
        bind.execute(sa.text(MIGRATION_ADMIN_SCOPE_SQL))


def upgrade() -> None:
    _admin_scope()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("error", new_column_name="last_error", existing_type=sa.Text())
            batch_op.add_column(
                sa.Column("next_attempt_at", frontdesk.db.base.UTCDateTime(timezone=True), nullable=True)
            )
        op.execute(sa.text(f"UPDATE {table} SET next_attempt_at = received_at"))  # noqa: S608
    # a claim made before this revision: due again from when it was claimed
    op.execute(
        sa.text(
            "UPDATE crisp_events SET status = 'received', next_attempt_at = processed_at, "
            "processed_at = NULL WHERE status = 'processing' AND processed_at IS NOT NULL"
        )
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "next_attempt_at",
                existing_type=frontdesk.db.base.UTCDateTime(timezone=True),
                nullable=False,
            )
            batch_op.drop_index(f"ix_{table}_status_received")
            batch_op.create_index(f"ix_{table}_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    _admin_scope()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_status_next")
            batch_op.create_index(f"ix_{table}_status_received", ["status", "received_at"], unique=False)
            batch_op.drop_column("next_attempt_at")
            batch_op.alter_column("last_error", new_column_name="error", existing_type=sa.Text())
