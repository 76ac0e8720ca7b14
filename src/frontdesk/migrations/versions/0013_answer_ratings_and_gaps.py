"""answer ratings and the unanswered-questions list

Visitors rate an assistant answer (``messages.rating``: 1 up, -1 down, and when); a tenant's
dealt-with unanswered questions (``knowledge_gap_resolutions``: answered or dismissed, keyed on a
hash of the normalized question), tenant-owned with Row-Level Security on PostgreSQL. The
unanswered list reads a tenant's newest messages: ``ix_messages_tenant_created``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db.base
from frontdesk.db.rls import disable_rls, enable_rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("rated_at", frontdesk.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_messages_tenant_created", "messages", ["tenant_id", "created_at"], unique=False)
    op.create_table(
        "knowledge_gap_resolutions",
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_gap_resolutions_document_id_knowledge_bases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_knowledge_gap_resolutions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_gap_resolutions")),
    )
    op.create_index(
        "ix_knowledge_gap_resolutions_tenant_key",
        "knowledge_gap_resolutions",
        ["tenant_id", "question_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_gap_resolutions_tenant_id"),
        "knowledge_gap_resolutions",
        ["tenant_id"],
        unique=False,
    )
    enable_rls("knowledge_gap_resolutions")


def downgrade() -> None:
    disable_rls("knowledge_gap_resolutions")
    op.drop_index(op.f("ix_knowledge_gap_resolutions_tenant_id"), table_name="knowledge_gap_resolutions")
    op.drop_index("ix_knowledge_gap_resolutions_tenant_key", table_name="knowledge_gap_resolutions")
    op.drop_table("knowledge_gap_resolutions")
    op.drop_index("ix_messages_tenant_created", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating")
