"""``/api/v1/admin/webhook-events``: the platform's admins see failed web hook events and
requeue them (support users may look; requeueing is an admin's, and audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from frontdesk.auth.context import AdminActor, AdminSession
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.webhooks import service
from frontdesk.webhooks.schemas import Source, Status, WebhookEventOut

router = APIRouter(prefix="/api/v1/admin/webhook-events", tags=["admin: platform"])


@router.get("", response_model=Page[WebhookEventOut])
async def list_webhook_events(
    session: AdminSession,
    params: Annotated[PageParams, Depends(page_params)],
    source: Annotated[Source | None, Query(description="Only this inbox")] = None,
    status: Annotated[Status | None, Query(description="Only events in this state, e.g. failed")] = None,
) -> Page[WebhookEventOut]:
    """Web hook events of every inbox (Stripe, Crisp), newest first."""
    items, total = await service.list_events(session, params, source=source, status=status)
    return Page(items=items, total=total, page=params.page, limit=params.limit)


@router.post(
    "/{source}/{event_id}/requeue",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such event"}, 409: {"description": "The event has not failed"}},
)
async def requeue_webhook_event(
    session: AdminSession,
    actor: AdminActor,
    source: Source,
    event_id: Annotated[str, Path(max_length=100, pattern=r"^[\w.:-]+$", description="The event's id")],
) -> Response:
    """Process a failed event again: due now, with a fresh set of attempts (audited)."""
    await service.requeue(session, source, event_id, actor=actor.principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
