"""One interface for every channel: how a message from outside becomes a chat turn, and how
the reply gets back.

A channel is an edge of the product (``channels/<name>/``): the website widget, Crisp, and
next WhatsApp, Telegram, Messenger, Slack. Each implements ``Channel``:

1. ``verify(inbound)`` — is this request really from the channel, and for which tenant? A
   signature (Crisp's HMAC, Slack's signing secret, WhatsApp's ``X-Hub-Signature-256``,
   Telegram's secret token header), or for the widget a publishable key used from one of its
   allowed origins. Nothing is stored before this passes; a refusal is a ``kit.errors``
   problem (400 unreadable, 401 bad signature, 404 unknown tenant).
2. ``parse(origin)`` — the ``ChatTurn``s the verified request carries (zero for events that
   are not a visitor's text: typing, read receipts, an operator's message). Pure: no I/O.
   Each turn has an ``idempotency_key`` that a redelivery of the same message repeats.
3. ``accept(origin)`` — record what arrived and answer the channel at once: the inbox row
   (``kit.inbox.InboxRow``, unique on the idempotency key, so a redelivery is a no-op) and
   the job that runs its turns through the chat pipeline, enqueued by name after the commit.
4. ``deliver(tenant_id, delivery_id)`` — channels that answer later (``OutboxChannel``) post
   one reply from their outbox (a ``kit.inbox.QueueRow`` table) and return ``sent``,
   ``retrying``, ``failed`` or ``not due``; claim, backoff and the attempt cap are
   ``kit.inbox``'s, and the channel's sweep task re-sends what is due. The widget answers in
   the HTTP response (``replies = "inline"``) and has no outbox.

Adding a channel (say ``telegram``):

- ``channels/telegram/`` with ``channel.py`` (the class implementing ``OutboxChannel``),
  ``client.py`` (its HTTP API, through ``kit.outbound``), ``router.py`` (the webhook route:
  build an ``Inbound`` from the request, ``verify``, ``accept``, return the channel's ack),
  ``service.py`` (connection settings, the inbox and outbox writes; no FastAPI) and
  ``tasks.py`` (``frontdesk.telegram.process_event``, ``…deliver_reply``, ``…sweep``);
- models in ``models/telegram.py``: an inbox (``InboxRow``) and an outbox (``QueueRow``),
  tenant-owned, with a migration that enables Row-Level Security on both;
- register the router in ``app.py``, the tasks in the jobs registry, the sweep in the
  periodic schedule, and a ``Source`` in ``webhooks/service.py`` so the platform's admins see
  and requeue its failed events.

See docs/channels.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from frontdesk.chat.turn import ChatInput

Origin = TypeVar("Origin")


async def _anonymous() -> uuid.UUID | None:
    return None


@dataclass(frozen=True)
class Inbound:
    """An inbound request as a channel sees it, without the web framework's types."""

    body: bytes
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str] = field(default_factory=dict)
    # the tenant the request's own credentials (an API key) name, resolved by the HTTP layer
    # when the channel asks (so an unreadable body is refused before credentials are checked)
    credentials: Callable[[], Awaitable[uuid.UUID | None]] = _anonymous
    client_ip: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class ChatTurn:
    """One visitor message from a channel, ready for the chat pipeline."""

    tenant_id: uuid.UUID
    channel: str  # "widget", "crisp" …: the conversation's channel
    session_key: str  # the conversation on the channel's side (Crisp's session_id, a chat id …)
    text: str
    # the same for every delivery of this message, unique within the tenant and channel
    idempotency_key: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    visitor_ip: str | None = None  # browser channels: rate limits per address

    def chat_input(self) -> ChatInput:
        return ChatInput(
            session_id=self.session_key,
            message=self.text,
            metadata=dict(self.metadata),
            channel=self.channel,
            visitor_ip=self.visitor_ip,
        )


class Channel(Protocol[Origin]):
    """What every channel implements; ``Origin`` is its verified request (tenant and event)."""

    name: str
    replies: Literal["inline", "outbox"]

    async def verify(self, inbound: Inbound) -> Origin:
        """The verified request, or a ``kit.errors`` problem; nothing is stored before."""
        ...

    def parse(self, origin: Origin) -> Sequence[ChatTurn]:
        """The chat turns the request carries (none for other events)."""
        ...


class OutboxChannel(Channel[Origin], Protocol[Origin]):
    """A channel that answers later: inbound events go to an inbox, replies to an outbox."""

    async def accept(self, origin: Origin) -> str:
        """Record the event (once) and queue its turns; the channel's acknowledgement status."""
        ...

    async def deliver(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> str:
        """Post one reply from the outbox: ``sent``, ``retrying``, ``failed`` or ``not due``."""
        ...
