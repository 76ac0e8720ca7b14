"""The website widget as a ``channels.base.Channel``: it answers inline, in the HTTP response.

``verify`` needs the tenant of the request's publishable key — ``auth`` has already checked
that the key may be used from the request's ``Origin`` (its allowed origins) — and a page's
``Origin`` header; ``parse`` reads the chat request (``chat.schemas.ChatRequest``) into one
turn. The key a turn is idempotent on is the client's ``Idempotency-Key`` header (or a
``message_id`` in its metadata); without one, each request is a turn of its own.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from frontdesk.channels.base import Channel, ChatTurn, Inbound
from frontdesk.chat.schemas import ChatRequest
from frontdesk.kit.errors import BadRequest, Forbidden, Unauthorized

CHANNEL = "widget"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class WidgetOrigin:
    """A chat request from a page the tenant's publishable key allows."""

    tenant_id: uuid.UUID
    origin: str
    request: ChatRequest
    idempotency_key: str
    visitor_ip: str | None


class WidgetChannel:
    name = CHANNEL
    replies: Literal["inline", "outbox"] = "inline"

    async def verify(self, inbound: Inbound) -> WidgetOrigin:
        origin = inbound.header("origin")
        if not origin:
            raise Forbidden("The widget is used from a web page: the request has no Origin header.")
        tenant_id = await inbound.credentials()
        if tenant_id is None:
            raise Unauthorized("Send the widget's publishable key in the X-API-Key header.")
        try:
            request = ChatRequest.model_validate(json.loads(inbound.body))
        except (ValueError, ValidationError):
            raise BadRequest("The body is not a chat request (session_id, message).") from None
        given = inbound.header(IDEMPOTENCY_HEADER) or request.metadata.get("message_id")
        key = f"{request.session_id}:{given}" if given else f"{request.session_id}:{uuid.uuid4()}"
        return WidgetOrigin(tenant_id, origin.rstrip("/"), request, _bounded(key), inbound.client_ip)

    def parse(self, origin: WidgetOrigin) -> Sequence[ChatTurn]:
        request = origin.request
        return [
            ChatTurn(
                tenant_id=origin.tenant_id,
                channel=CHANNEL,
                session_key=request.session_id,
                text=request.message,
                idempotency_key=origin.idempotency_key,
                metadata=dict(request.metadata),
                visitor_ip=origin.visitor_ip,
            )
        ]


def _bounded(key: str) -> str:
    """At most 100 characters (an inbox column's size): long keys are hashed."""
    return key if len(key) <= 100 else hashlib.sha256(key.encode()).hexdigest()


def as_channel(channel: WidgetChannel) -> Channel[WidgetOrigin]:
    """Typing proof that ``WidgetChannel`` implements the interface (mypy checks it)."""
    return channel
