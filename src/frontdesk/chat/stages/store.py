"""Store: the reply in the transcript (one INSERT, after the visitor's message) with its intent,
latency, tokens, model and sources; a model's good answer to a cacheable question in the cache."""

from __future__ import annotations

import json
import time

from frontdesk.chat import metrics
from frontdesk.chat import store as conversations
from frontdesk.chat.stages.answer import Answered, Generate, Prepared
from frontdesk.chat.turn import ChatOutcome
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.cache import Cache

RESPONSE_CACHE_SECONDS = 3600.0


async def store(db: Database, cache: Cache, prepared: Prepared, answered: Answered) -> ChatOutcome:
    admitted, understood, recorded, plan = (
        prepared.admitted,
        prepared.understood,
        prepared.recorded,
        prepared.plan,
    )
    profile, intent, result = admitted.profile, understood.intent, answered.result
    booking_url, text = profile.config.booking_url, answered.text
    if intent.action == "offer_booking" and booking_url and booking_url not in text:
        text = f"{text}\n\n{booking_url}".strip()
    latency_ms = int((time.perf_counter() - admitted.started) * 1000)
    model = result.model if result else plan.meta.get("model")
    tokens = (result.prompt_tokens + result.completion_tokens) if result else None
    if result is not None and result.provider != "offline":
        metrics.LLM_LATENCY.labels(result.provider).observe(result.latency_ms / 1000)
        metrics.TOKENS.labels("prompt").inc(result.prompt_tokens)
        metrics.TOKENS.labels("completion").inc(result.completion_tokens)
    async with unit_of_work(db, tenant_id=profile.tenant_id) as session:
        message = await conversations.add_reply(
            session,
            recorded.conversation_id,
            after=recorded.asked_at,
            content=text,
            intent=intent.intent,
            tokens=tokens,
            latency_ms=latency_ms,
            model=model,
            meta={
                "confidence": round(intent.confidence, 3),
                "language": recorded.language,
                "sources": plan.sources,
                **plan.meta,
                **({"fallback": answered.fallback} if answered.fallback else {}),
            },
        )
    cache_key = plan.cache_key if isinstance(plan, Generate) else None
    if cache_key and result is not None and result.provider != "offline" and not answered.fallback:
        value = {"reply": text, "sources": plan.sources, "model": model}
        await cache.set(cache_key, json.dumps(value).encode(), RESPONSE_CACHE_SECONDS)
    return ChatOutcome(
        reply=text,
        conversation_id=recorded.conversation_id,
        message_id=message.id,
        intent=intent.intent,
        confidence=round(intent.confidence, 3),
        language=recorded.language,
        sources=plan.sources,
        lead=recorded.lead,
        handoff=recorded.handed_off or understood.wants_handoff,
    )
