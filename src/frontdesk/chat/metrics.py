"""Prometheus metrics of the chat engine. Labels stay bounded: no tenant ids, custom intents folded."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from frontdesk.nlu.intents import BUILTIN_INTENTS

_BUILTIN = frozenset(d.name for d in BUILTIN_INTENTS) | {"other"}

MESSAGES = Counter("frontdesk_chat_messages_total", "Visitor messages handled", ["channel"])
INTENTS = Counter("frontdesk_chat_intents_total", "Detected intents", ["intent"])
LEADS = Counter("frontdesk_leads_captured_total", "Leads created by the chat engine")
HANDOFFS = Counter("frontdesk_chat_handoffs_total", "Conversations handed over to a person")
CACHE = Counter("frontdesk_chat_response_cache_total", "Response cache lookups", ["result"])
LLM_LATENCY = Histogram(
    "frontdesk_llm_latency_seconds",
    "LLM call latency",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
)
LLM_ERRORS = Counter(
    "frontdesk_llm_errors_total", "LLM failures (answered by the offline responder)", ["code"]
)
TOKENS = Counter("frontdesk_llm_tokens_total", "LLM tokens", ["kind"])


def intent_label(intent: str) -> str:
    return intent if intent in _BUILTIN else "custom"
