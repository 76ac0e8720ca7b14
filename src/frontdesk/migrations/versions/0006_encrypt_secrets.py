"""encrypt stored secrets

The Crisp plugin key and signing secret, and the bot configuration's ``llm.api_key``, were
stored as plaintext: encrypt them with the newest key of FRONTDESK_ENCRYPTION_KEYS
(privacy.encryption), and widen the Crisp columns for the ciphertext. Downgrade decrypts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:40:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from frontdesk.db.base import JSONType
from frontdesk.db.rls import MIGRATION_ADMIN_SCOPE_SQL
from frontdesk.privacy.encryption import Keyring, current_keyring, is_encrypted

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CRISP_SECRETS = ("api_key", "signing_secret")


def upgrade() -> None:
    with op.batch_alter_table("crisp_integrations", schema=None) as batch_op:
        for name in CRISP_SECRETS:
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=500),
                type_=sa.String(length=1000),
                existing_nullable=False,
            )
    _convert(encrypt=True)


def downgrade() -> None:
    _convert(encrypt=False)
    with op.batch_alter_table("crisp_integrations", schema=None) as batch_op:
        for name in CRISP_SECRETS:
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=1000),
                type_=sa.String(length=500),
                existing_nullable=False,
            )


class _Keys:
    """The keyring, fetched only when a row needs it (an empty database needs no keys)."""

    keyring: Keyring | None = None

    def convert(self, value: str, encrypt: bool) -> str:
        if self.keyring is None:
            self.keyring = _keyring()
        return self.keyring.encrypt(value) if encrypt else self.keyring.decrypt(value)


def _keyring() -> Keyring:
    given = context.config.attributes.get("keyring")
    if given is not None:
        return given  # type: ignore[no-any-return]
    try:
        return current_keyring()
    except RuntimeError:
        from frontdesk.config import get_settings

        return Keyring.from_settings(get_settings())


def _needs(value: Any, encrypt: bool) -> bool:
    return isinstance(value, str) and bool(value) and is_encrypted(value) != encrypt


def _convert(*, encrypt: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # FORCE'd RLS applies to a non-superuser owner too
        bind.execute(sa.text("SELECT set_config('app.admin', 'on', true)"))  # tables' policies until 0007
        # a database whose tables were created by today's enable_rls has its policies already
        # (one created by older code gets them in 0007)
        if bind.scalar(sa.text("SELECT to_regprocedure('frontdesk_private.transaction_token()')")):
            bind.execute(sa.text(MIGRATION_ADMIN_SCOPE_SQL))
    keys = _Keys()
    crisp = sa.table(
        "crisp_integrations", sa.column("id", sa.Uuid()), *(sa.column(n, sa.String()) for n in CRISP_SECRETS)
    )
    for row in bind.execute(sa.select(crisp)).mappings().all():
        changes = {n: keys.convert(row[n], encrypt) for n in CRISP_SECRETS if _needs(row[n], encrypt)}
        if changes:
            bind.execute(sa.update(crisp).where(crisp.c.id == row["id"]).values(changes))
    configs = sa.table(
        "tenant_configurations",
        sa.column("id", sa.Uuid()),
        sa.column("config_type", sa.String()),
        sa.column("config_data", JSONType),
    )
    query = sa.select(configs.c.id, configs.c.config_data).where(configs.c.config_type == "bot")
    for row in bind.execute(query).mappings().all():
        document = row["config_data"]
        llm = document.get("llm") if isinstance(document, dict) else None
        if isinstance(llm, dict) and _needs(llm.get("api_key"), encrypt):
            llm = {**llm, "api_key": keys.convert(llm["api_key"], encrypt)}
            bind.execute(
                sa.update(configs)
                .where(configs.c.id == row["id"])
                .values(config_data={**document, "llm": llm})
            )
