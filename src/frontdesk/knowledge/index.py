"""In-memory BM25 retrieval over one tenant's knowledge chunks.

Terms come from ``nlu.analysis`` (Snowball stems per document language, stop words,
accents folded, hyphenated compounds split and joined); the BM25 weights (Lucene variant,
k1=1.2, b=0.75) are computed by ``bm25s`` when the index is built, and a search only adds up
the precomputed weights of the query's terms. Heading words count twice.

A query is analysed once, in its own language and in each language of the knowledge, so a
question meets text in the knowledge's language. Words the knowledge does not hold are
expanded, down-weighted and bounded: two known words joined ("tune up" → tuneup), a word
split into two known ones ("tuneup" → tune up), close spellings ("parkng" → parking,
rapidfuzz), and for longer words the compounds they are part of ("zeiten" → öffnungszeiten).

An index holds only the chunks it was built from, so a tenant's index never returns
another tenant's text. It is immutable once built and safe to share between tasks.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from frontdesk.knowledge.chunking import Chunk
from frontdesk.nlu.analysis import (
    DEFAULT_LANGUAGE,
    Analyzer,
    analyzer,
    detect,
    fold,
    stopwords,
    stopwords_of,
    supported,
    tokenize,
    words,
)

__all__ = ["KnowledgeIndex", "ScoredChunk", "fold", "normalize_query", "tokenize"]

K1 = 1.2
B = 0.75
HEADING_WEIGHT = 2
JOINED_WEIGHT = 1.0  # "tune up" → tuneup: the same thing, written apart
SPLIT_WEIGHT = 0.8  # "tuneup" → tune + up
FUZZY_WEIGHT = 0.5  # "parkng" → parking
COMPOUND_WEIGHT = 0.5  # "zeiten" → offnungszeiten
MIN_EXPANDED = 4  # shorter words are never expanded
# what a visitor's message may cost: only its start is read, longer words are never guessed
# at, and at most this many unknown words are (each guess scans the vocabulary)
MAX_QUERY_CHARS = 500
MAX_EXPANDED_CHARS = 40
MAX_EXPANDED_WORDS = 16
MAX_FUZZY = 3  # close spellings per unknown word
MAX_COMPOUNDS = 3
MIN_COMPOUND_PART = 5
_LANGUAGE_SAMPLE = 1000


def normalize_query(text: str) -> str:
    """A cache key for a visitor message: folded, whitespace collapsed, trailing punctuation dropped."""
    key = " ".join(fold(text).split())
    end = len(key)
    while end and (key[end - 1] == " " or unicodedata.category(key[end - 1]).startswith("P")):
        end -= 1
    return key[:end].lstrip("¿¡ ")


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A search hit: the chunk and its score (higher is better)."""

    chunk: Chunk
    score: float


class KnowledgeIndex:
    """BM25 over chunks. Build it with :meth:`build`; search it with :meth:`search`.

    The term weights are a compressed sparse column matrix (term → chunks, weights) from
    ``bm25s``; a search reads the columns of the query's terms only.
    """

    __slots__ = (
        "_by_length",
        "_chunks",
        "_data",
        "_document_ids",
        "_indices",
        "_indptr",
        "_keys",
        "_languages",
        "_long_blob",
        "_surface",
        "_vocab",
    )

    def __init__(
        self,
        chunks: tuple[Chunk, ...],
        languages: tuple[str, ...],
        vocab: dict[str, int],
        matrix: tuple[npt.NDArray[np.float32], npt.NDArray[np.int32], npt.NDArray[np.int64]],
        surface: dict[str, str],
    ) -> None:
        self._chunks = chunks
        self._languages = languages
        self._vocab = vocab
        self._data, self._indices, self._indptr = matrix
        self._surface = surface  # folded word as written → its term
        by_length: defaultdict[int, list[str]] = defaultdict(list)
        for word in surface:
            by_length[len(word)].append(word)
        self._by_length = {length: tuple(group) for length, group in by_length.items()}
        long_terms = (term for term in vocab if len(term) >= MIN_COMPOUND_PART + 3)
        self._long_blob = "\n" + "\n".join(long_terms) + "\n"  # searched in C for compound parts
        self._document_ids = frozenset(chunk.document_id for chunk in chunks)
        self._keys = {(chunk.document_id, chunk.ordinal): idx for idx, chunk in enumerate(chunks)}

    @classmethod
    def build(cls, chunks: Sequence[Chunk], *, language: str | None = None) -> KnowledgeIndex:
        """Index ``chunks`` (copied: changing the sequence later does not change the index).

        Each document is analysed in its own language, detected from its text (``language``,
        else English, when unsure).
        """
        kept = tuple(chunks)
        fallback = supported(language or DEFAULT_LANGUAGE)
        by_document: dict[str, list[str]] = {}
        for chunk in kept:
            sample = by_document.setdefault(chunk.document_id, [])
            if sum(map(len, sample)) < _LANGUAGE_SAMPLE:
                sample.append(chunk.text)
        document_language = {
            doc_id: detect(" ".join(texts)[:_LANGUAGE_SAMPLE], fallback)
            for doc_id, texts in by_document.items()
        }
        seen: defaultdict[str, set[str]] = defaultdict(set)  # words as written, per language
        corpus: list[list[str]] = []
        for chunk in kept:
            language = document_language[chunk.document_id]
            analysis = analyzer(language)
            body = words(chunk.text)
            terms = list(analysis.iter_terms(body))
            if chunk.heading:
                heading = words(chunk.heading)
                terms.extend(list(analysis.iter_terms(heading)) * HEADING_WEIGHT)
                body += heading
            seen[language].update(body)
            corpus.append(terms)
        surface: dict[str, str] = {}
        for language, written in seen.items():
            analysis = analyzer(language)
            stop = stopwords(language)
            for word in written:
                folded = fold(word)
                if len(folded) >= MIN_EXPANDED and folded not in stop and folded.isalpha():
                    surface.setdefault(folded, analysis.stem(word))
        languages = tuple(dict.fromkeys(document_language.values()))
        if not any(corpus):
            empty = (np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64))
            return cls(kept, languages, {}, empty, {})
        bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        bm25.index(corpus, create_empty_token=False, show_progress=False)
        scores = bm25.scores
        matrix = (
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"], dtype=np.int32),
            np.asarray(scores["indptr"], dtype=np.int64),
        )
        vocab: dict[str, int] = {str(term): int(tid) for term, tid in bm25.vocab_dict.items()}
        surface = {word: term for word, term in surface.items() if term in vocab}
        return cls(kept, languages, vocab, matrix, surface)

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self._chunks)

    @property
    def document_ids(self) -> frozenset[str]:
        """Ids of the documents the chunks come from."""
        return self._document_ids

    @property
    def languages(self) -> tuple[str, ...]:
        """The analysis languages of the documents, most common first."""
        return self._languages

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return self._chunks

    def chunk(self, document_id: str, ordinal: int) -> Chunk | None:
        """The chunk with this identity, if the index holds it."""
        idx = self._keys.get((document_id, ordinal))
        return None if idx is None else self._chunks[idx]

    def search(
        self, query: str, *, limit: int = 4, min_score: float = 0.0, language: str | None = None
    ) -> list[ScoredChunk]:
        """The best chunks for ``query``, best first; ties go by (document name, ordinal).

        Only chunks sharing a term with the query and scoring at least ``min_score`` count.
        ``language`` is the visitor's language when known (it is detected otherwise).
        """
        if limit <= 0 or not self._vocab:
            return []
        weights = self.query_terms(query, language)
        if not weights:
            return []
        scores = np.zeros(len(self._chunks), dtype=np.float32)
        data, indices, indptr = self._data, self._indices, self._indptr
        for tid, weight in weights.items():
            start, end = indptr[tid], indptr[tid + 1]
            # one column holds each chunk at most once, so a fancy-indexed add is exact
            scores[indices[start:end]] += weight * data[start:end]
        candidates = np.flatnonzero(scores > 0)
        if min_score > 0:
            candidates = candidates[scores[candidates] >= min_score]
        if not len(candidates):
            return []
        if len(candidates) > limit:
            # the limit-th best score, then every chunk at or above it (ties included)
            floor = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
            candidates = candidates[scores[candidates] >= floor]
        chunks = self._chunks
        best = sorted(
            (int(idx) for idx in candidates),
            key=lambda idx: (-scores[idx], chunks[idx].document_name, chunks[idx].ordinal, idx),
        )
        return [ScoredChunk(chunks[idx], float(scores[idx])) for idx in best[:limit]]

    def query_terms(self, query: str, language: str | None = None) -> dict[int, float]:
        """The query's term ids and their weights (1 for the words as typed, less for guesses)."""
        query = query[:MAX_QUERY_CHARS]
        tokens = words(query)
        if not tokens:
            return {}
        asked = (
            supported(language)
            if language
            else detect(query, self._languages[0] if self._languages else None)
        )
        languages = tuple(dict.fromkeys((asked, *self._languages)))
        analyzers = [analyzer(code) for code in languages]
        vocab = self._vocab
        weights: dict[int, float] = {}

        def add(terms: Iterable[str], weight: float) -> bool:
            found = False
            for term in terms:
                tid = vocab.get(term)
                if tid is not None:
                    found = True
                    if weight > weights.get(tid, 0.0):
                        weights[tid] = weight
            return found

        for analysis in analyzers:
            add(analysis.iter_terms(tokens), 1.0)
        parts = [
            part for token in tokens for part in token.replace("‐", "-").replace("‑", "-").split("-") if part
        ]
        for first, second in itertools.pairwise(parts):
            add((analysis.stem(first + second) for analysis in analyzers), JOINED_WEIGHT)
        stop = stopwords_of(languages)
        expanded = 0
        for part in dict.fromkeys(parts):
            folded = fold(part)
            if (
                not MIN_EXPANDED <= len(folded) <= MAX_EXPANDED_CHARS
                or folded in stop
                or not folded.isalpha()
            ):
                continue
            if add((a.stem(part) for a in analyzers), 1.0) or add(
                (a.stem_folded(part) for a in analyzers), 1.0
            ):
                continue
            if expanded == MAX_EXPANDED_WORDS:  # known words further on still count
                continue
            expanded += 1
            self._expand(folded, analyzers, stop, add)
        return weights

    def _expand(
        self,
        word: str,
        analyzers: list[Analyzer],
        stop: frozenset[str],
        add: Callable[[Iterable[str], float], bool],
    ) -> None:
        """Guesses for a word the knowledge does not hold: a split, close spellings, compounds.
        ``stop``: the stop words of the analyzers' languages."""
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            left_terms = [a.stem(left) for a in analyzers]
            right_terms = [a.stem(right) for a in analyzers]
            left_known = any(t in self._vocab for t in left_terms)
            right_known = any(t in self._vocab for t in right_terms)
            # both halves known, or one known and the other a short function word ("tuneup")
            if (
                (left_known or left in stop)
                and (right_known or right in stop)
                and (left_known or right_known)
            ):
                add(left_terms + right_terms, SPLIT_WEIGHT)
                return
        distance = 1 if len(word) < 8 else 2
        matches: list[tuple[int, str]] = []
        for length in range(len(word) - distance, len(word) + distance + 1):
            bucket = self._by_length.get(length)
            if bucket:
                found = process.extract(
                    word, bucket, scorer=OSA.distance, score_cutoff=distance, limit=MAX_FUZZY
                )
                matches.extend((int(score), match) for match, score, _ in found)
        if matches:
            matches.sort()
            add((self._surface[match] for _, match in matches[:MAX_FUZZY]), FUZZY_WEIGHT)
            return
        if len(word) >= MIN_COMPOUND_PART:
            compounds: dict[str, None] = {}
            for stem in {a.stem(word) for a in analyzers}:
                if len(stem) >= MIN_COMPOUND_PART - 1:
                    compounds.update(dict.fromkeys(self._compounds(stem)))
            add(list(compounds)[:MAX_COMPOUNDS], COMPOUND_WEIGHT)

    def _compounds(self, part: str) -> list[str]:
        """Long terms that start or end with ``part`` ("zeit" → offnungszeit), a few at most."""
        blob, found = self._long_blob, list[str]()
        for needle in (f"{part}\n", f"\n{part}"):
            at = blob.find(needle)
            while at >= 0 and len(found) < MAX_COMPOUNDS:
                start = blob.rfind("\n", 0, at + 1 if needle[0] == "\n" else at) + 1
                end = blob.find("\n", start)
                found.append(blob[start:end])
                at = blob.find(needle, end)
        return found
