"""Record: one transaction stores the visitor's side of the turn — the conversation (created on
first use), the message under the tenant's PII policy, a lead, the hand-over — then counts it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.chat import metrics, store
from frontdesk.chat.limits import QuotaCounter
from frontdesk.chat.profile import ChatProfile
from frontdesk.chat.stages.admit import Admitted
from frontdesk.chat.stages.understand import Understood
from frontdesk.chat.turn import MAX_METADATA_CHARS, ChatInput
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.leads import service as leads
from frontdesk.privacy.redaction import redact


@dataclass(frozen=True)
class Recorded:
    conversation_id: uuid.UUID
    asked_at: datetime  # when the visitor message was stored: the reply is stored after it
    language: str | None  # the turn's: understood, else the conversation's, else the tenant's default
    history: tuple[store.Turn, ...]  # the recent dialogue before this message (none in a hand-over)
    lead: dict[str, Any] | None  # the lead this message created or updated
    handed_off: bool  # a person had the conversation before this message: the bot stays silent


async def record(
    db: Database, quota: QuotaCounter, admitted: Admitted, understood: Understood, inp: ChatInput
) -> Recorded:
    profile = admitted.profile
    config, intent = profile.config, understood.intent
    async with unit_of_work(db, tenant_id=profile.tenant_id) as session:
        # a new conversation is created in the understood language: its row needs no UPDATE
        conversation, history = await store.open_conversation(
            session,
            channel=inp.channel,
            session_id=inp.session_id,
            history=config.llm.history_turns,
            language=understood.language or config.default_language,
        )
        language = understood.language or conversation.language or config.default_language
        handed_off = conversation.status == "handoff"
        asked = await store.add_message(
            session,
            conversation,
            role="user",
            content=admitted.message if config.pii.store == "raw" else understood.text,
            intent=intent.intent,
            meta={
                "confidence": round(intent.confidence, 3),
                "language": language,
                "pii": list(understood.pii),
                **({"metadata": _stored_metadata(profile, inp.metadata)} if inp.metadata else {}),
            },
            language=language,
        )
        lead = await _lead(session, conversation.id, understood)
        if understood.wants_handoff and not handed_off:
            await store.set_status(session, conversation.id, "handoff")
            metrics.HANDOFFS.inc()
    await quota.count(profile.tenant_id, profile.period_start, profile.generation)
    metrics.MESSAGES.labels(inp.channel).inc()
    metrics.INTENTS.labels(metrics.intent_label(intent.intent)).inc()
    return Recorded(
        conversation_id=conversation.id,
        asked_at=asked.created_at,
        language=language,
        history=tuple(history),
        lead=lead,
        handed_off=handed_off,
    )


async def _lead(
    session: AsyncSession, conversation_id: uuid.UUID, understood: Understood
) -> dict[str, Any] | None:
    """The lead, when the visitor gave contact details or asked to be contacted."""
    if not (understood.contact or understood.intent.action == "capture_lead"):
        return None
    lead, created = await leads.capture(
        session, conversation_id, intent=understood.intent.intent, contact=understood.contact
    )
    if created:
        metrics.LEADS.inc()
    return {"id": str(lead.id), "status": lead.status, "captured": sorted(leads.read_contact(lead))}


def _stored_metadata(profile: ChatProfile, metadata: dict[str, Any]) -> dict[str, Any]:
    """The message's metadata as stored: under the same PII policy as the message itself."""
    pii = profile.config.pii
    if pii.store == "raw":
        return metadata
    return {
        key: redact(
            value[:MAX_METADATA_CHARS],
            custom_patterns=profile.pii_patterns,
            default_region=pii.default_region,
        ).text
        if isinstance(value, str)
        else value
        for key, value in metadata.items()
    }
