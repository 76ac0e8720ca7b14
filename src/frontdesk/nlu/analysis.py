"""Lexical analysis for retrieval: words → index terms, per language.

A term is a word, lowercased, stemmed by its language's Snowball stemmer (PyStemmer) and
then stripped of accents, so "Opening", "open" and "opens" meet, and "coûte" meets
"coute". Stop words come from the lists ``bm25s`` ships (NLTK's), plus a few question
words. Hyphenated words are indexed as their parts and joined ("tune-up" → tune, tuneup),
so "tuneup", "tune-up" and "tune up" (whose adjacent words the query side joins) meet.

Stemmers hold internal state: each thread gets its own (index builds run in workers).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain

import Stemmer
from bm25s import stopwords as _bm25s_stopwords

from frontdesk.nlu.language import detect_language

DEFAULT_LANGUAGE = "en"

# Combining diacritical mark blocks (Latin, Greek, Cyrillic accents); other scripts' marks are kept.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# A word, with the parts of a hyphenated compound kept together ("tune-up", "check-ups").
_TOKEN = re.compile(r"[^\W_]+(?:[-‐‑][^\W_]+)*")
_HYPHENS = re.compile(r"[-‐‑]")

# Snowball algorithm and stop word list per language (ISO 639-1).
_STEMMERS = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "ru": "russian",
    "tr": "turkish",
    "pl": "polish",
}
_STOPWORD_LISTS: dict[str, tuple[str, ...]] = {
    "en": _bm25s_stopwords.STOPWORDS_EN_PLUS,
    "fr": _bm25s_stopwords.STOPWORDS_FRENCH,
    "de": _bm25s_stopwords.STOPWORDS_GERMAN,
    "es": _bm25s_stopwords.STOPWORDS_SPANISH,
    "it": _bm25s_stopwords.STOPWORDS_ITALIAN,
    "pt": _bm25s_stopwords.STOPWORDS_PORTUGUESE,
    "nl": _bm25s_stopwords.STOPWORDS_DUTCH,
    "sv": _bm25s_stopwords.STOPWORDS_SWEDISH,
    "da": _bm25s_stopwords.STOPWORDS_DANISH,
    "ru": _bm25s_stopwords.STOPWORDS_RUSSIAN,
    "tr": _bm25s_stopwords.STOPWORDS_TURKISH,
}
# Question and filler words the lists above keep, which would otherwise match any text.
_EXTRA_STOPWORDS = {
    "en": "could would please hi hello thanks thank also may might get got want need much many us "
    "anything something everything",
    "fr": "quel quelle quels quelles quand comment où combien pourquoi est-ce puis peux peut pouvez "
    "bonjour merci svp",
    "de": "wann wie wo was warum wieviel wieviele welche welcher welches kann können könnt bitte "
    "hallo danke gibt",
    "es": "cuál cuáles cuándo cómo dónde cuánto cuánta cuántos cuántas puedo puede pueden hola gracias",
    "it": "quando dove quanto quanta quanti quante perché posso può potete ciao grazie",
    "pt": "quando onde quanto quanta quantos quantas porque posso pode podem olá obrigado",
    "nl": "wanneer waar hoeveel waarom welke kan kunnen hallo dank bedankt",
}


def fold(text: str) -> str:
    """Lowercase and strip accents: "Öffnungszeiten à Zürich" → "offnungszeiten a zurich"."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def supported(language: str | None) -> str:
    """The analysis language for an ISO code ("fr-CA" → "fr"); unknown ones get no stemmer."""
    code = (language or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    return code or DEFAULT_LANGUAGE


def detect(text: str, fallback: str | None = DEFAULT_LANGUAGE) -> str:
    """The language of a text for analysis (its first 1,000 characters), ``fallback`` when unsure."""
    return supported(detect_language(text, fallback=fallback))


@lru_cache(maxsize=64)
def stopwords(language: str) -> frozenset[str]:
    """Folded stop words of a language (empty for a language without a list)."""
    words = list(_STOPWORD_LISTS.get(language, ())) + _EXTRA_STOPWORDS.get(language, "").split()
    # single letters left by elisions and contractions (l'heure, don't) never carry meaning
    letters = "abcdefghijklmnopqrstuvwxyz" if language in _STOPWORD_LISTS else ""
    return frozenset(fold(w) for w in words) | frozenset(letters) | {"ll", "re", "ve", "qu"}


_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    algorithm = _STEMMERS.get(language)
    if algorithm is None:
        return None
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = Stemmer.Stemmer(algorithm, 50_000)
    return stemmer


def words(text: str) -> list[str]:
    """The lowercased words of ``text``, hyphenated compounds in one piece ("tune-up")."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Turns text into index terms for one language."""

    language: str

    def stem(self, word: str) -> str:
        """The term of one lowercased word: stemmed, then folded."""
        stemmer = _stemmer(self.language)
        stemmed = stemmer.stemWord(word) if stemmer is not None else word
        return fold(stemmed)

    def stem_folded(self, word: str) -> str:
        """The term of a word typed without its accents ("reservee" for "réservée")."""
        return self.stem(fold(word))

    def terms(self, text: str) -> list[str]:
        """Index terms of ``text``, in order, with repeats (they count for term frequency)."""
        return list(self.iter_terms(words(text)))

    def iter_terms(self, tokens: Iterable[str]) -> Iterator[str]:
        return chain.from_iterable(map(partial(_word_terms, self.language), tokens))


@lru_cache(maxsize=50_000)
def _word_terms(language: str, token: str) -> tuple[str, ...]:
    """The terms of one lowercased word (words repeat: this is what makes indexing fast)."""
    stop = stopwords(language)
    stemmer = _stemmer(language)
    parts = _HYPHENS.split(token) if "-" in token or "‐" in token or "‑" in token else (token,)
    terms: list[str] = []
    for part in parts:
        folded = fold(part)
        if folded in stop:
            continue
        stemmed = fold(stemmer.stemWord(part)) if stemmer is not None else folded
        terms.append(stemmed)
        if stemmer is not None and not part.isascii():
            # typed without accents, a word may stem differently: index that form too
            plain = stemmer.stemWord(folded)
            if plain != stemmed:
                terms.append(plain)
    if len(parts) > 1:
        joined = "".join(parts)
        terms.append(fold(stemmer.stemWord(joined)) if stemmer is not None else fold(joined))
    return tuple(terms)


@lru_cache(maxsize=256)
def stopwords_of(languages: tuple[str, ...]) -> frozenset[str]:
    """The stop words of every one of ``languages`` (a word is no evidence in any language read)."""
    return frozenset().union(*(stopwords(supported(code)) for code in languages))


@lru_cache(maxsize=64)
def analyzer(language: str | None) -> Analyzer:
    """The analyzer of a language (any code; languages without a stemmer only fold words)."""
    return Analyzer(supported(language))


def tokenize(text: str, language: str | None = DEFAULT_LANGUAGE) -> list[str]:
    """Index terms of ``text`` in ``language``: folded, stop words dropped, stemmed."""
    return analyzer(language).terms(text)
