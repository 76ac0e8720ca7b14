"""A visitor's question, translated into the knowledge's language before retrieval.

Lexical search cannot match a French question against an English page, and the embedded
model is English-centred. With an LLM configured, one short call translates the question
into the language the tenant's knowledge is written in (``VectorSearch.knowledge_language``:
the most common language detected per document when its chunks are stored). The call is
bounded (a few dozen tokens, a short deadline) and cached per tenant, knowledge language and
normalised question; on any error, or without an LLM, the original question is used.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections import OrderedDict

import structlog

from frontdesk.kit.cache import Cache
from frontdesk.llm.base import LLMProvider, LLMRequest
from frontdesk.llm.prompts import LANGUAGE_NAMES

log = structlog.get_logger()
MAX_QUESTION_CHARS = 500
MAX_TOKENS = 120
TIMEOUT_SECONDS = 4.0
CACHE_SECONDS = 24 * 3600.0
_LOCAL_SIZE = 2_048
_local: OrderedDict[str, tuple[float, str]] = OrderedDict()  # without a shared cache

SYSTEM_PROMPT = (
    "You translate a customer's question for a search of a business's knowledge base, which is "
    "written in {language}. Reply with the question in {language} only: no quotes, no "
    "explanation, no answer. Keep names, numbers, product names and codes as they are."
)


def cache_key(tenant_id: uuid.UUID | None, question: str, knowledge_language: str) -> str:
    normalized = " ".join(question.lower().split())
    digest = hashlib.sha256(normalized.encode()).hexdigest()[:32]
    return f"qrw:{tenant_id}:{knowledge_language}:{digest}"


async def rewrite_for_retrieval(
    provider: LLMProvider | None,
    question: str,
    question_language: str | None,
    knowledge_language: str | None,
    *,
    model: str,
    tenant_id: uuid.UUID | None = None,
    cache: Cache | None = None,
    timeout_s: float = TIMEOUT_SECONDS,
) -> str:
    """``question`` in ``knowledge_language`` for retrieval, or ``question`` itself when the
    languages agree (or either is unknown), when there is no LLM (``provider`` None or the
    offline responder), or when the call fails."""
    if (
        provider is None
        or provider.name == "offline"
        or not question_language
        or not knowledge_language
        or question_language == knowledge_language
        or not question.strip()
    ):
        return question
    key = cache_key(tenant_id, question, knowledge_language)
    cached = await _cached(cache, key)
    if cached is not None:
        return cached
    language = LANGUAGE_NAMES.get(knowledge_language, knowledge_language)
    request = LLMRequest(
        system_prompt=SYSTEM_PROMPT.format(language=language),
        history=[],
        user_message=question[:MAX_QUESTION_CHARS],
        model=model,
        temperature=0.0,
        max_tokens=MAX_TOKENS,
    )
    try:
        async with asyncio.timeout(timeout_s):
            result = await provider.complete(request)
    except Exception as exc:  # never fail a turn for a translation: the original question stands
        log.info("knowledge.query_rewrite_failed", tenant_id=str(tenant_id), error=type(exc).__name__)
        return question
    rewritten = " ".join(result.text.split()).strip("\"'“”«» ")[: MAX_QUESTION_CHARS * 2]
    if not rewritten:
        return question
    await _remember(cache, key, rewritten)
    return rewritten


async def _cached(cache: Cache | None, key: str) -> str | None:
    if cache is not None:
        try:
            raw = await cache.get(key)
        except Exception:
            raw = None
        return raw.decode() if raw else None
    entry = _local.get(key)
    if entry is None or time.monotonic() - entry[0] >= CACHE_SECONDS:
        return None
    _local.move_to_end(key)
    return entry[1]


async def _remember(cache: Cache | None, key: str, value: str) -> None:
    if cache is not None:
        try:
            await cache.set(key, value.encode(), CACHE_SECONDS)
        except Exception:
            log.warning("knowledge.query_rewrite_cache_failed")
        return
    _local[key] = (time.monotonic(), value)
    if len(_local) > _LOCAL_SIZE:
        _local.popitem(last=False)
