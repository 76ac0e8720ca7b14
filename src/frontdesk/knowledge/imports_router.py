"""Knowledge imports: websites crawled into documents, files uploaded as documents.

Mounted under ``/api/v1`` (secret keys) and ``/api/v1/customer`` (the dashboard's users), before
the documents router (whose ``/knowledge/{document_id}`` would otherwise take these paths).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import KNOWLEDGE_READ, KNOWLEDGE_WRITE
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.knowledge import imports
from frontdesk.knowledge.imports import FileImportOut, ImportCreate, ImportOut
from frontdesk.knowledge.sources import files

router = APIRouter(prefix="/knowledge", tags=["knowledge imports"])
KnowledgeRead = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_READ))]
KnowledgeWrite = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_WRITE))]

# The upload's own body limit (the app's default is FRONTDESK_MAX_BODY_BYTES): one file plus
# the multipart envelope. The middleware applies it to these paths only.
UPLOAD_BODY_BYTES = files.MAX_FILE_BYTES + 64 * 1024
UPLOAD_PATHS = ("/api/v1/knowledge/files", "/api/v1/customer/knowledge/files")


@router.post("/imports", response_model=ImportOut, status_code=status.HTTP_202_ACCEPTED)
async def create_import(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, data: ImportCreate
) -> ImportOut:
    """Import a website: a start page (same-site links are followed) or a sitemap.xml. The crawl
    runs in the background; poll the import for its progress."""
    row = await imports.create_website_import(session, runtime.settings.outbound, data)
    return ImportOut.of(row)


@router.get("/imports", response_model=Page[ImportOut])
async def list_imports(
    auth: KnowledgeRead, session: TenantSession, params: Annotated[PageParams, Depends(page_params)]
) -> Page[ImportOut]:
    """The workspace's imports, newest first, with their progress."""
    rows, total = await imports.list_imports(session, params)
    counts = await imports.document_counts(session, [r.id for r in rows])
    return Page(
        items=[ImportOut.of(r, counts.get(r.id, 0)) for r in rows],
        total=total,
        page=params.page,
        limit=params.limit,
    )


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(auth: KnowledgeRead, session: TenantSession, import_id: uuid.UUID) -> ImportOut:
    """One import: status, pages found/fetched/indexed/unchanged/failed, and the errors."""
    row = await imports.get_import(session, import_id)
    counts = await imports.document_counts(session, [row.id])
    return ImportOut.of(row, counts.get(row.id, 0))


@router.post("/imports/{import_id}/sync", response_model=ImportOut, status_code=status.HTTP_202_ACCEPTED)
async def sync_import(auth: KnowledgeWrite, session: TenantSession, import_id: uuid.UUID) -> ImportOut:
    """Re-sync a website now: changed pages are updated, unchanged ones counted and left alone."""
    return ImportOut.of(await imports.sync_now(session, import_id))


@router.delete("/imports/{import_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_import(
    auth: KnowledgeWrite,
    session: TenantSession,
    runtime: RuntimeDep,
    import_id: uuid.UUID,
    delete_documents: Annotated[
        bool, Query(description="Also delete the documents it created (else they stay, no longer synced)")
    ] = False,
) -> Response:
    await imports.delete_import(session, runtime.cache, import_id, delete_documents=delete_documents)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/files", response_model=FileImportOut, status_code=status.HTTP_201_CREATED)
async def upload_file(
    auth: KnowledgeWrite,
    session: TenantSession,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description=f"{files.SUPPORTED}; at most 20 MiB")],
) -> FileImportOut:
    """Add a file to the knowledge base: PDF, DOCX, HTML, Markdown, plain text, or a CSV of
    question/answer pairs (an FAQ document). A file that cannot be read stores nothing. One file
    per workspace is read at a time (429 with Retry-After otherwise); 503 with Retry-After when the
    server is reading too many files; 422 when reading takes longer than a minute."""
    name = file.filename or "upload"
    files.kind_of(name)  # 415 before reading an unsupported file
    data = await file.read(files.MAX_FILE_BYTES + 1)
    files.check_size(name, data)  # before taking an extraction slot
    # on the extraction pool, bounded per process and per tenant; 422 when it takes too long
    extracted = await files.extract_bounded(name, data, str(auth.tenant_id))
    row, stored = await imports.store_file(session, runtime.cache, name, extracted)
    return FileImportOut(**ImportOut.of(row, len(stored)).model_dump(), document_ids=[d.id for d in stored])
