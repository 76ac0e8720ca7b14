"""Chunking of markdown and FAQ documents."""

from __future__ import annotations

import itertools
import random
import string

import pytest

from frontdesk.knowledge.chunking import (
    Chunk,
    chunk_document,
    chunk_faq,
    chunk_markdown,
    parse_faq_text,
)

GUIDE = """\
# Pricing

We offer two plans.

## Pro plan

The Pro plan costs 49 € per month.

## Basic plan

The Basic plan costs 19 € per month.

# Opening hours

Monday to Friday, 9am to 6pm.
"""

FAQ = """\
Q: Do you ship abroad?
A: Yes, to every country in the EU.
Delivery takes 5 to 8 business days.

q: Can I pick up my order?
a: Of course, in the shop.

Question: Gift cards?
Answer: From 10 € to 200 €.
"""


def test_sections_keep_their_heading_path() -> None:
    chunks = chunk_markdown("doc-1", "Guide", GUIDE)

    assert [(c.heading, c.text) for c in chunks] == [
        ("Pricing", "We offer two plans."),
        ("Pricing > Pro plan", "The Pro plan costs 49 € per month."),
        ("Pricing > Basic plan", "The Basic plan costs 19 € per month."),
        ("Opening hours", "Monday to Friday, 9am to 6pm."),
    ]
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]
    assert {(c.document_id, c.document_name) for c in chunks} == {("doc-1", "Guide")}


def test_text_without_headings_has_no_heading() -> None:
    chunks = chunk_markdown("d", "Notes", "Just some notes.\r\n\r\nAnd more notes.")

    assert chunks == [Chunk("d", "Notes", 0, None, "Just some notes.\n\nAnd more notes.")]


@pytest.mark.parametrize(
    "content", ["", "   \n\n\t \n", "# Only a heading\n\n## And another\n", "---\n\n***\n", "```\n```\n"]
)
def test_documents_without_text_give_no_chunks(content: str) -> None:
    assert chunk_markdown("d", "Empty", content) == []


def test_setext_headings_and_code_fences() -> None:
    content = (
        "Delivery\n========\n\nWe deliver daily.\n\n"
        "```bash\n# this comment is not a heading\ncurl https://example.com\n```\n\n"
        "Returns\n-------\n\nWithin 30 days.\n"
    )
    chunks = chunk_markdown("d", "Doc", content)

    assert [c.heading for c in chunks] == ["Delivery", "Delivery > Returns"]
    assert "# this comment is not a heading" in chunks[0].text
    assert chunks[1].text == "Within 30 days."


def test_small_paragraphs_are_merged_up_to_max_chars() -> None:
    paragraphs = [f"Paragraph number {i} is short." for i in range(20)]
    chunks = chunk_markdown("d", "Doc", "\n\n".join(paragraphs), max_chars=200, overlap_chars=0)

    assert 1 < len(chunks) < len(paragraphs)
    assert chunks[0].text.startswith("Paragraph number 0 is short.\n\nParagraph number 1 is short.")
    assert all(len(c.text) <= 200 for c in chunks)


def test_long_paragraph_breaks_between_sentences() -> None:
    paragraph = " ".join(f"Sentence {i} is {'very ' * (i % 7)}short." for i in range(60))
    chunks = chunk_markdown("d", "Doc", paragraph, max_chars=300, overlap_chars=0)

    assert len(chunks) > 5
    assert all(c.text.endswith(".") and c.text.startswith("Sentence") for c in chunks)


def test_overlap_repeats_the_tail_of_the_previous_chunk() -> None:
    paragraph = " ".join(f"Sentence {i} says something about the shop." for i in range(60))
    chunks = chunk_markdown("d", "Doc", paragraph, max_chars=300, overlap_chars=80)

    for previous, chunk in itertools.pairwise(chunks):
        shared = next(n for n in range(80, 0, -1) if previous.text.endswith(chunk.text[:n]))
        assert shared >= 20
        assert chunk.text[shared] == " "  # the overlap ends on a word boundary


def test_a_word_longer_than_max_chars_is_cut_to_fit() -> None:
    url = "https://example.com/" + "x" * 150
    chunks = chunk_markdown("d", "Doc", f"See {url} for details.", max_chars=60, overlap_chars=0)

    assert all(len(c.text) <= 60 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == f"See{url}fordetails."


@pytest.mark.parametrize(("max_chars", "overlap_chars"), [(0, 0), (100, -1)])
def test_bad_sizes_are_rejected(max_chars: int, overlap_chars: int) -> None:
    with pytest.raises(ValueError):
        chunk_markdown("d", "Doc", "Text.", max_chars=max_chars, overlap_chars=overlap_chars)


def _generated_doc(rng: random.Random) -> tuple[str, list[str]]:
    """A long markdown document of unique words, and its body words in order."""
    serial = iter(range(1_000_000))
    body: list[str] = []

    def sentence(words: int) -> str:
        made = [
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 12))) + str(next(serial))
            for _ in range(words)
        ]
        made[-1] += rng.choice(".!?")
        body.extend(made)
        return " ".join(made)

    lines: list[str] = []
    for section in range(rng.randint(3, 8)):
        lines += [f"{'#' * rng.randint(1, 3)} Heading {section}", ""]
        for _ in range(rng.randint(1, 12)):
            kind = rng.random()
            if kind < 0.15:  # a bullet list
                lines += [f"- {sentence(rng.randint(2, 15))}" for _ in range(rng.randint(2, 10))]
            elif kind < 0.25:  # one very long sentence
                lines.append(sentence(rng.randint(80, 200)))
            else:
                lines.append(" ".join(sentence(rng.randint(3, 25)) for _ in range(rng.randint(1, 15))))
            lines.append("")
    return "\n".join(lines), body


@pytest.mark.parametrize(
    ("max_chars", "overlap_chars"), [(80, 0), (120, 500), (200, 50), (800, 100), (1500, 300)]
)
@pytest.mark.parametrize("seed", range(5))
def test_generated_documents_fit_cut_no_word_and_lose_nothing(
    seed: int, max_chars: int, overlap_chars: int
) -> None:
    content, body = _generated_doc(random.Random(seed))
    position = {word: i for i, word in enumerate(body)}
    chunks = chunk_markdown("d", "Doc", content, max_chars=max_chars, overlap_chars=overlap_chars)

    end = -1
    for i, chunk in enumerate(chunks):
        assert chunk.ordinal == i
        assert 0 < len(chunk.text) <= max_chars
        words = [w for w in chunk.text.split() if w != "-"]
        spots = [position[w] for w in words]  # KeyError: a cut (or invented) word
        assert spots == list(range(spots[0], spots[0] + len(spots)))
        same_section = i > 0 and chunks[i - 1].heading == chunk.heading
        if same_section and overlap_chars:
            repeated = words[: end - spots[0] + 1]
            assert len(" ".join(repeated)) <= min(overlap_chars, max_chars // 2)
            assert spots[0] <= end + 1 < spots[-1] + 1
        else:
            assert spots[0] == end + 1
        end = spots[-1]
    assert end == len(body) - 1


def test_faq_text_is_parsed_per_pair() -> None:
    assert parse_faq_text("Our FAQ\n\n" + FAQ + "Q: Left without an answer?\n") == [
        ("Do you ship abroad?", "Yes, to every country in the EU.\nDelivery takes 5 to 8 business days."),
        ("Can I pick up my order?", "Of course, in the shop."),
        ("Gift cards?", "From 10 € to 200 €."),
    ]
    assert parse_faq_text("No questions here.\nA: stray answer") == []


def test_rules_between_faq_pairs_are_not_part_of_answers() -> None:
    content = "Q: One?\nA: First.\n\n---\n\nQ: Two?\nA: Second.\n* * *\n"

    assert parse_faq_text(content) == [("One?", "First."), ("Two?", "Second.")]


def test_faq_pairs_become_one_chunk_each() -> None:
    chunks = chunk_faq("faq", "FAQ", [("Do you ship abroad?", "Yes."), ("  ", "orphan"), ("Cards?", "No.")])

    assert chunks == [
        Chunk("faq", "FAQ", 0, "Do you ship abroad?", "Q: Do you ship abroad?\nA: Yes."),
        Chunk("faq", "FAQ", 1, "Cards?", "Q: Cards?\nA: No."),
    ]


def test_pasted_faq_document_is_chunked_per_pair() -> None:
    chunks = chunk_document("faq", "FAQ", FAQ, max_chars=40)  # answers are never split

    assert [c.heading for c in chunks] == ["Do you ship abroad?", "Can I pick up my order?", "Gift cards?"]
    assert chunks[0].text == (
        "Q: Do you ship abroad?\nA: Yes, to every country in the EU.\nDelivery takes 5 to 8 business days."
    )


def test_faq_section_inside_a_longer_document() -> None:
    content = "# About\n\nWe roast coffee.\n\n# FAQ\n\nAnswers below.\n\n" + FAQ + "\n# Contact\n\nCall us."
    chunks = chunk_document("d", "Site", content)

    assert [(c.ordinal, c.heading) for c in chunks] == [
        (0, "About"),
        (1, "FAQ"),
        (2, "Do you ship abroad?"),
        (3, "Can I pick up my order?"),
        (4, "Gift cards?"),
        (5, "Contact"),
    ]
    assert chunks[1].text == "Answers below."
    assert chunks[5].text == "Call us."


def test_document_without_faq_is_chunked_as_markdown() -> None:
    assert chunk_document("doc-1", "Guide", GUIDE) == chunk_markdown("doc-1", "Guide", GUIDE)
