"""knowledge: chunk rows with their embeddings

Every document's chunks are stored (``knowledge_chunks``), each with the embedding the
background job computes (``knowledge.chunks.embed_document``). Existing documents are chunked
here, with their embeddings left empty: the periodic sweep queues the job for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 23:50:00.000000
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db.base
from frontdesk.db.rls import MIGRATION_ADMIN_SCOPE_SQL, disable_rls, enable_rls
from frontdesk.kit.ids import new_id
from frontdesk.kit.time import utcnow

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_chunks",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedding_model", sa.String(length=120), nullable=True),
        sa.Column("created_at", frontdesk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_chunks_document_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_knowledge_chunks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_chunks")),
        sa.UniqueConstraint("document_id", "ordinal", name=op.f("uq_knowledge_chunks_document_id_ordinal")),
    )
    with op.batch_alter_table("knowledge_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_chunks_tenant_id"), ["tenant_id"], unique=False)
    enable_rls("knowledge_chunks")
    _chunk_existing_documents()


def downgrade() -> None:
    disable_rls("knowledge_chunks")
    with op.batch_alter_table("knowledge_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_chunks_tenant_id"))
    op.drop_table("knowledge_chunks")


def _chunk_existing_documents() -> None:
    """Chunk rows for every tenant's documents (embeddings NULL: the sweep queues the job)."""
    from frontdesk.knowledge.chunking import chunk_document
    from frontdesk.nlu.language import detect_language

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # FORCE'd RLS applies to the (non-superuser) owner too
        bind.execute(sa.text(MIGRATION_ADMIN_SCOPE_SQL))
    documents = sa.table(
        "knowledge_bases",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("content", sa.Text()),
    )
    chunks = sa.table(
        "knowledge_chunks",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        sa.column("document_id", sa.Uuid()),
        sa.column("ordinal", sa.Integer()),
        sa.column("heading", sa.Text()),
        sa.column("text", sa.Text()),
        sa.column("content_hash", sa.String()),
        sa.column("language", sa.String()),
        sa.column("created_at", frontdesk.db.base.UTCDateTime(timezone=True)),
    )
    ids = bind.execute(sa.select(documents.c.id)).scalars().all()
    now = utcnow()
    for doc_id in ids:  # one document in memory at a time
        row = bind.execute(sa.select(documents).where(documents.c.id == doc_id)).mappings().one()
        language = detect_language(row["content"][:4000])
        rows = [
            {
                "id": new_id(),
                "tenant_id": row["tenant_id"],
                "document_id": doc_id,
                "ordinal": chunk.ordinal,
                "heading": chunk.heading,
                "text": chunk.text,
                "content_hash": hashlib.sha256(f"{chunk.heading or ''}\n{chunk.text}".encode()).hexdigest(),
                "language": language,
                "created_at": now,
            }
            for chunk in chunk_document(str(doc_id), row["name"], row["content"])
        ]
        if rows:
            bind.execute(sa.insert(chunks), rows)
