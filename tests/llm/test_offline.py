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


WEEK = "## Opening hours\nMonday to Friday: 9:00 to 18:00\nSaturday: 10:00 to 14:00\nSunday: closed\n"


def test_a_day_question_gets_that_day_not_the_week() -> None:
    text = answer(knowledge=[WEEK], question="Are you open on Saturdays?")

    assert text == "Here's what I found: Saturday: 10:00 to 14:00"


def test_a_general_question_on_a_section_quotes_its_start() -> None:
    text = answer(
        knowledge=["## Opening hours\nMonday to Friday, 9:00 to 18:00."], question="When are you open?"
    )

    assert text == "Here's what I found: Monday to Friday, 9:00 to 18:00."


def test_a_q_and_a_entry_answers_with_its_answer() -> None:
    knowledge = ["Q: Do you ship abroad?\nA: Yes, to every country in the EU.\nDelivery takes 5 days."]

    text = answer(knowledge=knowledge, question="Can you send my order to Spain?")

    assert text == "Here's what I found: Yes, to every country in the EU. Delivery takes 5 days."
    assert "Q:" not in text and "A:" not in text


def test_sentences_are_matched_by_stems_not_raw_words() -> None:
    knowledge = ["## Services\nWe sell new bikes. Repairs are done within two days. Rentals start at 15 €."]

    assert answer(knowledge=knowledge, question="How long does repairing take?") == (
        "Here's what I found: Repairs are done within two days."
    )


def test_the_best_of_the_retrieved_chunks_answers_in_the_visitor_language() -> None:
    knowledge = [
        "## Livraison\nNous livrons en France et en Belgique sous trois jours.",
        "## Horaires\nNos horaires : du lundi au vendredi, de 9 h à 18 h. Le samedi, de 10 h à 14 h.",
    ]

    text = answer(knowledge=knowledge, language="fr", question="Vous êtes ouverts le samedi ?")

    assert text == "Voici ce que j'ai trouvé : Le samedi, de 10 h à 14 h."


def test_a_typo_meets_the_sentence_it_meant() -> None:
    knowledge = ["## Getting here\nThe shop is on Harbour Road. Parking is free behind the shop after 18:00."]

    assert answer(knowledge=knowledge, question="free parkng?") == (
        "Here's what I found: Parking is free behind the shop after 18:00."
    )


def test_a_price_table_row_answers_a_price_question() -> None:
    knowledge = [
        "## Service packages\nEvery package includes a safety check.\n\n"
        "| Package | Price | Time |\n|---|---|---|\n| Basic Tune-Up | £55 | 2 days |\n| Full Service | £95 | 3 days |"
    ]

    assert answer(knowledge=knowledge, question="how much is a tune up") == (
        "Here's what I found: Basic Tune-Up: £55, 2 days"
    )


def test_the_fact_after_the_sentence_naming_the_subject_is_quoted_with_it() -> None:
    knowledge = [
        "## Hire\nWe lend vintage and period-style bikes for weddings and photo sessions. "
        "Prices start at £60 per bike per day including delivery. Helmets are sold separately."
    ]

    text = answer(knowledge=knowledge, question="we'd like old-fashioned bikes for our wedding photos")

    assert text == (
        "Here's what I found: We lend vintage and period-style bikes for weddings and photo sessions. "
        "Prices start at £60 per bike per day including delivery."
    )


def test_words_of_another_language_that_are_stop_words_there_do_not_pick_the_sentence() -> None:
    # "le" and "avec" are French stop words: an English reading of them must not outweigh "chien"
    knowledge = [
        "## Accueil\nLa boutique est accessible en fauteuil roulant. "
        "Les chiens tenus en laisse sont acceptés en terrasse.",
        "## Retrait\nPour les gâteaux, venez avec le véhicule le plus grand possible.",
    ]

    text = answer(knowledge=knowledge, language="fr", question="on peut venir avec le chien ?")

    assert "tenus en laisse" in text


def test_visitor_questions_never_fill_the_offline_cache() -> None:
    """The stems of knowledge sentences are cached; a visitor's words are not (one could fill it)."""
    from frontdesk.llm import offline

    knowledge = ["## Opening hours\nMonday to Friday: 9:00 to 18:00. Saturday: 10:00 to 14:00."]
    offline.best_answer(knowledge, "when are you open on saturday", "en")
    cached = offline._terms.cache_info().currsize
    for n in range(50):
        offline.best_answer(knowledge, f"question {n} " + "zzqx " * n, "en")
    assert offline._terms.cache_info().currsize == cached
