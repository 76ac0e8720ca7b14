"""Knowledge documents in and out. A document is pasted text/markdown or a list of FAQ pairs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from frontdesk.kit.schemas import InputModel
from frontdesk.knowledge.chunking import chunk_document
from frontdesk.models import KnowledgeBase

MAX_NAME_CHARS = 200
MAX_CONTENT_CHARS = 200_000
MAX_FAQ_PAIRS = 500
CONTENT_DOC = "Plain text or markdown"
FAQ_DOC = "Question/answer pairs, stored as 'Q: …' / 'A: …' blocks: one retrievable chunk per pair"


class FaqPair(InputModel):
    question: str = Field(min_length=1, max_length=2_000)
    answer: str = Field(min_length=1, max_length=10_000)


class DocumentCreate(InputModel):
    """A new document: a name and exactly one of ``content`` or ``faq``."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    content: str | None = Field(
        default=None, min_length=1, max_length=MAX_CONTENT_CHARS, description=CONTENT_DOC
    )
    faq: list[FaqPair] | None = Field(
        default=None, min_length=1, max_length=MAX_FAQ_PAIRS, description=FAQ_DOC
    )

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if (self.content is None) == (self.faq is None):
            raise ValueError(
                "send exactly one of 'content' (text or markdown) or 'faq' (question/answer pairs)"
            )
        return self

    def text(self) -> str:
        """The text to store."""
        return faq_text(self.faq) if self.faq is not None else self.content or ""


class DocumentUpdate(InputModel):
    """Rename a document and/or replace its text (``content`` or ``faq``, not both)."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    content: str | None = Field(
        default=None, min_length=1, max_length=MAX_CONTENT_CHARS, description=CONTENT_DOC
    )
    faq: list[FaqPair] | None = Field(
        default=None, min_length=1, max_length=MAX_FAQ_PAIRS, description=FAQ_DOC
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.content is not None and self.faq is not None:
            raise ValueError("send either 'content' or 'faq', not both")
        if self.name is None and self.content is None and self.faq is None:
            raise ValueError("send at least one of 'name', 'content' or 'faq'")
        return self

    def text(self) -> str | None:
        """The new text to store, if the body changes."""
        return faq_text(self.faq) if self.faq is not None else self.content


# Lines of an answer that the chunker would otherwise read as a new question (or drop as an
# answer marker), and, outside code fences, as a heading or a rule: escaped with a backslash.
_MARKER = re.compile(r"^\s*(?:[-*]\s+)?[*_]{0,2}(?:q|question|a|answer)[*_]{0,2}\s*:", re.IGNORECASE)
_HEADING_OR_RULE = re.compile(r"^\s*(?:#{1,6}(?:\s|$)|[-=*_](?:\s*[-=*_])*\s*$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def faq_text(pairs: Sequence[FaqPair]) -> str:
    """'Q: …\\nA: …' blocks separated by blank lines, so chunk_document makes one chunk per pair."""
    blocks: list[str] = []
    fence: str | None = None  # tracked across the document, as the chunker does
    for pair in pairs:
        first, *rest = pair.answer.splitlines() or [""]
        lines = [f"Q: {' '.join(pair.question.split())}", f"A: {first}"]
        for line in rest:
            if fence is not None and line.lstrip().startswith(fence):
                fence = None
            elif fence is None and (m := _FENCE.match(line)):
                fence = m.group(1)
            elif _MARKER.match(line) or (fence is None and _HEADING_OR_RULE.match(line)):
                line = "\\" + line
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class DocumentSummary(BaseModel):
    id: uuid.UUID
    name: str
    version: int
    chars: int = Field(description="Length of the stored text, in characters")
    chunks: int = Field(description="Number of retrievable pieces the text is split into")
    embedded_chunks: int = Field(
        description="How many of the chunks have their embedding (for semantic search) yet"
    )
    indexing: Literal["ready", "pending"] = Field(
        description="'ready' once every chunk is embedded; 'pending' while the background job runs"
    )
    updated_at: datetime

    @classmethod
    def of(cls, doc: KnowledgeBase, counts: tuple[int, int] | None = None) -> DocumentSummary:
        """``counts``: (chunks, embedded chunks) as stored (``knowledge.chunks.chunk_counts``);
        without them the text is chunked here and nothing counts as embedded."""
        if counts is None:
            counts = (len(chunk_document(str(doc.id), doc.name, doc.content)), 0)
        chunks, embedded = counts
        return DocumentSummary(
            id=doc.id,
            name=doc.name,
            version=doc.version,
            chars=len(doc.content),
            chunks=chunks,
            embedded_chunks=embedded,
            indexing="ready" if embedded >= chunks else "pending",
            updated_at=doc.updated_at,
        )


class DocumentOut(DocumentSummary):
    content: str

    @classmethod
    def of(cls, doc: KnowledgeBase, counts: tuple[int, int] | None = None) -> DocumentOut:
        return DocumentOut(**DocumentSummary.of(doc, counts).model_dump(), content=doc.content)
