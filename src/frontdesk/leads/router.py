"""Leads (secret keys)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from frontdesk.auth.context import AuthContext, Authorize, TenantSession
from frontdesk.auth.permissions import LEADS_READ, LEADS_WRITE
from frontdesk.kit.dates import UtcDatetime, check_range
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.leads import service
from frontdesk.leads.schemas import ContactOut, LeadOut, LeadStatus, LeadUpdate
from frontdesk.models import Lead

router = APIRouter(prefix="/leads", tags=["leads"])
LeadsRead = Annotated[AuthContext, Depends(Authorize(LEADS_READ))]
LeadsWrite = Annotated[AuthContext, Depends(Authorize(LEADS_WRITE))]


def _out(lead: Lead) -> LeadOut:
    return LeadOut(
        id=lead.id,
        conversation_id=lead.conversation_id,
        intent=lead.intent,
        contact=ContactOut(**service.read_contact(lead)),
        status=lead.status,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )


@router.get("", response_model=Page[LeadOut])
async def list_leads(
    auth: LeadsRead,
    session: TenantSession,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[LeadStatus | None, Query(description="new, contacted, qualified, won or lost")] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="Captured at or after (ISO 8601; UTC if no offset)")
    ] = None,
    until: Annotated[
        UtcDatetime | None, Query(description="Captured before (ISO 8601; UTC if no offset)")
    ] = None,
) -> Page[LeadOut]:
    """Leads, newest first."""
    check_range(since, until)
    rows, total = await service.list_leads(session, params, status=status, since=since, until=until)
    return Page(items=[_out(lead) for lead in rows], total=total, page=params.page, limit=params.limit)


@router.get("/{lead_id}", response_model=LeadOut)
async def get_lead(auth: LeadsRead, session: TenantSession, lead_id: uuid.UUID) -> LeadOut:
    return _out(await service.get_lead(session, lead_id))


@router.patch("/{lead_id}", response_model=LeadOut)
async def update_lead(
    auth: LeadsWrite, session: TenantSession, lead_id: uuid.UUID, data: LeadUpdate
) -> LeadOut:
    """Move a lead through the pipeline: new, contacted, qualified, won or lost."""
    return _out(await service.update_lead(session, lead_id, data.status))
