"""Fusing lexical and semantic hits, and packing the best into a prompt budget.

Reciprocal rank fusion (Cormack et al., 2009): a chunk scores ``Σ weight / (k + rank)``
over the lists that found it, so a chunk both searches rank high wins, and neither
search's raw scores (BM25 and cosine live on different scales) need calibrating. Scores
are reported normalised to 0–1 (1: first in every list).

Packing keeps relevance order, skips a chunk that repeats one already packed (overlapping
or pasted twice), and stops at the token budget (a token is about four characters), so a
large catalogue never floods the prompt.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Protocol

from frontdesk.db.engine import Database
from frontdesk.kit.cache import Cache
from frontdesk.knowledge.chunking import Chunk
from frontdesk.knowledge.index import KnowledgeIndex, ScoredChunk
from frontdesk.nlu.analysis import fold, words

RRF_K = 60
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 0.7
MIN_SIMILARITY = 0.15  # cosine a semantic hit needs to answer a question no word of which matched
CONTEXT_SIMILARITY = 0.1  # cosine a semantic hit needs to join lexical hits as more context
DUPLICATE_OVERLAP = 0.8  # words shared with a packed chunk (Jaccard) that make a chunk a repeat
DEFAULT_BUDGET_TOKENS = 1500
MAX_CHUNKS = 12


class SemanticMatch(Protocol):
    """A chunk found by vector search (``frontdesk.knowledge.vectors.SemanticHit``)."""

    @property
    def document_id(self) -> str: ...

    @property
    def ordinal(self) -> int: ...

    @property
    def score(self) -> float: ...


class SemanticSource(Protocol):
    """Vector search over a tenant's chunks (``frontdesk.knowledge.vectors.VectorSearch``)."""

    async def search(
        self, db: Database, cache: Cache, tenant_id: uuid.UUID, query: str, *, limit: int
    ) -> Sequence[SemanticMatch]: ...


def estimate_tokens(text: str) -> int:
    """Tokens a text costs in a prompt, estimated as one per four characters."""
    return math.ceil(len(text) / 4)


def knowledge_text(chunk: Chunk) -> str:
    """A chunk as the model (and the offline responder) reads it: its heading, then its text.

    A Q&A chunk already starts with its question, so it is given as is.
    """
    if not chunk.heading or chunk.text.startswith("Q: "):
        return chunk.text
    return f"## {chunk.heading}\n{chunk.text}"


def fuse(
    index: KnowledgeIndex,
    lexical: Sequence[ScoredChunk],
    semantic: Sequence[SemanticMatch] = (),
    *,
    k: int = RRF_K,
    lexical_weight: float = LEXICAL_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    min_similarity: float = MIN_SIMILARITY,
    context_similarity: float = CONTEXT_SIMILARITY,
) -> list[ScoredChunk]:
    """The chunks of both lists, best first, scored by weighted reciprocal rank.

    Semantic hits below ``min_similarity`` (``context_similarity`` when there are lexical
    hits: they only add context then) and hits for chunks the index does not hold (a vector
    stored for an older version of the document) are left out.
    """
    scores: dict[tuple[str, int], float] = {}
    chunks: dict[tuple[str, int], Chunk] = {}
    for rank, hit in enumerate(lexical, start=1):
        key = (hit.chunk.document_id, hit.chunk.ordinal)
        chunks[key] = hit.chunk
        scores[key] = scores.get(key, 0.0) + lexical_weight / (k + rank)
    used_semantic = False
    rank = 0
    for match in sorted(semantic, key=lambda m: -m.score):
        if match.score < (min(min_similarity, context_similarity) if lexical else min_similarity):
            break
        key = (match.document_id, match.ordinal)
        found = chunks.get(key) or index.chunk(*key)
        if found is None:
            continue
        rank += 1
        used_semantic = True
        chunks[key] = found
        scores[key] = scores.get(key, 0.0) + semantic_weight / (k + rank)
    best = (lexical_weight if lexical else 0.0) + (semantic_weight if used_semantic else 0.0)
    top = best / (k + 1) if best else 1.0
    order = sorted(scores, key=lambda key: (-scores[key], chunks[key].document_name, key[1], key[0]))
    return [ScoredChunk(chunks[key], round(scores[key] / top, 4)) for key in order]


def pack(
    hits: Sequence[ScoredChunk], *, budget_tokens: int = DEFAULT_BUDGET_TOKENS, max_chunks: int = MAX_CHUNKS
) -> list[ScoredChunk]:
    """The best hits that fit in ``budget_tokens`` (in order, repeats skipped).

    A hit too large for what is left is skipped for a smaller one further down; the first
    hit alone larger than the whole budget is cut to it.
    """
    packed: list[ScoredChunk] = []
    seen: list[set[str]] = []
    left = budget_tokens
    for hit in hits:
        if len(packed) >= max_chunks or left <= 0:
            break
        text = knowledge_text(hit.chunk)
        vocabulary = set(words(fold(hit.chunk.text)))
        if vocabulary and any(
            len(vocabulary & other) >= DUPLICATE_OVERLAP * len(vocabulary | other) for other in seen
        ):
            continue
        cost = estimate_tokens(text)
        if cost > left:
            if packed:
                continue
            hit = ScoredChunk(_cut(hit.chunk, left), hit.score)
            cost = estimate_tokens(knowledge_text(hit.chunk))
        packed.append(hit)
        seen.append(vocabulary)
        left -= cost
    return packed


def _cut(chunk: Chunk, tokens: int) -> Chunk:
    """The chunk with its text shortened (at a word) so that it costs at most ``tokens``."""
    room = max(0, tokens * 4 - (len(knowledge_text(chunk)) - len(chunk.text)) - 1)
    text = chunk.text[:room]
    if len(text) < len(chunk.text) and " " in text:
        text = text.rsplit(" ", 1)[0]
    return Chunk(chunk.document_id, chunk.document_name, chunk.ordinal, chunk.heading, text + "…")
