from __future__ import annotations

from frontdesk.llm.base import LLMRequest
from frontdesk.llm.offline import OfflineContext, OfflineResponder

KNOWLEDGE = [
    "Opening hours: Monday to Friday, 9:00 to 18:00. Saturday 10:00 to 14:00. Closed on Sunday.",
    "Parking is free behind the shop. There are 12 spaces. Bicycles can be locked at the front. "
    "Electric cars can charge at two stations. The car park closes at 20:00.",
]


def answer(**overrides: object) -> str:
    args: dict[str, object] = {
        "intent": "question",
        "knowledge": KNOWLEDGE,
        "language": None,
        "business_name": "Acme Bikes",
        "greeting": None,
        "booking_url": None,
    }
    args.update(overrides)
    return OfflineResponder().answer(**args)  # type: ignore[arg-type]


def request(user: str) -> LLMRequest:
    return LLMRequest("system", [], user, "offline", 0.0, 100)


def test_answers_from_the_most_relevant_knowledge_trimmed() -> None:
    text = answer(question="Is there parking near the shop?")
    assert text.startswith("Here's what I found: Parking is free behind the shop.")
    assert "closes at 20:00" not in text  # trimmed to a few sentences
    assert answer().startswith("Here's what I found: Opening hours: Monday to Friday")  # best-ranked first


def test_answers_in_french() -> None:
    assert answer(language="fr").startswith("Voici ce que j'ai trouvé : Opening hours")
    assert "laissez votre e-mail" in answer(language="fr-FR", knowledge=[])
    assert answer(language="fr", intent="greeting", business_name="Vélos Acme") == (
        "Bonjour ! Bienvenue chez Vélos Acme. Comment puis-je vous aider ?"
    )


def test_intents_and_fallbacks() -> None:
    assert answer(intent="greeting", greeting="Welcome to Acme! Ask me anything.") == (
        "Welcome to Acme! Ask me anything."
    )
    assert answer(intent="handoff").startswith("I'll connect you with a person")
    assert answer(intent="booking", booking_url="https://cal.example/acme") == (
        "You can book a time here: https://cal.example/acme"
    )
    assert answer(knowledge=[]) == (
        "I don't have that information yet — leave your email and the team will get back to you."
    )
    assert answer(language="it", knowledge=[]).startswith("I don't have that information yet")
    assert answer(language="de", intent="handoff").startswith("Ich verbinde Sie")
    assert answer(language="es", knowledge=[]).startswith("Todavía no tengo esa información")


async def test_complete_and_stream_give_the_same_answer() -> None:
    responder = OfflineResponder(OfflineContext(knowledge=KNOWLEDGE, language="fr"))
    result = await responder.complete(request("Où se garer ?"))
    assert result.text.startswith("Voici ce que j'ai trouvé")
    assert (result.provider, result.prompt_tokens, result.completion_tokens) == ("offline", 0, 0)
    stream = responder.stream(request("Où se garer ?"))
    deltas = [delta async for delta in stream]
    assert len(deltas) > 5
    assert "".join(deltas) == result.text == stream.result.text
