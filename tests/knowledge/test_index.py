"""Retrieval: which chunks a visitor's message brings back."""

from __future__ import annotations

import random
import string

import pytest

from frontdesk.knowledge.chunking import Chunk, chunk_document, chunk_markdown
from frontdesk.knowledge.index import KnowledgeIndex, normalize_query, tokenize

GUIDE = """\
# Pricing

We offer two plans. The Basic plan costs 19 € per month and covers one website.
The Pro plan costs 49 € per month, covers five websites and includes priority support.

# Opening hours

Our shop and phone line are open Monday to Friday from 9am to 6pm, and on Saturdays
from 10am to 4pm. We are closed on Sundays and public holidays.

# Refunds

Not happy? Ask for a refund within 30 days of purchase. Refunds apply to all plans and
are paid back to the original card within 5 business days.
"""

FAQ = """\
Q: Do you ship abroad?
A: Yes. We ship to every country in the EU and to the UK.
Delivery abroad takes 5 to 8 business days.

q: Can I pick up my order in the shop?
a: Of course, orders are ready two hours after you place them.

Q: Do you sell gift cards?
A: Yes, from 10 € to 200 €, in the shop and online.
"""

GUIDE_FR = """\
# Tarifs

Le forfait Pro coûte 49 € par mois et inclut le support prioritaire.

# Horaires d'ouverture

Nous sommes ouverts du lundi au samedi, de 9 h à 18 h.

# Livraison

Nous livrons en France et en Belgique sous trois jours ouvrés.
"""


@pytest.fixture(scope="module")
def shop() -> KnowledgeIndex:
    return KnowledgeIndex.build(chunk_markdown("guide", "Guide", GUIDE) + chunk_document("faq", "FAQ", FAQ))


def top_heading(index: KnowledgeIndex, query: str) -> str | None:
    hits = index.search(query)
    assert hits, f"nothing found for {query!r}"
    return hits[0].chunk.heading


def test_price_question_finds_the_pricing_section(shop: KnowledgeIndex) -> None:
    hits = shop.search("how much is the pro plan")

    assert hits[0].chunk.heading == "Pricing"
    assert "The Pro plan costs 49 €" in hits[0].chunk.text
    assert [h.chunk.heading for h in hits[1:]] == ["Refunds"]  # "all plans": a weaker match


def test_opening_hours_question_finds_the_opening_hours(shop: KnowledgeIndex) -> None:
    assert top_heading(shop, "when are you open on saturday") == "Opening hours"
    assert top_heading(shop, "Opening hours?") == "Opening hours"


def test_pasted_faq_answers_its_question(shop: KnowledgeIndex) -> None:
    hits = shop.search("do you ship abroad")

    assert hits[0].chunk.document_id == "faq"
    assert hits[0].chunk.text == (
        "Q: Do you ship abroad?\nA: Yes. We ship to every country in the EU and to the UK.\n"
        "Delivery abroad takes 5 to 8 business days."
    )
    assert top_heading(shop, "Can I buy a GIFT CARD?") == "Do you sell gift cards?"


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("tarifs", "Tarifs"),
        ("Quels sont vos TARIFS ?", "Tarifs"),
        ("combien coute le forfait pro", "Tarifs"),  # "coûte" in the text
        ("êtes-vous ouverts le samedi ?", "Horaires d'ouverture"),
        ("horaires", "Horaires d'ouverture"),
        ("Livrez-vous en Belgique ?", "Livraison"),
    ],
)
def test_french_queries_match_french_text(query: str, heading: str) -> None:
    index = KnowledgeIndex.build(chunk_markdown("fr", "Guide FR", GUIDE_FR))

    assert top_heading(index, query) == heading


def test_unrelated_or_empty_queries_find_nothing(shop: KnowledgeIndex) -> None:
    assert shop.search("quantum chromodynamics", min_score=0.5) == []
    assert shop.search("quantum chromodynamics") == []
    assert shop.search("how are you?") == []  # only stopwords
    assert shop.search("") == []


def test_min_score_and_limit(shop: KnowledgeIndex) -> None:
    hits = shop.search("plans shop days")
    scores = [h.score for h in hits]

    assert len(hits) == 4
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)
    assert shop.search("plans shop days", min_score=scores[1]) == hits[:2]
    assert shop.search("plans shop days", min_score=scores[0] + 0.01) == []
    assert shop.search("plans shop days", limit=2) == hits[:2]
    assert shop.search("plans shop days", limit=0) == []


def test_repeating_a_word_does_not_change_the_answer(shop: KnowledgeIndex) -> None:
    assert shop.search("Refunds? REFUNDS!! refunds plan") == shop.search("refund plans")


def test_a_heading_match_outweighs_a_passing_mention() -> None:
    index = KnowledgeIndex.build(
        [
            Chunk("d", "Help", 0, "Contact", "Write to us about refunds, orders or anything else."),
            Chunk("d", "Help", 1, "Refunds", "Ask within 30 days and we pay you back."),
        ]
    )

    assert [h.chunk.heading for h in index.search("refunds")] == ["Refunds", "Contact"]


def test_ties_are_ordered_by_document_name_then_ordinal() -> None:
    def chunk(name: str, ordinal: int) -> Chunk:
        return Chunk(name, name, ordinal, None, "Parking is free behind the shop.")

    index = KnowledgeIndex.build([chunk("b-guide", 0), chunk("a-guide", 1), chunk("a-guide", 0)])
    hits = index.search("parking", limit=10)

    assert [(h.chunk.document_name, h.chunk.ordinal) for h in hits] == [
        ("a-guide", 0),
        ("a-guide", 1),
        ("b-guide", 0),
    ]
    assert len({h.score for h in hits}) == 1


def test_indexes_of_two_tenants_never_share_results() -> None:
    shop_chunks = chunk_markdown("shop-guide", "Guide", GUIDE)
    dentist_chunks = chunk_markdown("dentist-guide", "Guide", "# Pricing\n\nA check-up costs 60 € per plan.")
    shop = KnowledgeIndex.build(shop_chunks)
    before = shop.search("pricing plan")

    dentist = KnowledgeIndex.build(dentist_chunks)
    shop_chunks.extend(dentist_chunks)  # the caller's list changing later does not leak in

    assert shop.search("pricing plan") == before
    assert {h.chunk.document_id for h in shop.search("check-up pricing plan", limit=10)} == {"shop-guide"}
    assert {h.chunk.document_id for h in dentist.search("pricing plan", limit=10)} == {"dentist-guide"}
    assert dentist.search("when are you open on saturday") == []
    assert (shop.size, shop.document_ids) == (3, frozenset({"shop-guide"}))
    assert (dentist.size, dentist.document_ids) == (1, frozenset({"dentist-guide"}))


def test_empty_index() -> None:
    index = KnowledgeIndex.build([])

    assert (index.size, index.document_ids, index.search("pricing")) == (0, frozenset(), [])


@pytest.mark.parametrize(
    ("text", "language", "tokens"),
    [
        ("Plans, PRICES and policies", "en", ["plan", "price", "polici"]),
        ("plan price policy", "en", ["plan", "price", "polici"]),
        ("Opening hours: we open at 9", "en", ["open", "hour", "open", "9"]),
        ("A tune-up", "en", ["tune", "tuneup"]),
        ("Nos horaires d'ouverture, l'hôtel coûte", "fr", ["horair", "ouvertur", "hotel", "cout"]),
        ("Öffnungszeiten am Samstag", "de", ["offnungszeit", "samstag"]),
        ("¿Cuáles son sus horarios?", "es", ["horari"]),
        ("How do I reset my_password", "en", ["reset", "password"]),
    ],
)
def test_tokenize(text: str, language: str, tokens: list[str]) -> None:
    assert tokenize(text, language) == tokens


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("  Do you   ship\nABROAD?? ", "do you ship abroad"),
        ("do you ship abroad", "do you ship abroad"),
        ("Où êtes-vous ?!", "ou etes-vous"),
        ("¿Dónde están?", "donde estan"),
        ("Price: 49 €", "price: 49 €"),
        ("...", ""),
    ],
)
def test_normalize_query(text: str, key: str) -> None:
    assert normalize_query(text) == key


SERVICES = """\
# Opening hours

Monday to Friday, 9:00 to 18:00.

# Tune-up

A full tune-up costs 80 € and takes a day.

# Parking

Parking is free behind the shop.

# Wheels

We true wheels while you wait.
"""


@pytest.fixture(scope="module")
def services() -> KnowledgeIndex:
    return KnowledgeIndex.build(chunk_markdown("services", "Services", SERVICES))


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("When are you open?", "Opening hours"),  # open ↔ opening
        ("opening times", "Opening hours"),
        ("tuneup", "Tune-up"),
        ("tune-up", "Tune-up"),
        ("how much is a tune up", "Tune-up"),
        ("TUNE UP", "Tune-up"),
        ("parkng", "Parking"),  # a typo
        ("is there a parking lot", "Parking"),
        ("do you true a wheel", "Wheels"),  # wheel ↔ wheels
    ],
)
def test_word_forms_compounds_and_typos_meet(services: KnowledgeIndex, query: str, heading: str) -> None:
    assert top_heading(services, query) == heading


def test_joined_words_meet_text_that_writes_them_apart() -> None:
    index = KnowledgeIndex.build(
        [
            Chunk("d", "Guide", 0, None, "Book a tune up online."),
            Chunk("d", "Guide", 1, None, "We sell tubes."),
        ]
    )

    assert [h.chunk.ordinal for h in index.search("tuneup")] == [0]


def test_a_word_the_knowledge_holds_is_not_second_guessed() -> None:
    index = KnowledgeIndex.build(
        [
            Chunk("d", "Guide", 0, None, "Parking behind the shop."),
            Chunk("d", "Guide", 1, None, "Parkin is our dog."),
        ]
    )

    assert [h.chunk.ordinal for h in index.search("parkin", limit=2)] == [1]
    assert [h.chunk.ordinal for h in index.search("parkng", limit=2)] == [0]


def test_typos_are_not_guessed_for_short_words(services: KnowledgeIndex) -> None:
    assert services.search("whel") == []  # four letters, one edit from "wheel"… but "whel" ≠ any word
    assert services.search("tue") == []


def test_french_questions_meet_french_knowledge_through_stems() -> None:
    index = KnowledgeIndex.build(
        chunk_markdown(
            "fr",
            "Guide",
            "# Magasin\n\nNos horaires : du lundi au samedi, de 9 h à 18 h.\n\n"
            "# Livraison\n\nNous livrons en Belgique.",
        )
    )

    assert index.languages == ("fr",)
    assert top_heading(index, "Quels sont vos horaires d'ouverture ?") == "Magasin"
    assert top_heading(index, "horaire") == "Magasin"
    assert top_heading(index, "vous livrez en belgique ?") == "Livraison"


def test_german_compounds_meet_their_parts() -> None:
    index = KnowledgeIndex.build(
        chunk_markdown(
            "de",
            "Info",
            "# Öffnungszeiten\n\nWir haben montags bis freitags von 9 bis 18 Uhr geöffnet.\n\n"
            "# Fahrradreparatur\n\nWir reparieren alle Fahrräder innerhalb eines Tages.",
        )
    )

    assert index.languages == ("de",)
    assert top_heading(index, "Welche Zeiten habt ihr?") == "Öffnungszeiten"
    assert top_heading(index, "Reparatur von meinem Rad") == "Fahrradreparatur"
    assert top_heading(index, "offnungszeiten") == "Öffnungszeiten"  # typed without the umlaut


def test_a_long_message_of_unknown_words_makes_a_bounded_number_of_guesses(monkeypatch) -> None:
    """A hostile visitor's 4,000-character message of made-up words: only its start is read and at
    most MAX_EXPANDED_WORDS words are guessed at (each guess scans the tenant's vocabulary)."""
    from frontdesk.knowledge import index as index_module

    rng = random.Random(13)

    def made_up() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(9))

    words = [made_up() for _ in range(2_000)]
    idx = KnowledgeIndex.build(
        chunk_document("d", "Catalogue", "\n\n".join(f"Item {w} costs 5 €." for w in words))
    )
    guessed: list[str] = []
    real = KnowledgeIndex._expand

    def counting(self, word, *rest):  # type: ignore[no-untyped-def]
        guessed.append(word)
        return real(self, word, *rest)

    monkeypatch.setattr(KnowledgeIndex, "_expand", counting)
    hostile = " ".join(made_up() for _ in range(500))  # 5,000 characters, no known word
    assert len(hostile) > 4_000
    idx.search(hostile)
    assert 0 < len(guessed) <= index_module.MAX_EXPANDED_WORDS
    guessed.clear()
    idx.search("x" * 3_999)  # one enormous word is never guessed at
    assert guessed == []
    # a known word late in a long message is not read either: the search reads the start
    assert idx.search(hostile[:4_000] + " " + words[7]) == []
    assert idx.search(words[7])


def test_known_words_after_many_unknown_ones_still_count() -> None:
    """Past the guessing limit, a word the knowledge holds (a hyphenated one too) still matches."""
    rng = random.Random(7)
    idx = KnowledgeIndex.build(chunk_document("d", "Hotel", "# Check-in\nCheck-in opens at 15:00."))
    noise = " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(30))
    hits = idx.search(f"{noise} check-in")
    assert hits and "15:00" in hits[0].chunk.text
