"""Optional second opinion on a low-confidence intent: ask the tenant's LLM to pick one."""

from __future__ import annotations

import re

from frontdesk.llm.base import LLMError, LLMProvider, LLMRequest
from frontdesk.nlu.intents import IntentClassifier, IntentResult

CONFIDENCE_BELOW = 0.5
_WORD = re.compile(r"[a-z][a-z0-9_]*")


def needs_llm(result: IntentResult) -> bool:
    return result.confidence < CONFIDENCE_BELOW


async def classify_with_llm(
    provider: LLMProvider, classifier: IntentClassifier, text: str, *, model: str, fallback: IntentResult
) -> IntentResult:
    """The intent the LLM names for the (already redacted) ``text``; ``fallback`` when it fails or
    answers with something that is not one of the tenant's intents."""
    names = sorted(classifier.intents)
    request = LLMRequest(
        system_prompt=(
            "Classify the customer's message into exactly one of these intents: "
            + ", ".join(names)
            + ". Answer with the intent name only."
        ),
        history=[],
        user_message=text,
        model=model,
        temperature=0.0,
        max_tokens=8,
    )
    try:
        answer = (await provider.complete(request)).text.strip().lower()
    except LLMError:
        return fallback
    match = _WORD.search(answer)
    name = match.group() if match else ""
    if name not in classifier.intents:
        return fallback
    return IntentResult(name, CONFIDENCE_BELOW, classifier.intents[name].action, fallback.scores)
