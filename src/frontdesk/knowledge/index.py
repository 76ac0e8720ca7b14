"""In-memory BM25 retrieval over one tenant's knowledge chunks.

An index holds only the chunks it was built from, so a tenant's index never returns
another tenant's text. It is immutable once built and safe to share between tasks.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from frontdesk.knowledge.chunking import Chunk

K1 = 1.5
B = 0.75
HEADING_WEIGHT = 2

# Combining diacritical mark blocks (Latin, Greek, Cyrillic accents); other scripts' marks are kept.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase and strip accents: "Öffnungszeiten à Zürich" → "offnungszeiten a zurich"."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


# Function words of English, French, German and Spanish, plus elided letters (l', qu', don't).
_STOPWORD_TEXT = """
    a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its me my no not of on or our ours so than that the their them then there these they this those to
    was we were what when where which who whom why will with would you your yours
    au aux avec ce ces cette dans de des du elle elles en est et il ils je la le les leur leurs lui ma
    mais me mes moi mon ne nos notre nous ou où par pas pour quel quelle quels quelles que qui sa se ses
    son sont sur ta te tes toi ton tu un une vos votre vous y à
    aber als am auch auf aus bei das dass dem den der des die du ein eine einem einen einer er es für
    ich ihr im ist mein mit nach nicht noch oder sich sie sind um und uns von vor wann was wer wie wir wo
    zu zum zur
    al como cómo con cual cuál cuales cuáles cuando cuándo del donde dónde el él esta está están este esto hay las lo
    los mi mis nos para pero por qué si sí su sus tú una unas unos usted ustedes yo
    c d j l ll m n qu re s t ve don doesn didn isn aren
"""
_STOPWORDS = frozenset(fold(word) for word in _STOPWORD_TEXT.split())

# English plural endings, tried in order; a bare final "s" is handled after them.
_PLURALS = (("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"), ("ies", "i"))


def stem(word: str) -> str:
    """Light English plural stemming of a folded word, so singular and plural meet.

    plans → plan, prices → price, classes → class, boxes → box, policies/policy → polici,
    cookies/cookie → cooki; words ending in "ss", "us" or "is" are kept, and a stem is
    never shorter than three letters.
    """
    for suffix, replacement in _PLURALS:
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    else:
        if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if len(word) > 3 and word.endswith("ie"):
        return word[:-1]
    if len(word) > 3 and word.endswith("y") and word[-2] not in "aeiouy":
        return word[:-1] + "i"
    return word


@lru_cache(maxsize=65_536)
def _term(word: str) -> str | None:
    return None if word in _STOPWORDS else stem(word)


def tokenize(text: str) -> list[str]:
    """Index terms of ``text``: folded words, stopwords dropped, plurals stemmed."""
    return [term for word in _WORD.findall(fold(text)) if (term := _term(word))]


def normalize_query(text: str) -> str:
    """A cache key for a visitor message: folded, whitespace collapsed, trailing punctuation dropped."""
    key = " ".join(fold(text).split())
    end = len(key)
    while end and (key[end - 1] == " " or unicodedata.category(key[end - 1]).startswith("P")):
        end -= 1
    return key[:end].lstrip("¿¡ ")


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A search hit: the chunk and its BM25 score (higher is better)."""

    chunk: Chunk
    score: float


_Postings: TypeAlias = "tuple[array[int], array[float]]"  # chunk indexes, their BM25 weights
_NO_POSTINGS: _Postings = (array("I"), array("d"))


class KnowledgeIndex:
    """Okapi BM25 (k1=1.5, b=0.75) over chunks; heading words count twice.

    Build it with :meth:`build`. The inverted index maps each term to its postings: the
    indexes of the chunks holding it, and the term's whole BM25 contribution in each (idf,
    term frequency and length norm are fixed once built). A search only adds up the
    postings of the query's terms. Postings are compact arrays, about 12 bytes each.
    """

    __slots__ = ("_chunks", "_document_ids", "_postings")

    def __init__(self, chunks: tuple[Chunk, ...], postings: dict[str, _Postings]) -> None:
        self._chunks = chunks
        self._postings = postings
        self._document_ids = frozenset(chunk.document_id for chunk in chunks)

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> KnowledgeIndex:
        """Index ``chunks`` (copied: changing the sequence later does not change the index)."""
        kept = tuple(chunks)
        frequencies: defaultdict[str, tuple[array[int], array[int]]] = defaultdict(
            lambda: (array("I"), array("I"))
        )
        lengths: list[int] = []
        for idx, chunk in enumerate(kept):
            counts = Counter(tokenize(chunk.text))
            for term in tokenize(chunk.heading or ""):
                counts[term] += HEADING_WEIGHT
            lengths.append(counts.total())
            for term, tf in counts.items():
                indexes, tfs = frequencies[term]
                indexes.append(idx)
                tfs.append(tf)
        n = len(kept)
        average = sum(lengths) / n if n else 1.0
        norms = [K1 * (1 - B + B * length / average) for length in lengths]
        postings: dict[str, _Postings] = {}
        for term, (indexes, tfs) in frequencies.items():
            # Lucene's variant of the Okapi idf: never negative, even for a term in most chunks.
            idf = math.log(1 + (n - len(indexes) + 0.5) / (len(indexes) + 0.5))
            weights = (idf * tf * (K1 + 1) / (tf + norms[idx]) for idx, tf in zip(indexes, tfs, strict=True))
            postings[term] = (indexes, array("d", weights))
        return cls(kept, postings)

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self._chunks)

    @property
    def document_ids(self) -> frozenset[str]:
        """Ids of the documents the chunks come from."""
        return self._document_ids

    def search(self, query: str, *, limit: int = 4, min_score: float = 0.0) -> list[ScoredChunk]:
        """The best chunks for ``query``, best first; ties go by (document name, ordinal).

        Only chunks sharing a term with the query and scoring at least ``min_score`` count.
        """
        scores: dict[int, float] = {}
        get = scores.get
        for term in dict.fromkeys(tokenize(query)):
            indexes, weights = self._postings.get(term, _NO_POSTINGS)
            for idx, weight in zip(indexes, weights, strict=True):
                scores[idx] = get(idx, 0.0) + weight
        if limit <= 0 or not scores:
            return []
        # The limit-th best score, then every chunk at or above it (ties included) in order.
        floor = max(min_score, heapq.nlargest(limit, scores.values())[-1])
        chunks = self._chunks
        best = sorted(
            (idx for idx, score in scores.items() if score >= floor),
            key=lambda idx: (-scores[idx], chunks[idx].document_name, chunks[idx].ordinal, idx),
        )
        return [ScoredChunk(chunks[idx], scores[idx]) for idx in best[:limit]]
