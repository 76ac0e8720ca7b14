"""The knowledge base's jobs: embedding chunks (knowledge/chunks.py) and website imports
(knowledge/imports.py). Each receives ids or nothing, never ORM objects; registered with the
broker through ``jobs.registry``."""

from __future__ import annotations

import uuid

from frontdesk.jobs.broker import task
from frontdesk.jobs.context import job_context
from frontdesk.jobs.enqueue import send
from frontdesk.knowledge import imports
from frontdesk.knowledge.chunks import (
    documents_to_embed,
    embed_document,
    tenant_documents,
    tenants_to_reembed,
)


@task(task_name="frontdesk.knowledge.embed_chunks")
async def embed_chunks(tenant_id: str, document_id: str) -> int:
    """Embed one document's chunks that lack a vector of the tenant's current model."""
    jobs = job_context()
    return await embed_document(
        jobs.db, jobs.cache, jobs.settings, uuid.UUID(tenant_id), uuid.UUID(document_id)
    )


@task(task_name="frontdesk.knowledge.reembed_tenant")
async def reembed_tenant(tenant_id: str) -> int:
    """Queue the embedding job for every document of a tenant (its embedding model changed)."""
    documents = await tenant_documents(job_context().db, uuid.UUID(tenant_id))
    for document_id in documents:
        await send("frontdesk.knowledge.embed_chunks", tenant_id, str(document_id))
    return len(documents)


@task(task_name="frontdesk.knowledge.sweep_embeddings")
async def sweep_embeddings() -> int:
    """Re-queue documents whose chunks still lack embeddings (a crashed or lost job)."""
    due = await documents_to_embed(job_context().db)
    for tenant_id, document_id in due:
        await send("frontdesk.knowledge.embed_chunks", str(tenant_id), str(document_id))
    return len(due)


@task(task_name="frontdesk.knowledge.sweep_embedding_models")
async def sweep_embedding_models() -> int:
    """Re-embed tenants whose vectors are of another model than their configuration's."""
    jobs = job_context()
    due = await tenants_to_reembed(jobs.db, jobs.settings)
    for tenant_id in due:
        await send("frontdesk.knowledge.reembed_tenant", str(tenant_id))
    return len(due)


@task(task_name="frontdesk.knowledge.run_import")
async def run_import(tenant_id: str, import_id: str) -> str:
    """Crawl one website import (a first import or a re-sync) and write its pages."""
    jobs = job_context()
    return await imports.run_import(
        jobs.db, jobs.cache, jobs.settings.outbound, uuid.UUID(tenant_id), uuid.UUID(import_id)
    )


@task(task_name="frontdesk.knowledge.sync_due_imports")
async def sync_due_imports() -> int:
    """Queue the website imports whose scheduled re-sync is due."""
    due = await imports.due_imports(job_context().db)
    for tenant_id, import_id in due:
        await send("frontdesk.knowledge.run_import", str(tenant_id), str(import_id))
    return len(due)
