"""Knowledge base documents (secret keys)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import KNOWLEDGE_READ, KNOWLEDGE_WRITE
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.knowledge import service
from frontdesk.knowledge.schemas import DocumentCreate, DocumentOut, DocumentSummary, DocumentUpdate

router = APIRouter(prefix="/knowledge", tags=["knowledge"])
KnowledgeRead = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_READ))]
KnowledgeWrite = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_WRITE))]


@router.get("", response_model=Page[DocumentSummary])
async def list_documents(
    auth: KnowledgeRead, session: TenantSession, params: Annotated[PageParams, Depends(page_params)]
) -> Page[DocumentSummary]:
    """The tenant's documents by name, without their text."""
    docs, total = await service.list_documents(session, params)
    return Page(
        items=[DocumentSummary.of(d) for d in docs], total=total, page=params.page, limit=params.limit
    )


@router.post("", response_model=DocumentOut, status_code=status.HTTP_201_CREATED)
async def create_document(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, data: DocumentCreate
) -> DocumentOut:
    """Add a document: pasted text/markdown (`content`) or question/answer pairs (`faq`)."""
    return DocumentOut.of(await service.create_document(session, runtime.cache, data))


@router.get("/{document_id}", response_model=DocumentOut)
async def get_document(auth: KnowledgeRead, session: TenantSession, document_id: uuid.UUID) -> DocumentOut:
    return DocumentOut.of(await service.get_document(session, document_id))


@router.put("/{document_id}", response_model=DocumentOut)
async def update_document(
    auth: KnowledgeWrite,
    session: TenantSession,
    runtime: RuntimeDep,
    document_id: uuid.UUID,
    data: DocumentUpdate,
) -> DocumentOut:
    """Rename a document and/or replace its text; the version goes up by one."""
    return DocumentOut.of(await service.update_document(session, runtime.cache, document_id, data))


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, document_id: uuid.UUID
) -> Response:
    await service.delete_document(session, runtime.cache, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
