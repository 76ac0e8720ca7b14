"""Export and erasure of one visitor's data (owners and admins, or a secret key with the
``privacy:manage`` scope). Mounted at /api/v1/privacy and /api/v1/customer/privacy."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import PRIVACY_MANAGE
from frontdesk.visitor_data import service
from frontdesk.visitor_data.schemas import Erased, VisitorExport, VisitorSelector

router = APIRouter(prefix="/privacy", tags=["privacy"])
PrivacyManage = Annotated[AuthContext, Depends(Authorize(PRIVACY_MANAGE))]


def _record(
    session: AsyncSession,
    auth: AuthContext,
    request: Request,
    secret_key: str,
    action: str,
    selector: VisitorSelector,
    **counts: int,
) -> None:
    # the selector's value is personal data: the log keeps its kind and a keyed fingerprint only
    # (a plain hash of an email is reversed with a list of emails)
    fingerprint = hmac.new(secret_key.encode(), selector.value.encode(), hashlib.sha256).hexdigest()[:16]
    details: dict[str, Any] = {"fingerprint": fingerprint, **counts}
    audit.record(
        session,
        actor=auth.principal,
        action=action,
        target=selector.kind,
        ip=request.client.host if request.client else None,
        **details,
    )


@router.get("/export", response_model=VisitorExport)
async def export_visitor(
    auth: PrivacyManage,
    session: TenantSession,
    runtime: RuntimeDep,
    request: Request,
    selector: Annotated[VisitorSelector, Query()],
) -> VisitorExport:
    """Everything stored about one visitor (give exactly one of ``session_id``, ``email`` or
    ``lead_id``): conversations with their messages, leads, Crisp rows. 404 when nothing is."""
    data = await service.export(session, selector)
    _record(
        session,
        auth,
        request,
        runtime.settings.secret_key,
        "privacy.export",
        selector,
        conversations=len(data.conversations),
        leads=len(data.leads),
    )
    return data


@router.post("/erase", response_model=Erased)
async def erase_visitor(
    auth: PrivacyManage,
    session: TenantSession,
    runtime: RuntimeDep,
    request: Request,
    selector: VisitorSelector,
) -> Erased:
    """Delete everything stored about one visitor (same selector as the export, as JSON).
    Answers how many rows went; all zero when nothing matched."""
    erased = await service.erase(session, selector)
    _record(
        session, auth, request, runtime.settings.secret_key, "privacy.erase", selector, **erased.model_dump()
    )
    return erased
