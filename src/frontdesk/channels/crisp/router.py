"""Crisp endpoints: the tenant connects Crisp (secret keys), Crisp posts signed hooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, Security

from frontdesk.auth.context import (
    AuthContext,
    Authorize,
    RuntimeDep,
    TenantSession,
    api_key_header,
    authenticate,
)
from frontdesk.auth.permissions import CHAT_WRITE, CONFIG_READ, CONFIG_WRITE
from frontdesk.channels.base import Inbound
from frontdesk.channels.crisp import flows, service
from frontdesk.channels.crisp.channel import CrispChannel
from frontdesk.channels.crisp.schemas import CrispConnectIn, CrispStatusOut, DeliveryCounts, HookAck
from frontdesk.config import Settings
from frontdesk.kit.errors import Forbidden

router = APIRouter(tags=["crisp"])
ConfigRead = Annotated[AuthContext, Depends(Authorize(CONFIG_READ))]
ConfigWrite = Annotated[AuthContext, Depends(Authorize(CONFIG_WRITE))]


async def _status(session: TenantSession, request: Request, settings: Settings) -> CrispStatusOut:
    integration = await service.get_integration(session)
    if integration is None:
        return CrispStatusOut(connected=False)
    base = settings.public_base(str(request.base_url))
    token = service.webhook_token(settings.secret_key, integration.id)
    return CrispStatusOut(
        connected=True,
        website_id=integration.website_id,
        identifier=integration.identifier,
        has_key=bool(integration.api_key),
        has_signing_secret=bool(integration.signing_secret),
        webhook_url=f"{base}{service.WEBHOOK_PATH}?token={token}",
        deliveries=DeliveryCounts(**await service.delivery_counts(session)),
        last_event_at=await service.last_event_at(session),
        updated_at=integration.updated_at,
        verified_at=integration.verified_at,
    )


@router.get("/api/v1/integrations/crisp", response_model=CrispStatusOut)
async def get_crisp(
    auth: ConfigRead, session: TenantSession, runtime: RuntimeDep, request: Request
) -> CrispStatusOut:
    """Connection status, the web hook URL to paste into Crisp, and reply delivery counts."""
    settings = runtime.settings
    return await _status(session, request, settings)


@router.put(
    "/api/v1/integrations/crisp",
    response_model=CrispStatusOut,
    responses={
        422: {"description": "Crisp did not confirm the plugin credentials for this website"},
        503: {"description": "Crisp could not be reached to confirm them (nothing was saved)"},
    },
)
async def put_crisp(
    auth: ConfigWrite, session: TenantSession, runtime: RuntimeDep, request: Request, data: CrispConnectIn
) -> CrispStatusOut:
    """Connect Crisp or change the connection. ``key`` and ``signing_secret`` are never
    returned; omit them on an update to keep the stored ones.

    Crisp must confirm that the plugin token (``identifier`` and ``key``) is authorized on
    ``website_id`` (Frontdesk asks Crisp's API with them); then the website is this account's,
    even if another account had connected it (that connection is removed)."""
    settings = runtime.settings
    await flows.connect(
        runtime.db,
        runtime.crisp,
        auth.tenant_id,
        settings.secret_key,
        actor=auth.principal,
        website_id=data.website_id,
        identifier=data.identifier,
        key=data.key,
        signing_secret=data.signing_secret,
    )
    return await _status(session, request, settings)


@router.delete("/api/v1/integrations/crisp", status_code=204)
async def delete_crisp(auth: ConfigWrite, session: TenantSession) -> Response:
    """Disconnect Crisp: hooks stop being accepted; the conversations stay."""
    await service.disconnect(session)
    return Response(status_code=204)


@router.post(
    service.WEBHOOK_PATH,
    response_model=HookAck,
    responses={
        401: {"description": "Missing, bad or stale signature"},
        404: {"description": "Unknown tenant"},
    },
)
async def crisp_webhook(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(description="The secret token of the tenant's web hook URL")] = None,
    api_key: Annotated[str | None, Security(api_key_header)] = None,
) -> HookAck:
    """Crisp web hooks (``message:send`` …), signed with the tenant's Crisp signing secret.

    The tenant is the one of the ``X-API-Key`` header (a secret key with ``chat:write``), else
    of the URL's ``token``, else the one that connected the event's ``website_id``. Nothing is
    stored unless the signature checks out; a visitor message is queued for the bot and
    acknowledged at once (the reply is posted back through Crisp's API).
    """

    async def key_tenant() -> uuid.UUID | None:
        if not api_key:
            return None
        auth = await authenticate(request, runtime, api_key)
        if not auth.can(CHAT_WRITE):
            raise Forbidden(f"This key lacks the '{CHAT_WRITE}' scope.")
        return auth.tenant_id

    inbound = Inbound(
        body=await request.body(),
        headers={name.lower(): value for name, value in request.headers.items()},
        query={"token": token} if token else {},
        credentials=key_tenant,
    )
    channel = CrispChannel(runtime.db, runtime.crisp)
    return HookAck(status=await channel.accept(await channel.verify(inbound)))
