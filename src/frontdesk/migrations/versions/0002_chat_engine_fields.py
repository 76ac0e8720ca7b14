"""chat engine fields

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:55:57.105540
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db.base
from frontdesk.db.base import JSONType

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_tenant_updated", ["tenant_id", "updated_at"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                frontdesk.db.base.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("meta", JSONType, nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("meta")
        batch_op.drop_column("model")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_tenant_updated")
