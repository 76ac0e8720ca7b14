"""crisp: when Crisp confirmed a connection's credentials for its website

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-30 20:45:00.000000

Existing connections keep working with ``verified_at`` empty: no migration can ask Crisp.
They are verified the next time they are saved or Crisp accepts one of their replies, and
they lose their website to any account that proves it owns it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db.base

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "crisp_integrations",
        sa.Column("verified_at", frontdesk.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("crisp_integrations", schema=None) as batch_op:
        batch_op.drop_column("verified_at")
