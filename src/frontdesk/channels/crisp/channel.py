"""Crisp as a ``channels.base.OutboxChannel``: signed hooks in, replies through Crisp's API.

``verify`` reads the hook (400 if it is not one), finds the tenant (the request's API key,
else the web hook URL's token, else the website that was connected; 404 if none) and checks
Crisp's signature with that tenant's signing secret (401); ``accept`` writes the inbox and
queues the answer; ``deliver`` posts one reply from the outbox.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from frontdesk.channels.base import ChatTurn, Inbound, OutboxChannel
from frontdesk.channels.crisp import service, signature
from frontdesk.channels.crisp.client import CrispClient
from frontdesk.db.engine import Database
from frontdesk.kit.errors import BadRequest, NotFound, Unauthorized


@dataclass(frozen=True)
class CrispOrigin:
    """A hook whose signature checked out with its tenant's secret."""

    connection: service.Connection
    hook: service.HookEvent


class CrispChannel:
    name = service.CHANNEL
    replies: Literal["inline", "outbox"] = "outbox"

    def __init__(self, db: Database, client: CrispClient) -> None:
        self.db, self.client = db, client

    async def verify(self, inbound: Inbound) -> CrispOrigin:
        try:
            body: Any = json.loads(inbound.body)
        except ValueError:
            raise BadRequest("The body is not JSON.") from None
        hook = service.parse_event(body)
        tenant_id = await inbound.credentials()
        token = inbound.query.get("token")
        keyed = tenant_id is not None
        connection = await service.find_connection(
            self.db,
            tenant_id=tenant_id,
            token=token,
            website_id=None if (keyed or token) else hook.website_id,
        )
        if connection is None:
            raise NotFound("No Frontdesk account has connected this Crisp website.")
        try:
            signature.verify(
                connection.signing_secret,
                inbound.header(signature.TIMESTAMP_HEADER),
                inbound.header(signature.SIGNATURE_HEADER),
                inbound.body,
                body,
            )
        except signature.SignatureError as error:
            raise Unauthorized(str(error)) from None
        return CrispOrigin(connection, hook)

    def parse(self, origin: CrispOrigin) -> Sequence[ChatTurn]:
        hook = origin.hook
        if not hook.is_visitor_text or hook.website_id != origin.connection.website_id:
            return []
        return [service.chat_turn(origin.connection.tenant_id, hook.session_id, hook.fingerprint, hook.data)]

    async def accept(self, origin: CrispOrigin) -> str:
        return await service.accept(self.db, origin.connection, origin.hook)

    async def deliver(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> str:
        return await service.deliver(self.db, self.client, tenant_id, delivery_id)


def as_channel(channel: CrispChannel) -> OutboxChannel[CrispOrigin]:
    """Typing proof that ``CrispChannel`` implements the interface (mypy checks it)."""
    return channel
