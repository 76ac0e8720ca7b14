"""Answer: how the turn is answered, then the answer itself.

Before generation (``fixed``, ``plan``): silence while a person has the conversation, the
hand-over message, the greeting, a cached answer — or an LLM request over the grounding, sent
to the tenant's LLM or, without one, to the offline responder. Generation (``complete``,
``stream``) holds no transaction; when the LLM fails, the offline responder answers instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from frontdesk.chat import metrics, store
from frontdesk.chat.stages.admit import Admitted
from frontdesk.chat.stages.ground import Grounding
from frontdesk.chat.stages.record import Recorded
from frontdesk.chat.stages.understand import Understood
from frontdesk.kit.cache import Cache
from frontdesk.knowledge.index import normalize_query
from frontdesk.llm.base import ChatTurn, LLMError, LLMProvider, LLMRequest, LLMResult
from frontdesk.llm.offline import OfflineContext, OfflineResponder
from frontdesk.llm.prompts import build_system_prompt, history_window
from frontdesk.privacy.redaction import redact

log = structlog.get_logger()
HISTORY_CHARS = 6000
# the transcript says only that the model failed: a tenant's endpoint errors must not tell it
# what answers on which port (the log and the metric keep the code)
FALLBACK_NOTE = "the model endpoint failed"


@dataclass(frozen=True)
class Fixed:
    """A reply that needs no generation."""

    text: str  # "" while a person has the conversation: the bot stays silent
    meta: Mapping[str, Any]  # stored with the reply: silent, handoff, greeting, or cached (+ model)
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Generate:
    """An answer to generate: the request, who answers it, and the offline fallback's context."""

    request: LLMRequest
    provider: LLMProvider  # the tenant's LLM, or the offline responder over ``offline``
    offline: OfflineContext  # what the offline responder answers from when the LLM fails
    sources: list[dict[str, Any]]
    cache_key: str | None  # where a good answer is cached (None: this turn is not cacheable)
    meta: Mapping[str, Any] = field(default_factory=dict)


Plan = Fixed | Generate


@dataclass(frozen=True)
class Prepared:
    """A turn ready to answer: what the stages before generation decided."""

    admitted: Admitted
    understood: Understood
    recorded: Recorded
    plan: Plan


@dataclass(frozen=True)
class Answered:
    text: str
    result: LLMResult | None = None  # None: a fixed reply
    fallback: str | None = None  # why the offline responder answered instead of the LLM


# -- before generation ---------------------------------------------------------------------
def fixed(
    admitted: Admitted, understood: Understood, recorded: Recorded, offline: OfflineResponder
) -> Fixed | None:
    """The reply that needs neither knowledge nor a model: silence, the hand-over, the greeting."""
    if recorded.handed_off:  # a person has the conversation: the bot stays silent
        return Fixed("", {"silent": True})
    if understood.wants_handoff:
        context = _offline_context(admitted, "human_handoff", [], recorded.language)
        # marked: a hand-over reply is not an answer (not rated, not an unanswered question)
        return Fixed(offline.answer(**vars(context), question=admitted.message), {"handoff": True})
    config = admitted.profile.config
    if understood.intent.intent == "greeting" and config.greeting:
        return Fixed(config.greeting, {"greeting": True})
    return None


def cacheable(understood: Understood, recorded: Recorded) -> bool:
    """A first question with no PII, asking for an answer: the same question gets the same answer."""
    return not understood.has_pii and not recorded.history and understood.intent.action == "answer"


async def plan(
    cache: Cache, admitted: Admitted, understood: Understood, recorded: Recorded, grounding: Grounding
) -> Plan:
    """A cached answer, else the LLM request over the grounding."""
    profile, language = admitted.profile, recorded.language
    cache_key = None
    if cacheable(understood, recorded):
        cache_key = _cache_key(admitted, grounding.generations, understood.text, language)
        cached = await cache.get(cache_key)
        metrics.CACHE.labels("hit" if cached else "miss").inc()
        if cached:
            hit = json.loads(cached)
            return Fixed(hit["reply"], {"cached": True, "model": hit.get("model")}, hit["sources"])
    config = profile.config
    request = LLMRequest(
        system_prompt=_system_prompt(admitted, grounding.knowledge, language, understood),
        history=_history(recorded.history, admitted),
        user_message=understood.text,
        model=config.llm.model,
        temperature=config.llm.temperature,
        max_tokens=min(config.llm.max_tokens, profile.plan.max_output_tokens),
    )
    offline = _offline_context(admitted, understood.intent.intent, grounding.knowledge, language)
    return Generate(
        request=request,
        provider=admitted.llm or OfflineResponder(offline),
        offline=offline,
        sources=grounding.sources,
        cache_key=cache_key,
    )


# -- generation ------------------------------------------------------------------------------
async def complete(plan: Plan, offline: OfflineResponder) -> Answered:
    if isinstance(plan, Fixed):
        return Answered(plan.text)
    try:
        result = await plan.provider.complete(plan.request)
    except LLMError as error:
        return _fallback(plan, offline, error)
    return Answered(result.text, result)


async def stream(
    plan: Plan, offline: OfflineResponder
) -> AsyncIterator[tuple[str, dict[str, Any]] | Answered]:
    """Yields ("delta", {"text"}) events, a ("reset", {}) if the LLM failed mid-way and the
    offline answer follows, and last the ``Answered``."""
    if isinstance(plan, Fixed):
        if plan.text:
            yield "delta", {"text": plan.text}
        yield Answered(plan.text)
        return
    sent = False
    try:
        async with plan.provider.stream(plan.request) as llm_stream:
            async for delta in llm_stream:
                sent = True
                yield "delta", {"text": delta}
            result = llm_stream.result
    except LLMError as error:
        if sent:
            yield "reset", {}
        answered = _fallback(plan, offline, error)
        yield "delta", {"text": answered.text}
        yield answered
        return
    yield Answered(result.text, result)


def _fallback(plan: Generate, offline: OfflineResponder, error: LLMError) -> Answered:
    metrics.LLM_ERRORS.labels(error.code).inc()
    log.warning("chat.llm_failed", code=error.code, error=str(error))
    text = offline.answer(**vars(plan.offline), question=plan.request.user_message)
    result = LLMResult(
        text=text, model="offline", prompt_tokens=0, completion_tokens=0, latency_ms=0, provider="offline"
    )
    return Answered(text, result, fallback=FALLBACK_NOTE)


# -- helpers -----------------------------------------------------------------------------------
def _offline_context(
    admitted: Admitted, intent: str, knowledge: list[str], language: str | None
) -> OfflineContext:
    """What the offline responder answers from (the one place it is built)."""
    profile = admitted.profile
    return OfflineContext(
        intent=intent,
        knowledge=knowledge,
        language=language,
        business_name=profile.business_name,
        greeting=profile.config.greeting,
        booking_url=profile.config.booking_url,
    )


def _system_prompt(
    admitted: Admitted, knowledge: list[str], language: str | None, understood: Understood
) -> str:
    profile = admitted.profile
    config, action = profile.config, understood.intent.action
    instructions = config.instructions
    if action == "capture_lead":
        instructions += (
            "\nThe visitor wants to be contacted: ask for their name and email or phone if not given."
        )
    if action == "offer_booking" and config.booking_url:
        instructions += f"\nOffer this booking link: {config.booking_url}"
    return build_system_prompt(
        business_name=profile.business_name,
        bot_name=config.bot_name,
        tone=config.tone,
        instructions=instructions.strip(),
        knowledge=knowledge,
        language=language,
        template=config.system_prompt,
    )


def _history(messages: tuple[store.Turn, ...], admitted: Admitted) -> list[ChatTurn]:
    """The dialogue the model sees: a visitor's words redacted even where they are stored raw."""
    profile = admitted.profile
    pii = profile.config.pii
    turns = [
        ChatTurn(
            "assistant" if m.role != "user" else "user",
            redact(m.content, custom_patterns=profile.pii_patterns, default_region=pii.default_region).text
            if m.role == "user" and pii.store == "raw"
            else m.content,
        )
        for m in messages
    ]
    return history_window(turns, max_turns=profile.config.llm.history_turns, max_chars=HISTORY_CHARS)


def _cache_key(
    admitted: Admitted, knowledge_generations: tuple[int, int], text: str, language: str | None
) -> str:
    """Keyed by the knowledge and embeddings generations (either moving makes a new key)."""
    profile = admitted.profile
    knowledge, embeddings = knowledge_generations
    raw = f"{profile.tenant_id}|{knowledge}|{embeddings}|{profile.generation}|{language}|{normalize_query(text)}"
    return f"reply:{profile.tenant_id}:{hashlib.sha256(raw.encode()).hexdigest()}"
