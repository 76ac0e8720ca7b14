"""Understand: what the visitor said — PII redacted, contact details, intent (the LLM asked when
the tenant's classifier is unsure), whether they want a person, and the language."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.chat.stages.admit import Admitted
from frontdesk.llm.intent import classify_with_llm, needs_llm
from frontdesk.nlu.intents import IntentResult
from frontdesk.nlu.language import detect_language
from frontdesk.privacy.redaction import extract_contact, redact


@dataclass(frozen=True)
class Understood:
    text: str  # the message with PII replaced: what classifiers, search and the LLM see
    pii: tuple[str, ...]  # the kinds of PII found, sorted
    contact: dict[str, str]  # contact details given (email, phone, name, company)
    intent: IntentResult
    wants_handoff: bool
    language: str | None  # the tenant's fixed language or the detected one; None: not known

    @property
    def has_pii(self) -> bool:
        return bool(self.pii)


async def understand(admitted: Admitted) -> Understood:
    profile, message = admitted.profile, admitted.message
    config, classifier = profile.config, profile.classifier
    region = config.pii.default_region
    redaction = redact(message, custom_patterns=profile.pii_patterns, default_region=region)
    text = redaction.text
    intent = classifier.classify(text)
    if config.llm.classify_intents and needs_llm(intent) and admitted.llm is not None:
        intent = await classify_with_llm(
            admitted.llm, classifier, text, model=config.llm.model, fallback=intent
        )
    wants_handoff = (
        intent.action == "handoff"
        # a clear request for a person is never lost to another intent scoring higher
        or any(
            score >= classifier.threshold and classifier.intents[name].action == "handoff"
            for name, score in intent.scores.items()
        )
        or intent.intent in config.handoff.intents
        or bool(profile.handoff_keywords and profile.handoff_keywords.search(message))
    )
    return Understood(
        text=text,
        pii=tuple(sorted({f.kind for f in redaction.findings})),
        contact=extract_contact(message, default_region=region),
        intent=intent,
        wants_handoff=wants_handoff,
        language=config.language or detect_language(text),
    )
