"""The Crisp channel without HTTP: connecting a tenant, accepting hook events, replying.

Nothing is lost between Crisp and the visitor:
- an accepted visitor message is written to the inbox (``crisp_events``, unique per tenant and
  Crisp fingerprint, so a retried hook is a no-op) before Crisp gets its 200;
- a job runs it through the chat pipeline and writes the reply to the outbox
  (``crisp_deliveries``) in the same transaction that marks the event processed;
- another job posts the reply to Crisp; a failure leaves it pending with the error and a
  next attempt time (exponential backoff), and the periodic sweep re-sends what is due and
  re-runs events a crashed job left behind. Events and deliveries are claimed (with a lease)
  before they are worked on, so two workers never answer or post the same message; a crash
  between Crisp's answer and our commit can still post a reply twice (at-least-once, never
  lost). Both queues are ``kit.inbox``'s: one claim, one backoff, one sweep, and events that
  exhaust their attempts are ``failed`` for the platform's admins to requeue.

The jobs (``channels/crisp/tasks.py``) are enqueued by name: this module never imports them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.auth import audit
from frontdesk.billing import service as billing
from frontdesk.channels.base import ChatTurn
from frontdesk.channels.crisp.client import CrispClient, CrispError
from frontdesk.chat import store
from frontdesk.chat.engine import ChatEngine
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.db.tenancy import admin_scope, current_tenant, of_tenant
from frontdesk.db.upsert import insert_for
from frontdesk.jobs.enqueue import enqueue_after_commit
from frontdesk.kit import inbox
from frontdesk.kit.errors import BadRequest, Conflict, Forbidden, FrontdeskError, NotFound
from frontdesk.kit.ids import new_id
from frontdesk.kit.time import utcnow
from frontdesk.models import CrispDelivery, CrispEvent, CrispIntegration, Tenant

log = structlog.get_logger()
CHANNEL = "crisp"
WEBHOOK_PATH = "/api/v1/crisp/webhook"
PROCESS_EVENT = "frontdesk.crisp.process_event"  # task names (channels/crisp/tasks.py)
DELIVER_REPLY = "frontdesk.crisp.deliver_reply"
MAX_ATTEMPTS = 20  # ~4 hours of backoff before a reply is marked failed
MAX_EVENT_ATTEMPTS = 5
DELIVERIES = inbox.Queue(
    CrispDelivery,
    lease=timedelta(seconds=60),  # a claimed delivery is not re-sent before this
    backoff=inbox.Backoff(
        first=timedelta(seconds=5), maximum=timedelta(minutes=15), max_attempts=MAX_ATTEMPTS
    ),
)
EVENTS = inbox.Queue(
    CrispEvent,
    lease=timedelta(minutes=2),  # a job that claimed an event and never finished
    backoff=inbox.Backoff(
        first=timedelta(minutes=1), maximum=timedelta(minutes=30), max_attempts=MAX_EVENT_ATTEMPTS
    ),
    sweep_grace=timedelta(minutes=1),  # the job queued at commit answers first
)
ECHO_WINDOW = timedelta(hours=1)
SWEEP_BATCH = 200


# --- connection -----------------------------------------------------------------------------


def webhook_token(secret_key: str, integration_id: uuid.UUID) -> str:
    """The secret in a tenant's webhook URL: derived from the deployment secret, never stored."""
    digest = hmac.new(secret_key.encode(), f"crisp-webhook:{integration_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def get_integration(session: AsyncSession) -> CrispIntegration | None:
    return await session.scalar(select(CrispIntegration))


async def key_to_verify(session: AsyncSession, *, key: str | None, signing_secret: str | None) -> str:
    """The plugin key a connect must be verified with: the one sent, else the stored one.
    Checks first that the plan includes Crisp; both secrets are required the first time."""
    await billing.check_channel(session, CHANNEL)
    integration = await get_integration(session)
    if integration is None and (not key or not signing_secret):
        raise BadRequest("Connecting Crisp needs the plugin key and the web hook signing secret.")
    return key or (integration.api_key if integration else "")


async def save_verified(
    session: AsyncSession,
    secret_key: str,
    *,
    actor: str,
    website_id: str,
    identifier: str,
    key: str,
    signing_secret: str | None,
) -> CrispIntegration:
    """Create or update the tenant's connection once Crisp has confirmed ``identifier:key`` for
    ``website_id`` (see ``flows.connect``). Another tenant's connection of the same website is
    removed: its hooks stop reaching it, and both tenants get an audit record."""
    await billing.check_channel(session, CHANNEL)
    took_over = await _take_over(session, website_id)
    integration = await get_integration(session)
    if integration is None:
        if not signing_secret:
            raise BadRequest("Connecting Crisp needs the plugin key and the web hook signing secret.")
        integration_id = new_id()
        integration = CrispIntegration(
            id=integration_id,
            website_id=website_id,
            identifier=identifier,
            api_key=key,
            signing_secret=signing_secret,
            webhook_token_hash=token_hash(webhook_token(secret_key, integration_id)),
        )
        session.add(integration)
    else:
        integration.website_id, integration.identifier, integration.api_key = website_id, identifier, key
        if signing_secret:
            integration.signing_secret = signing_secret
    integration.verified_at = utcnow()
    audit.record(session, actor=actor, action="crisp.connect", target=website_id, took_over=took_over)
    try:
        await session.flush()
    except IntegrityError:  # another account proved the same website at the same moment
        raise Conflict("This Crisp website was connected by another request just now; try again.") from None
    return integration


async def _take_over(session: AsyncSession, website_id: str) -> bool:
    """Remove another tenant's connection of ``website_id`` (the caller has proved it owns
    it); the other tenant's audit log says so without naming who took it."""
    tenant_id = current_tenant(session)
    async with admin_scope(session, actor=f"tenant:{tenant_id}", reason="crisp website ownership proved"):
        previous = await session.scalar(
            select(CrispIntegration).where(
                CrispIntegration.website_id == website_id, CrispIntegration.tenant_id != tenant_id
            )
        )
        if previous is None:
            return False
        audit.record(
            session,
            actor="system:crisp",
            action="crisp.taken_over",
            target=website_id,
            tenant_id=previous.tenant_id,
            reason="another account proved through Crisp that it owns this website",
        )
        await session.delete(previous)
        await session.flush()
    log.warning("crisp.website_taken_over", website_id=website_id, previous_tenant=str(previous.tenant_id))
    return True


async def disconnect(session: AsyncSession) -> None:
    integration = await get_integration(session)
    if integration is None:
        raise NotFound("Crisp is not connected.")
    await session.delete(integration)
    await session.flush()


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(CrispDelivery.status, func.count()).group_by(CrispDelivery.status))
    counts = {"pending": 0, "sent": 0, "failed": 0}
    counts.update({status: int(n) for status, n in rows.all()})
    return counts


async def last_event_at(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(CrispEvent.received_at)))


# --- hooks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HookEvent:
    website_id: str
    event: str
    session_id: str
    sender: str  # data.from: "user" | "operator"
    type: str
    content: str
    fingerprint: str
    data: dict[str, Any]

    @property
    def is_visitor_text(self) -> bool:
        return self.event == "message:send" and self.sender == "user" and self.type == "text"

    @property
    def is_operator_message(self) -> bool:
        # Crisp's docs name operator messages ``message:received``; some set-ups deliver them
        # as ``message:send`` from the operator. Both count; the bot's own echo is filtered.
        return self.event in ("message:send", "message:received") and self.sender == "operator"


def parse_event(body: Any) -> HookEvent:
    """The fields a Crisp hook carries (``{"website_id", "event", "data": {…}, "timestamp"}``)."""
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise BadRequest("Not a Crisp web hook event: expected an object with 'event' and 'data'.")
    raw_data = body.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    website_id = body.get("website_id") or data.get("website_id")
    if not isinstance(website_id, str) or not website_id:
        raise BadRequest("The event has no website_id.")
    content = data.get("content")
    fingerprint = data.get("fingerprint")
    return HookEvent(
        website_id=website_id,
        event=body["event"],
        session_id=str(data.get("session_id") or ""),
        sender=str(data.get("from") or ""),
        type=str(data.get("type") or ""),
        content=content if isinstance(content, str) else "",
        fingerprint=str(fingerprint) if fingerprint is not None else "",
        data=data,
    )


def chat_turn(tenant_id: uuid.UUID, session_id: str, fingerprint: str, data: dict[str, Any]) -> ChatTurn:
    """A visitor's Crisp message (a hook's ``data``, or what the inbox kept of it) as a turn."""
    content = data.get("content")
    raw_user = data.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    return ChatTurn(
        tenant_id=tenant_id,
        channel=CHANNEL,
        session_key=session_id,
        text=content if isinstance(content, str) else "",
        idempotency_key=fingerprint,  # Crisp's message fingerprint: the inbox's unique key
        metadata={"crisp": {"nickname": user.get("nickname")}},
    )


@dataclass(frozen=True)
class Connection:
    """What a hook needs to know about the tenant it is for (detached from any session)."""

    tenant_id: uuid.UUID
    website_id: str
    signing_secret: str


async def find_connection(
    db: Database,
    *,
    tenant_id: uuid.UUID | None = None,
    token: str | None = None,
    website_id: str | None = None,
) -> Connection | None:
    """The tenant a hook is for: by API key's tenant, else by webhook URL token, else by the
    event's website_id. Unauthenticated lookups run in an audited admin scope."""
    query = select(CrispIntegration, Tenant.suspended_at).join(Tenant)
    if tenant_id is not None:
        query = query.where(of_tenant(CrispIntegration.tenant_id, tenant_id))
    elif token:
        query = query.where(CrispIntegration.webhook_token_hash == token_hash(token))
    elif website_id:
        query = query.where(CrispIntegration.website_id == website_id)
    else:
        return None
    async with unit_of_work(db, admin=("system:crisp", "web hook tenant lookup"), read_only=True) as session:
        row = (await session.execute(query)).first()
    if row is None:
        return None
    integration, suspended_at = row
    if suspended_at is not None:
        raise Forbidden("This account is suspended.")
    return Connection(integration.tenant_id, integration.website_id, integration.signing_secret)


async def accept(db: Database, connection: Connection, hook: HookEvent) -> str:
    """Record what the hook means; returns what was done: ``accepted`` (a visitor message
    queued for the bot), ``duplicate``, ``handoff`` (an operator stepped in) or ``ignored``."""
    if hook.website_id != connection.website_id:
        raise NotFound("This web hook URL does not belong to that Crisp website.")
    if not (hook.is_visitor_text or hook.is_operator_message):
        return "ignored"
    if not hook.session_id or not hook.fingerprint:
        raise BadRequest("The message event has no session_id or fingerprint.")
    async with unit_of_work(db, tenant_id=connection.tenant_id) as session:
        if hook.is_operator_message and await _is_our_reply(session, hook):
            return "ignored"  # Crisp echoes the bot's own replies as operator messages
        event_id = await _record_event(session, connection.tenant_id, hook)
        if event_id is None:
            return "duplicate"
        if hook.is_operator_message:
            await _operator_stepped_in(session, hook, event_id)
            return "handoff"
        enqueue_after_commit(session, PROCESS_EVENT, str(connection.tenant_id), str(event_id))
    return "accepted"


async def _is_our_reply(session: AsyncSession, hook: HookEvent) -> bool:
    """The fingerprint Crisp returned for one of our posts, or — when the echo outruns the
    commit of that fingerprint — the same text in the same conversation, posted lately."""
    found = await session.scalar(
        select(CrispDelivery.id)
        .where(
            or_(
                CrispDelivery.crisp_fingerprint == hook.fingerprint,
                and_(
                    CrispDelivery.session_id == hook.session_id,
                    CrispDelivery.content == hook.content,
                    CrispDelivery.created_at >= utcnow() - ECHO_WINDOW,
                ),
            )
        )
        .limit(1)
    )
    return found is not None


async def _record_event(session: AsyncSession, tenant_id: uuid.UUID, hook: HookEvent) -> uuid.UUID | None:
    """Insert into the inbox; None when this fingerprint was already received."""
    insert = insert_for(session)
    statement = (
        insert(CrispEvent)
        .values(
            id=new_id(),
            tenant_id=tenant_id,
            fingerprint=hook.fingerprint,
            event=hook.event,
            session_id=hook.session_id,
            payload=hook.data,
            status="received",
            received_at=utcnow(),
            next_attempt_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "fingerprint"])
        .returning(CrispEvent.id)
    )
    event_id: uuid.UUID | None = await session.scalar(statement)
    return event_id


async def _operator_stepped_in(session: AsyncSession, hook: HookEvent, event_id: uuid.UUID) -> None:
    conversation = await store.get_or_create_conversation(
        session, channel=CHANNEL, session_id=hook.session_id
    )
    if hook.content:
        await store.add_message(session, conversation, role="operator", content=hook.content)
    await store.set_status(session, conversation.id, "handoff")
    await inbox.finish(session, EVENTS, CrispEvent.id == event_id, status="processed", processed_at=utcnow())


# --- jobs -----------------------------------------------------------------------------------


async def process_event(db: Database, chat: ChatEngine, tenant_id: uuid.UUID, event_id: uuid.UUID) -> str:
    """Run a received visitor message through the pipeline and queue the reply.

    The event is claimed first (``kit.inbox``: attempts + 1 and a lease), so a second run of
    this job or the sweep does not answer it twice; a run that died is retried when its lease
    runs out, a run that failed after a backoff, at most MAX_EVENT_ATTEMPTS times."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        attempts = await inbox.claim(session, EVENTS, CrispEvent.id == event_id)
        if attempts is None:
            return "skipped"
        event = await session.get(CrispEvent, event_id)
        assert event is not None
        website_id = (await session.scalar(select(CrispIntegration.website_id))) or ""
        turn = chat_turn(tenant_id, event.session_id, event.fingerprint, event.payload)
    try:
        prepared = await chat.prepare(tenant_id, turn.chat_input())
        outcome = await chat.reply(prepared)
    except FrontdeskError as error:  # rate limited, over quota: nothing to send, say why
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            await inbox.finish(
                session,
                EVENTS,
                CrispEvent.id == event_id,
                status="skipped",
                last_error=error.detail,
                processed_at=utcnow(),
            )
        log.warning("crisp.event_skipped", event_id=str(event_id), reason=error.code)
        return "skipped"
    except Exception as error:
        log.exception("crisp.event_failed", event_id=str(event_id), attempts=attempts)
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            failed = await inbox.retry_later(
                session,
                EVENTS,
                CrispEvent.id == event_id,
                attempts=attempts,
                error=f"{type(error).__name__}: {error}",
            )
        return "failed" if failed else "retrying"
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        # the visitor's text lives in the transcript from now on
        await inbox.finish(
            session, EVENTS, CrispEvent.id == event_id, status="processed", processed_at=utcnow(), payload={}
        )
        if not outcome.reply:  # in handoff: the bot stays silent
            return "silent"
        delivery = CrispDelivery(
            event_id=event_id, website_id=website_id, session_id=turn.session_key, content=outcome.reply
        )
        session.add(delivery)
        await session.flush()
        enqueue_after_commit(session, DELIVER_REPLY, str(tenant_id), str(delivery.id))
    return "replied"


async def deliver(db: Database, client: CrispClient, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> str:
    """Post one pending reply to Crisp; on failure record why and when to try again."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        attempts = await inbox.claim(session, DELIVERIES, CrispDelivery.id == delivery_id)
        if attempts is None:
            return "not due"
        delivery = await session.get(CrispDelivery, delivery_id)
        integration = await get_integration(session)
        assert delivery is not None
        content, session_id = delivery.content, delivery.session_id
        creds = (delivery.website_id, integration.identifier, integration.api_key) if integration else None
    try:
        if creds is None:
            raise CrispError("Crisp is not connected any more", retry=False)
        fingerprint = await client.send_text(
            website_id=creds[0], session_id=session_id, identifier=creds[1], key=creds[2], content=content
        )
    except CrispError as error:
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            failed = await inbox.retry_later(
                session,
                DELIVERIES,
                CrispDelivery.id == delivery_id,
                attempts=attempts,
                error=str(error),
                final=not error.retry,
            )
        log.warning(
            "crisp.delivery_failed", delivery_id=str(delivery_id), attempts=attempts, error=str(error)
        )
        return "failed" if failed else "retrying"
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        await inbox.finish(
            session,
            DELIVERIES,
            CrispDelivery.id == delivery_id,
            status="sent",
            sent_at=utcnow(),
            last_error=None,
            crisp_fingerprint=fingerprint,
        )
        # Crisp took a post into this website with these credentials: that proves them too
        # (a connection made before connects were verified becomes verified here)
        await session.execute(
            update(CrispIntegration)
            .where(
                CrispIntegration.verified_at.is_(None),
                CrispIntegration.website_id == creds[0],
                CrispIntegration.identifier == creds[1],
            )
            .values(verified_at=utcnow())
        )
    return "sent"


async def due_work(
    db: Database,
) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], list[tuple[uuid.UUID, uuid.UUID]]]:
    """(tenant, delivery) pairs due for a (re)send and (tenant, event) pairs due for a
    (re)run; rows whose last attempt died with its worker are set aside as failed."""
    async with unit_of_work(db, admin=("system:crisp", "delivery sweep")) as session:
        await inbox.give_up_abandoned(session, DELIVERIES)
        await inbox.give_up_abandoned(session, EVENTS)
        deliveries = await session.execute(
            inbox.due(DELIVERIES, CrispDelivery.tenant_id, CrispDelivery.id, limit=SWEEP_BATCH)
        )
        events = await session.execute(
            inbox.due(EVENTS, CrispEvent.tenant_id, CrispEvent.id, limit=SWEEP_BATCH)
        )
        return [(r[0], r[1]) for r in deliveries.all()], [(r[0], r[1]) for r in events.all()]
