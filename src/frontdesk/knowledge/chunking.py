"""Split knowledge documents into chunks small enough for a prompt.

Markdown is split on headings first, then paragraphs, lines, sentences and words, so a
chunk stays within ``max_chars`` without cutting a word. The one exception is a single
"word" longer than ``max_chars`` (a long URL, say), which is cut. FAQ documents become
one chunk per question/answer pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document: the unit that is indexed, retrieved and cited as a source."""

    document_id: str
    document_name: str
    ordinal: int
    heading: str | None
    text: str


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$")  # a thematic break: ---, ***, ===
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_WORDY = re.compile(r"\w")
_SPACE = re.compile(r"\s")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"(?:[-*+]\s+)?\S+")  # a list marker stays with the word after it
_FAQ_MARK = re.compile(
    r"^\s*(?:[-*]\s+)?[*_]{0,2}(q|question|a|answer)[*_]{0,2}\s*:[*_]{0,2}\s*(.*)$", re.IGNORECASE
)


def chunk_markdown(
    document_id: str, name: str, content: str, *, max_chars: int = 800, overlap_chars: int = 100
) -> list[Chunk]:
    """Chunk a plain-text or markdown document; each chunk's heading is its heading path.

    A chunk that continues a section starts with up to ``overlap_chars`` of the previous
    chunk's tail, never more than half of ``max_chars`` (less when the new text leaves less
    room). Raises ValueError on bad sizes.
    """
    return _chunk(document_id, name, content, max_chars, overlap_chars, faq=False)


def chunk_faq(document_id: str, name: str, pairs: Sequence[tuple[str, str]]) -> list[Chunk]:
    """One chunk per question/answer pair ("Q: …\\nA: …"); pairs missing either side are skipped."""
    chunks: list[Chunk] = []
    for question, answer in pairs:
        q, a = " ".join(question.split()), answer.strip()
        if q and a:
            chunks.append(Chunk(document_id, name, len(chunks), q, f"Q: {q}\nA: {a}"))
    return chunks


def parse_faq_text(content: str) -> list[tuple[str, str]]:
    """Question/answer pairs from "Q: …" / "A: …" blocks (also "Question:"/"Answer:", any case).

    An answer runs until the next question and may span lines; text before the first
    question is ignored, and a question without an answer is dropped.
    """
    return _faq_blocks(content.splitlines())[1]


def chunk_document(
    document_id: str, name: str, content: str, *, max_chars: int = 800, overlap_chars: int = 100
) -> list[Chunk]:
    """Chunk pasted text as markdown, except that Q:/A: pairs become one chunk each.

    This works per markdown section, so an FAQ section inside a longer document is
    chunked per pair while the other sections are chunked as usual. FAQ answers are
    kept whole, whatever ``max_chars`` says.
    """
    return _chunk(document_id, name, content, max_chars, overlap_chars, faq=True)


def _chunk(
    document_id: str, name: str, content: str, max_chars: int, overlap_chars: int, *, faq: bool
) -> list[Chunk]:
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if overlap_chars < 0:
        raise ValueError("overlap_chars must not be negative")
    chunks: list[Chunk] = []
    for heading, lines in _sections(content):
        rest, pairs = _faq_blocks(lines) if faq else (lines, [])
        for text in _pack(_paragraphs(rest), max_chars, overlap_chars):
            chunks.append(Chunk(document_id, name, len(chunks), heading, text))
        for question, answer in pairs:
            chunks.append(Chunk(document_id, name, len(chunks), question, f"Q: {question}\nA: {answer}"))
    return chunks


def _sections(content: str) -> list[tuple[str | None, list[str]]]:
    """(heading path, body lines) per section; a heading inside a code fence is text."""
    stack: list[tuple[int, str]] = []
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    fence: str | None = None
    for raw in content.splitlines():
        line = raw.rstrip()
        body = sections[-1][1]
        heading: tuple[int, str] | None = None
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
        elif m := _FENCE.match(line):
            fence = m.group(1)
        elif m := _ATX.match(line):
            heading = (len(m.group(1)), m.group(2) or "")
        elif (m := _SETEXT.match(line)) and _starts_paragraph(body):
            heading = (1 if m.group(1)[0] == "=" else 2, body.pop())
        if heading is None:
            body.append(line)
            continue
        level, title = heading
        while stack and stack[-1][0] >= level:
            stack.pop()
        if title := _clean_title(title):
            stack.append((level, title))
        sections.append((" > ".join(t for _, t in stack) or None, []))
    return sections


def _starts_paragraph(body: list[str]) -> bool:
    """Whether the last line of ``body`` is the single line of a paragraph (a setext title)."""
    return bool(body and body[-1].strip() and (len(body) == 1 or not body[-2].strip()))


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs holding some text; a code fence stays in one piece."""
    paragraphs: list[str] = []
    para: list[str] = []
    fence: str | None = None

    def flush() -> None:
        text = "\n".join(para)
        if _WORDY.search(text):
            paragraphs.append(text)
        para.clear()

    for line in lines:
        if fence is not None:
            para.append(line)
            if line.lstrip().startswith(fence):
                fence = None
        elif m := _FENCE.match(line):
            fence = m.group(1)
            para.append(line)
        elif not line.strip() or _RULE.match(line):
            flush()
        else:
            para.append(line)
    flush()
    return paragraphs


def _clean_title(title: str) -> str:
    return title.strip().strip("*_").strip()


def _split_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _split_sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(text) if sentence]


# Ways to split a paragraph that is too long, coarsest first, with the joiner to put back.
_LEVELS: tuple[tuple[Callable[[str], list[str]], str], ...] = (
    (_split_lines, "\n"),
    (_split_sentences, " "),
    (_WORD.findall, " "),
)


def _pieces(text: str, limit: int, level: int = 0) -> list[tuple[str, str]]:
    """Split ``text`` into (joiner, piece) pairs, each piece at most ``limit`` characters."""
    if len(text) <= limit:
        return [("", text)]
    if level == len(_LEVELS):  # a single word longer than the limit
        return [("", text[i : i + limit]) for i in range(0, len(text), limit)]
    split, joiner = _LEVELS[level]
    out: list[tuple[str, str]] = []
    for part in split(text):
        sub = _pieces(part, limit, level + 1)
        out.append((joiner if out else "", sub[0][1]))
        out.extend(sub[1:])
    return out


def _pack(paragraphs: list[str], max_chars: int, overlap_chars: int) -> list[str]:
    """Greedily merge a section's pieces into chunks, each new chunk starting with the previous tail."""
    texts: list[str] = []
    current = ""
    overlap_chars = min(overlap_chars, max_chars // 2)
    for paragraph in paragraphs:
        for i, (joiner, piece) in enumerate(_pieces(paragraph, max_chars)):
            sep = joiner if i else "\n\n"
            if not current:
                current = piece
            elif len(current) + len(sep) + len(piece) <= max_chars:
                current += sep + piece
            else:
                texts.append(current)
                tail = _tail(current, min(overlap_chars, max_chars - len(piece) - len(sep)))
                current = tail + sep + piece if tail else piece
    if current:
        texts.append(current)
    return texts


def _tail(text: str, size: int) -> str:
    """At most ``size`` trailing characters of ``text``, starting at a word boundary."""
    if size <= 0:
        return ""
    tail = text[-size:]
    if len(text) > size and not text[-size - 1].isspace():
        boundary = _SPACE.search(tail)
        if boundary is None:
            return ""
        tail = tail[boundary.end() :]
    return tail.strip()


def _faq_blocks(lines: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The lines before the first question, and the question/answer pairs."""
    preface: list[str] = []
    blocks: list[tuple[list[str], list[str]]] = []
    target = preface
    for line in lines:
        m = _FAQ_MARK.match(line)
        if m and m.group(1).lower().startswith("q"):
            blocks.append(([m.group(2)], []))
            target = blocks[-1][0]
        elif m and blocks:
            target = blocks[-1][1]
            target.append(m.group(2))
        elif blocks and _RULE.match(line):  # a rule between two pairs
            continue
        else:
            target.append(line.rstrip())
    pairs = [(" ".join(" ".join(q).split()), "\n".join(a).strip()) for q, a in blocks]
    return preface, [(q, a) for q, a in pairs if q and a]
