"""The chat pipeline: a visitor's message in, a useful answer out.

Three phases, no network I/O inside a transaction:
1. ``prepare``: limits → PII redaction → language → intent → (tx 1) conversation, visitor
   message, lead, handoff → knowledge retrieval → response cache → the LLM request.
2. generation: the LLM (or the offline responder when there is no key or it fails),
   whole or streamed, with no transaction and no pooled connection held.
3. ``_finish``: (tx 2) the assistant message with intent, latency, tokens and model.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog

from frontdesk.billing import service as billing
from frontdesk.chat import metrics, store
from frontdesk.chat.limits import ChatLimiter, QuotaCounter
from frontdesk.chat.profile import ChatProfile, ProfileCache
from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.time import utcnow
from frontdesk.knowledge.fusion import SemanticSource
from frontdesk.knowledge.index import ScoredChunk, normalize_query
from frontdesk.knowledge.query_rewrite import rewrite_for_retrieval
from frontdesk.knowledge.retrieval import KnowledgeRetriever
from frontdesk.knowledge.vectors import VectorSearch
from frontdesk.leads import service as leads
from frontdesk.llm.base import ChatTurn, LLMError, LLMProvider, LLMRequest, LLMResult
from frontdesk.llm.endpoint import endpoint_for
from frontdesk.llm.offline import OfflineContext, OfflineResponder
from frontdesk.llm.openai_provider import OpenAIProvider
from frontdesk.llm.prompts import build_system_prompt, history_window
from frontdesk.nlu.intents import IntentResult
from frontdesk.nlu.language import detect_language
from frontdesk.nlu.llm_intent import classify_with_llm, needs_llm
from frontdesk.privacy.redaction import extract_contact, redact

log = structlog.get_logger()
RESPONSE_CACHE_SECONDS = 3600.0
HISTORY_CHARS = 6000
SNIPPET_CHARS = 300
# What POST /chat accepts; longer messages from other channels (Crisp) are cut to it, and metadata
# strings to the second, so redaction and a tenant's regexes only ever scan bounded text.
MAX_MESSAGE_CHARS = 4000
MAX_METADATA_CHARS = 2000


@dataclass(frozen=True)
class ChatInput:
    session_id: str
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)
    channel: str = "api"
    visitor_ip: str | None = None  # set for browser channels (publishable keys): limited per address


@dataclass
class ChatOutcome:
    reply: str
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    intent: str
    confidence: float
    language: str | None
    sources: list[dict[str, Any]]
    lead: dict[str, Any] | None
    handoff: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "conversation_id": str(self.conversation_id),
            "message_id": str(self.message_id),
            "intent": self.intent,
            "confidence": self.confidence,
            "language": self.language,
            "sources": self.sources,
            "lead": self.lead,
            "handoff": self.handoff,
        }


@dataclass
class Prepared:
    """Everything decided before generation. ``fixed_reply`` skips the LLM (handoff, cache hit…)."""

    profile: ChatProfile
    conversation_id: uuid.UUID
    intent: IntentResult
    language: str | None
    lead: dict[str, Any] | None
    started: float
    asked_at: datetime  # when the visitor message was stored: the reply is stored after it
    sources: list[dict[str, Any]] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)
    handoff: bool = False
    request: LLMRequest | None = None
    provider: LLMProvider | None = None
    fixed_reply: str | None = None
    cache_key: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _source(scored: ScoredChunk) -> dict[str, Any]:
    chunk = scored.chunk
    text = " ".join(chunk.text.split())
    return {
        "document_id": chunk.document_id,
        "document_name": chunk.document_name,
        "heading": chunk.heading,
        "snippet": text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…",
        "score": round(scored.score, 3),
    }


class ChatEngine:
    def __init__(self, settings: Settings, db: Database, cache: Cache) -> None:
        self.settings = settings
        self.db = db
        self.cache = cache
        self.profiles = ProfileCache(db, cache)
        self.retriever = KnowledgeRetriever()
        self.semantic: SemanticSource | None = VectorSearch(settings)
        self.limiter = ChatLimiter(settings.redis_url)
        self.quota = QuotaCounter(db, cache)
        self.offline = OfflineResponder()

    # -- phase 1 ---------------------------------------------------------------------------
    async def prepare(self, tenant_id: uuid.UUID, inp: ChatInput) -> Prepared:
        started = time.perf_counter()
        if len(inp.message) > MAX_MESSAGE_CHARS:
            inp = replace(inp, message=inp.message[:MAX_MESSAGE_CHARS])
        profile = await self.profiles.get(tenant_id)
        config = profile.config
        await self.limiter.check(
            tenant_id,
            f"{inp.channel}:{inp.session_id}",
            profile.plan,
            config.session_per_minute,
            inp.visitor_ip,
        )
        billing.check_plan_channel(profile.plan, inp.channel)
        # dunning: a suspended bot answers 402; "offline" answers from the knowledge base only
        offline_only = profile.standing.check(utcnow()) == "offline"
        await self.quota.check(tenant_id, profile.plan, profile.period_start, profile.generation)

        redaction = redact(
            inp.message, custom_patterns=profile.pii_patterns, default_region=config.pii.default_region
        )
        safe_text = redaction.text
        contact = extract_contact(inp.message, default_region=config.pii.default_region)
        intent = profile.classifier.classify(safe_text)
        if config.llm.classify_intents and needs_llm(intent):
            provider = self._llm(profile, offline_only=offline_only)
            if provider is not None:
                intent = await classify_with_llm(
                    provider, profile.classifier, safe_text, model=config.llm.model, fallback=intent
                )
        classifier = profile.classifier
        wants_handoff = (
            intent.action == "handoff"
            # a clear request for a person is never lost to another intent scoring higher
            or any(
                score >= classifier.threshold and classifier.intents[name].action == "handoff"
                for name, score in intent.scores.items()
            )
            or intent.intent in config.handoff.intents
            or bool(profile.handoff_keywords and profile.handoff_keywords.search(inp.message))
        )

        # a new conversation is created in the detected language: its row needs no UPDATE
        detected = config.language or detect_language(safe_text)
        async with unit_of_work(self.db, tenant_id=tenant_id) as session:
            conversation, history = await store.open_conversation(
                session,
                channel=inp.channel,
                session_id=inp.session_id,
                history=config.llm.history_turns,
                language=detected or config.default_language,
            )
            language = detected or conversation.language or config.default_language
            already_handed_off = conversation.status == "handoff"
            stored = inp.message if config.pii.store == "raw" else safe_text
            asked = await store.add_message(
                session,
                conversation,
                role="user",
                content=stored,
                intent=intent.intent,
                meta={
                    "confidence": round(intent.confidence, 3),
                    "language": language,
                    "pii": sorted({f.kind for f in redaction.findings}),
                    **({"metadata": self._stored_metadata(profile, inp.metadata)} if inp.metadata else {}),
                },
                language=language,
            )
            lead_info = None
            if contact or intent.action == "capture_lead":
                lead, created = await leads.capture(
                    session, conversation.id, intent=intent.intent, contact=contact
                )
                lead_info = {
                    "id": str(lead.id),
                    "status": lead.status,
                    "captured": sorted(leads.read_contact(lead)),
                }
                if created:
                    metrics.LEADS.inc()
            if wants_handoff and not already_handed_off:
                await store.set_status(session, conversation.id, "handoff")
                metrics.HANDOFFS.inc()
            conversation_id, asked_at = conversation.id, asked.created_at
        await self.quota.count(tenant_id, profile.period_start, profile.generation)
        metrics.MESSAGES.labels(inp.channel).inc()
        metrics.INTENTS.labels(metrics.intent_label(intent.intent)).inc()

        base = Prepared(
            profile=profile,
            conversation_id=conversation_id,
            intent=intent,
            language=language,
            lead=lead_info,
            started=started,
            asked_at=asked_at,
        )
        if already_handed_off:  # a person has the conversation: the bot stays silent
            return replace(base, handoff=True, fixed_reply="", meta={"silent": True})
        if wants_handoff:
            reply = self._offline_reply(profile, "human_handoff", [], language, inp.message)
            # marked: a hand-over reply is not an answer (not rated, not an unanswered question)
            return replace(base, handoff=True, fixed_reply=reply, meta={"handoff": True})
        if intent.intent == "greeting" and config.greeting:
            return replace(base, fixed_reply=config.greeting, meta={"greeting": True})

        # the generation the index was built from also keys the response cache: one read, not two;
        # lexical hits fused with semantic ones, packed into the knowledge budget of a turn
        cacheable = not redaction.has_pii and not history and intent.action == "answer"
        # so does the embeddings generation (vectors written by the job after a document was
        # added): read before the retrieval, so a key is never newer than the vectors used
        embeddings_generation = (
            await generations.current(self.cache, tenant_id, generations.EMBEDDINGS) if cacheable else 0
        )
        query, query_language = await self._retrieval_query(profile, safe_text, language, offline_only)
        retrieval = await self.retriever.retrieve(
            self.db, self.cache, tenant_id, query, semantic=self.semantic, language=query_language
        )
        knowledge_generation, knowledge = retrieval.generation, retrieval.knowledge
        sources = [_source(h) for h in retrieval.hits]
        cache_key = None
        if cacheable:
            cache_key = self._cache_key(
                profile, (knowledge_generation, embeddings_generation), safe_text, language
            )
            cached = await self.cache.get(cache_key)
            metrics.CACHE.labels("hit" if cached else "miss").inc()
            if cached:
                hit = json.loads(cached)
                return replace(
                    base,
                    sources=hit["sources"],
                    knowledge=knowledge,
                    fixed_reply=hit["reply"],
                    meta={"cached": True, "model": hit.get("model")},
                )
        request = LLMRequest(
            system_prompt=self._system_prompt(profile, knowledge, language, intent),
            history=self._history(history, profile),
            user_message=safe_text,
            model=config.llm.model,
            temperature=config.llm.temperature,
            max_tokens=min(config.llm.max_tokens, profile.plan.max_output_tokens),
        )
        return replace(
            base,
            sources=sources,
            knowledge=knowledge,
            request=request,
            cache_key=cache_key,
            provider=self._provider(profile, intent.intent, knowledge, language, offline_only=offline_only),
        )

    # -- phase 2 + 3 -----------------------------------------------------------------------
    async def reply(self, prepared: Prepared) -> ChatOutcome:
        if prepared.fixed_reply is not None:
            return await self._finish(prepared, prepared.fixed_reply, None)
        assert prepared.request is not None and prepared.provider is not None
        try:
            result = await prepared.provider.complete(prepared.request)
        except LLMError as error:
            result = await self._fallback(prepared, error)
        return await self._finish(prepared, result.text, result)

    async def stream(self, prepared: Prepared) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Yields ("delta", {"text"}) events, a ("reset", {}) if the LLM failed mid-way and the
        offline answer follows, and last ("done", outcome)."""
        if prepared.fixed_reply is not None:
            if prepared.fixed_reply:
                yield "delta", {"text": prepared.fixed_reply}
            outcome = await self._finish(prepared, prepared.fixed_reply, None)
            yield "done", outcome.as_dict()
            return
        assert prepared.request is not None and prepared.provider is not None
        sent = False
        result: LLMResult
        try:
            async with prepared.provider.stream(prepared.request) as llm_stream:
                async for delta in llm_stream:
                    sent = True
                    yield "delta", {"text": delta}
                result = llm_stream.result
        except LLMError as error:
            if sent:
                yield "reset", {}
            result = await self._fallback(prepared, error)
            yield "delta", {"text": result.text}
        outcome = await self._finish(prepared, result.text, result)
        yield "done", outcome.as_dict()

    async def _fallback(self, prepared: Prepared, error: LLMError) -> LLMResult:
        metrics.LLM_ERRORS.labels(error.code).inc()
        log.warning("chat.llm_failed", code=error.code, error=str(error))
        # the transcript says only that the model failed: a tenant's endpoint errors must not
        # tell it what answers on which port (the log and the metric keep the code)
        prepared.meta["fallback"] = "the model endpoint failed"
        text = self._offline_reply(
            prepared.profile,
            prepared.intent.intent,
            prepared.knowledge,
            prepared.language,
            prepared.request.user_message if prepared.request else "",
        )
        return LLMResult(
            text=text, model="offline", prompt_tokens=0, completion_tokens=0, latency_ms=0, provider="offline"
        )

    async def _finish(self, prepared: Prepared, text: str, result: LLMResult | None) -> ChatOutcome:
        config = prepared.profile.config
        if (
            prepared.intent.action == "offer_booking"
            and config.booking_url
            and config.booking_url not in text
        ):
            text = f"{text}\n\n{config.booking_url}".strip()
        latency_ms = int((time.perf_counter() - prepared.started) * 1000)
        model = result.model if result else prepared.meta.get("model")
        tokens = (result.prompt_tokens + result.completion_tokens) if result else None
        if result is not None and result.provider != "offline":
            metrics.LLM_LATENCY.labels(result.provider).observe(result.latency_ms / 1000)
            metrics.TOKENS.labels("prompt").inc(result.prompt_tokens)
            metrics.TOKENS.labels("completion").inc(result.completion_tokens)
        async with unit_of_work(self.db, tenant_id=prepared.profile.tenant_id) as session:
            message = await store.add_reply(
                session,
                prepared.conversation_id,
                after=prepared.asked_at,
                content=text,
                intent=prepared.intent.intent,
                tokens=tokens,
                latency_ms=latency_ms,
                model=model,
                meta={
                    "confidence": round(prepared.intent.confidence, 3),
                    "language": prepared.language,
                    "sources": prepared.sources,
                    **prepared.meta,
                },
            )
            message_id = message.id
        if (
            prepared.cache_key
            and result is not None
            and result.provider != "offline"
            and "fallback" not in prepared.meta
        ):
            value = {"reply": text, "sources": prepared.sources, "model": model}
            await self.cache.set(prepared.cache_key, json.dumps(value).encode(), RESPONSE_CACHE_SECONDS)
        return ChatOutcome(
            reply=text,
            conversation_id=prepared.conversation_id,
            message_id=message_id,
            intent=prepared.intent.intent,
            confidence=round(prepared.intent.confidence, 3),
            language=prepared.language,
            sources=prepared.sources,
            lead=prepared.lead,
            handoff=prepared.handoff,
        )

    # -- helpers ---------------------------------------------------------------------------
    async def _retrieval_query(
        self, profile: ChatProfile, text: str, language: str | None, offline_only: bool
    ) -> tuple[str, str | None]:
        """The question to search the knowledge with, and its language: with an LLM, a question in
        another language than the knowledge is translated first (one short, cached call)."""
        if not isinstance(self.semantic, VectorSearch):
            return text, language
        provider = self._llm(profile, offline_only=offline_only)
        if provider is None:
            return text, language
        knowledge_language = await self.semantic.knowledge_language(self.db, self.cache, profile.tenant_id)
        query = await rewrite_for_retrieval(
            provider,
            text,
            language,
            knowledge_language,
            model=profile.config.llm.model,
            tenant_id=profile.tenant_id,
            cache=self.cache,
        )
        return (query, knowledge_language) if query != text else (text, language)

    def _provider(
        self,
        profile: ChatProfile,
        intent: str,
        knowledge: list[str],
        language: str | None,
        *,
        offline_only: bool = False,
    ) -> LLMProvider:
        return self._llm(profile, offline_only=offline_only) or OfflineResponder(
            self._offline_context(profile, intent, knowledge, language)
        )

    def _llm(self, profile: ChatProfile, *, offline_only: bool = False) -> OpenAIProvider | None:
        """The turn's LLM, or None when there is no key to use (then the offline responder answers)."""
        llm, settings = profile.config.llm, self.settings
        endpoint = (
            None if offline_only else endpoint_for(llm.api_key, llm.base_url, settings)
        )  # dunning: offline
        if endpoint is None:
            return None
        return OpenAIProvider(
            endpoint.api_key,
            endpoint.base_url,
            timeout_s=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            breaker_scope=str(profile.tenant_id),
            outbound=endpoint.outbound,
        )

    @staticmethod
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

    @staticmethod
    def _offline_context(
        profile: ChatProfile, intent: str, knowledge: list[str], language: str | None
    ) -> OfflineContext:
        return OfflineContext(
            intent=intent,
            knowledge=knowledge,
            language=language,
            business_name=profile.business_name,
            greeting=profile.config.greeting,
            booking_url=profile.config.booking_url,
        )

    def _offline_reply(
        self, profile: ChatProfile, intent: str, knowledge: list[str], language: str | None, question: str
    ) -> str:
        context = self._offline_context(profile, intent, knowledge, language)
        return self.offline.answer(**vars(context), question=question)

    @staticmethod
    def _system_prompt(
        profile: ChatProfile, knowledge: list[str], language: str | None, intent: IntentResult
    ) -> str:
        config = profile.config
        instructions = config.instructions
        if intent.action == "capture_lead":
            instructions += (
                "\nThe visitor wants to be contacted: ask for their name and email or phone if not given."
            )
        if intent.action == "offer_booking" and config.booking_url:
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

    @staticmethod
    def _history(messages: list[store.Turn], profile: ChatProfile) -> list[ChatTurn]:
        pii = profile.config.pii
        turns = [
            ChatTurn(
                "assistant" if m.role != "user" else "user",
                redact(
                    m.content, custom_patterns=profile.pii_patterns, default_region=pii.default_region
                ).text
                if m.role == "user" and pii.store == "raw"
                else m.content,
            )
            for m in messages
        ]
        return history_window(turns, max_turns=profile.config.llm.history_turns, max_chars=HISTORY_CHARS)

    @staticmethod
    def _cache_key(
        profile: ChatProfile, knowledge_generations: tuple[int, int], text: str, language: str | None
    ) -> str:
        """Keyed by the knowledge and embeddings generations (either moving makes a new key)."""
        knowledge, embeddings = knowledge_generations
        raw = f"{profile.tenant_id}|{knowledge}|{embeddings}|{profile.generation}|{language}|{normalize_query(text)}"
        return f"reply:{profile.tenant_id}:{hashlib.sha256(raw.encode()).hexdigest()}"
