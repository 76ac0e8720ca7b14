"""``OfflineResponder``: useful answers with no LLM at all.

Used when no API key is configured or when the LLM fails. It answers from the knowledge
chunks the retriever found (best first) and a few intent templates, in English, French,
German or Spanish (anything else falls back to English).

``answer(...)`` takes everything explicitly. ``complete``/``stream`` fit the
``LLMProvider`` protocol: they answer ``req.user_message`` with the ``OfflineContext``
given at construction (token usage is 0; nothing was sent anywhere).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from frontdesk.llm.base import LLMRequest, LLMResult, LLMStream

PROVIDER_NAME = "offline"
MAX_SENTENCES = 3
MAX_CHARS = 420

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hi! Welcome to {business}. How can I help you today?",
        "greeting_plain": "Hi! How can I help you today?",
        "found": "Here's what I found: {text}",
        "unknown": "I don't have that information yet — leave your email and the team will get back to you.",
        "handoff": "I'll connect you with a person from the team. Leave your email in case they can't "
        "reply right away, and they'll get back to you.",
        "booking": "You can book a time here: {url}",
        "thanks": "You're welcome! Is there anything else I can help with?",
        "goodbye": "Thanks for stopping by — have a great day!",
    },
    "fr": {
        "greeting": "Bonjour ! Bienvenue chez {business}. Comment puis-je vous aider ?",
        "greeting_plain": "Bonjour ! Comment puis-je vous aider ?",
        "found": "Voici ce que j'ai trouvé : {text}",
        "unknown": "Je n'ai pas encore cette information — laissez votre e-mail et l'équipe vous répondra.",
        "handoff": "Je vous mets en relation avec une personne de l'équipe. Laissez votre e-mail au cas "
        "où elle ne pourrait pas répondre tout de suite, et elle reviendra vers vous.",
        "booking": "Vous pouvez réserver un créneau ici : {url}",
        "thanks": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "goodbye": "Merci de votre visite, excellente journée !",
    },
    "de": {
        "greeting": "Hallo! Willkommen bei {business}. Wie kann ich Ihnen helfen?",
        "greeting_plain": "Hallo! Wie kann ich Ihnen helfen?",
        "found": "Das habe ich gefunden: {text}",
        "unknown": "Diese Information habe ich leider noch nicht — hinterlassen Sie Ihre E-Mail-Adresse, "
        "und das Team meldet sich bei Ihnen.",
        "handoff": "Ich verbinde Sie mit einer Person aus dem Team. Hinterlassen Sie Ihre E-Mail-Adresse, "
        "falls niemand sofort antworten kann — das Team meldet sich bei Ihnen.",
        "booking": "Hier können Sie einen Termin buchen: {url}",
        "thanks": "Gern geschehen! Kann ich sonst noch helfen?",
        "goodbye": "Danke für Ihren Besuch und einen schönen Tag!",
    },
    "es": {
        "greeting": "¡Hola! Bienvenido a {business}. ¿En qué puedo ayudarte?",
        "greeting_plain": "¡Hola! ¿En qué puedo ayudarte?",
        "found": "Esto es lo que encontré: {text}",
        "unknown": "Todavía no tengo esa información — deja tu correo electrónico y el equipo se pondrá "
        "en contacto contigo.",
        "handoff": "Te pongo en contacto con una persona del equipo. Deja tu correo electrónico por si no "
        "pueden responder enseguida, y se pondrán en contacto contigo.",
        "booking": "Puedes reservar una cita aquí: {url}",
        "thanks": "¡De nada! ¿Puedo ayudarte con algo más?",
        "goodbye": "¡Gracias por tu visita, que tengas un buen día!",
    },
}

INTENT_ALIASES = {
    "greeting": "greeting",
    "hello": "greeting",
    "handoff": "handoff",
    "human": "handoff",
    "human_handoff": "handoff",
    "agent": "handoff",
    "booking": "booking",
    "appointment": "booking",
    "thanks": "thanks",
    "goodbye": "goodbye",
}

_WORD = re.compile(r"\w{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_DELTA = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class OfflineContext:
    intent: str = "question"
    knowledge: Sequence[str] = ()
    language: str | None = None
    business_name: str = ""
    greeting: str | None = None
    booking_url: str | None = None


def _lang(language: str | None) -> str:
    code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return code if code in TEMPLATES else "en"


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _best(candidates: Sequence[str], question: str | None) -> int:
    """Index of the candidate sharing the most words with the question (first on ties)."""
    asked = _words(question or "")
    scores = [len(asked & _words(c)) for c in candidates]
    return scores.index(max(scores))


def excerpt(chunk: str, question: str | None = None) -> str:
    """A few sentences of a knowledge chunk, starting at the one most about the question."""
    sentences = _SENTENCE_END.split(" ".join(chunk.split()))
    start = _best(sentences, question)
    text = " ".join(sentences[start : start + MAX_SENTENCES])
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


class OfflineResponder:
    name = PROVIDER_NAME

    def __init__(self, context: OfflineContext | None = None) -> None:
        self.context = context or OfflineContext()

    def answer(
        self,
        *,
        intent: str,
        knowledge: Sequence[str],
        language: str | None,
        business_name: str,
        greeting: str | None,
        booking_url: str | None,
        question: str | None = None,
    ) -> str:
        """The reply for this intent. ``knowledge`` is ranked best first; with ``question``,
        the chunk (and sentences) sharing the most words with it are preferred."""
        t = TEMPLATES[_lang(language)]
        kind = INTENT_ALIASES.get(intent.strip().lower(), "question")
        business = business_name.strip()
        if kind == "greeting":
            if greeting and greeting.strip():
                return greeting.strip()
            return t["greeting"].format(business=business) if business else t["greeting_plain"]
        if kind in ("handoff", "thanks", "goodbye"):
            return t[kind]
        if kind == "booking" and booking_url:
            return t["booking"].format(url=booking_url)
        chunks = [c for c in knowledge if c.strip()]
        if not chunks:
            return t["unknown"]
        return t["found"].format(text=excerpt(chunks[_best(chunks, question)], question))

    async def complete(self, req: LLMRequest) -> LLMResult:
        started = time.perf_counter()
        text = self._answer(req)
        return self._result(text, started)

    def stream(self, req: LLMRequest) -> LLMStream:
        return LLMStream(self._stream(req))

    async def _stream(self, req: LLMRequest) -> AsyncIterator[str | LLMResult]:
        started = time.perf_counter()
        text = self._answer(req)
        for delta in _DELTA.findall(text):
            yield delta
        yield self._result(text, started)

    def _answer(self, req: LLMRequest) -> str:
        ctx = self.context
        return self.answer(
            intent=ctx.intent,
            knowledge=ctx.knowledge,
            language=ctx.language,
            business_name=ctx.business_name,
            greeting=ctx.greeting,
            booking_url=ctx.booking_url,
            question=req.user_message,
        )

    def _result(self, text: str, started: float) -> LLMResult:
        return LLMResult(
            text=text,
            model=PROVIDER_NAME,
            prompt_tokens=0,
            completion_tokens=0,
            latency_ms=int((time.perf_counter() - started) * 1000),
            provider=self.name,
        )
