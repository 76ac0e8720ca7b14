"""Knowledge base documents (secret keys)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import KNOWLEDGE_READ, KNOWLEDGE_WRITE
from frontdesk.config import Settings
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.knowledge import service
from frontdesk.knowledge.chunks import chunk_counts, tenant_embedding_model
from frontdesk.knowledge.schemas import DocumentCreate, DocumentOut, DocumentSummary, DocumentUpdate
from frontdesk.models import KnowledgeBase

router = APIRouter(prefix="/knowledge", tags=["knowledge"])
KnowledgeRead = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_READ))]
KnowledgeWrite = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_WRITE))]


async def _counts(
    session: AsyncSession, settings: Settings, docs: list[KnowledgeBase]
) -> dict[uuid.UUID, tuple[int, int]]:
    model = await tenant_embedding_model(session, settings)
    return await chunk_counts(session, [d.id for d in docs], model)


async def _out(session: AsyncSession, settings: Settings, doc: KnowledgeBase) -> DocumentOut:
    counts = await _counts(session, settings, [doc])
    return DocumentOut.of(doc, counts.get(doc.id, (0, 0)))


@router.get("", response_model=Page[DocumentSummary])
async def list_documents(
    auth: KnowledgeRead,
    session: TenantSession,
    runtime: RuntimeDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[DocumentSummary]:
    """The tenant's documents by name, without their text."""
    docs, total = await service.list_documents(session, params)
    counts = await _counts(session, runtime.settings, docs)
    return Page(
        items=[DocumentSummary.of(d, counts.get(d.id, (0, 0))) for d in docs],
        total=total,
        page=params.page,
        limit=params.limit,
    )


@router.post("", response_model=DocumentOut, status_code=status.HTTP_201_CREATED)
async def create_document(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, data: DocumentCreate
) -> DocumentOut:
    """Add a document: pasted text/markdown (`content`) or question/answer pairs (`faq`). Its
    chunks are embedded in the background: `indexing` turns "ready" when that is done."""
    doc = await service.create_document(session, runtime.cache, data)
    return await _out(session, runtime.settings, doc)


@router.get("/{document_id}", response_model=DocumentOut)
async def get_document(
    auth: KnowledgeRead, session: TenantSession, runtime: RuntimeDep, document_id: uuid.UUID
) -> DocumentOut:
    return await _out(session, runtime.settings, await service.get_document(session, document_id))


@router.put("/{document_id}", response_model=DocumentOut)
async def update_document(
    auth: KnowledgeWrite,
    session: TenantSession,
    runtime: RuntimeDep,
    document_id: uuid.UUID,
    data: DocumentUpdate,
) -> DocumentOut:
    """Rename a document and/or replace its text; the version goes up by one."""
    doc = await service.update_document(session, runtime.cache, document_id, data)
    return await _out(session, runtime.settings, doc)


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, document_id: uuid.UUID
) -> Response:
    await service.delete_document(session, runtime.cache, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
