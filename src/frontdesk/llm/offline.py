"""``OfflineResponder``: useful answers with no LLM at all.

Used when no API key is configured or when the LLM fails. It answers from the knowledge
chunks the retriever found (best first) and a few intent templates, in English, French,
German or Spanish (anything else falls back to English): it quotes the sentence(s) of the
best chunk that share the most stems with the question (a Q&A entry answers with its
answer), and says it doesn't know only when no knowledge was found.

``answer(...)`` takes everything explicitly. ``complete``/``stream`` fit the
``LLMProvider`` protocol: they answer ``req.user_message`` with the ``OfflineContext``
given at construction (token usage is 0; nothing was sent anywhere).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from frontdesk.llm.base import LLMRequest, LLMResult, LLMStream
from frontdesk.nlu.analysis import analyzer, detect, fold, stopwords_of, words

PROVIDER_NAME = "offline"
MAX_CHARS = 600

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hi! Welcome to {business}. How can I help you today?",
        "greeting_plain": "Hi! How can I help you today?",
        "found": "Here's what I found: {text}",
        "unknown": "I don't have that information yet — leave your email and the team will get back to you.",
        "handoff": "I'll connect you with a person from the team. Leave your email in case they can't "
        "reply right away, and they'll get back to you.",
        "booking": "You can book a time here: {url}",
        "thanks": "You're welcome! Is there anything else I can help with?",
        "goodbye": "Thanks for stopping by — have a great day!",
    },
    "fr": {
        "greeting": "Bonjour ! Bienvenue chez {business}. Comment puis-je vous aider ?",
        "greeting_plain": "Bonjour ! Comment puis-je vous aider ?",
        "found": "Voici ce que j'ai trouvé : {text}",
        "unknown": "Je n'ai pas encore cette information — laissez votre e-mail et l'équipe vous répondra.",
        "handoff": "Je vous mets en relation avec une personne de l'équipe. Laissez votre e-mail au cas "
        "où elle ne pourrait pas répondre tout de suite, et elle reviendra vers vous.",
        "booking": "Vous pouvez réserver un créneau ici : {url}",
        "thanks": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "goodbye": "Merci de votre visite, excellente journée !",
    },
    "de": {
        "greeting": "Hallo! Willkommen bei {business}. Wie kann ich Ihnen helfen?",
        "greeting_plain": "Hallo! Wie kann ich Ihnen helfen?",
        "found": "Das habe ich gefunden: {text}",
        "unknown": "Diese Information habe ich leider noch nicht — hinterlassen Sie Ihre E-Mail-Adresse, "
        "und das Team meldet sich bei Ihnen.",
        "handoff": "Ich verbinde Sie mit einer Person aus dem Team. Hinterlassen Sie Ihre E-Mail-Adresse, "
        "falls niemand sofort antworten kann — das Team meldet sich bei Ihnen.",
        "booking": "Hier können Sie einen Termin buchen: {url}",
        "thanks": "Gern geschehen! Kann ich sonst noch helfen?",
        "goodbye": "Danke für Ihren Besuch und einen schönen Tag!",
    },
    "es": {
        "greeting": "¡Hola! Bienvenido a {business}. ¿En qué puedo ayudarte?",
        "greeting_plain": "¡Hola! ¿En qué puedo ayudarte?",
        "found": "Esto es lo que encontré: {text}",
        "unknown": "Todavía no tengo esa información — deja tu correo electrónico y el equipo se pondrá "
        "en contacto contigo.",
        "handoff": "Te pongo en contacto con una persona del equipo. Deja tu correo electrónico por si no "
        "pueden responder enseguida, y se pondrán en contacto contigo.",
        "booking": "Puedes reservar una cita aquí: {url}",
        "thanks": "¡De nada! ¿Puedo ayudarte con algo más?",
        "goodbye": "¡Gracias por tu visita, que tengas un buen día!",
    },
}

INTENT_ALIASES = {
    "greeting": "greeting",
    "hello": "greeting",
    "handoff": "handoff",
    "human": "handoff",
    "human_handoff": "handoff",
    "agent": "handoff",
    "booking": "booking",
    "appointment": "booking",
    "thanks": "thanks",
    "goodbye": "goodbye",
}

# a sentence ends before a capital or a digit (so "7:30 a.m. – 2:00 p.m." stays whole)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[^\W\d_a-zß-ÿ]|[\d\"«(¿¡])")
_DELTA = re.compile(r"\S+\s*|\s+")
_QA = re.compile(r"\AQ: (?P<q>.*?)\nA: (?P<a>.*)\Z", re.DOTALL)
_MARKUP = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#{1,6})\s+|\*\*|__|`")
_LABEL = re.compile(r"^([^:.!?]{1,40}):\s+(?=\S)")
_HAS_TEXT = re.compile(r"[^\W_]")
_CANDIDATES = 8  # the best-ranked chunks the answer may come from
_RANK_DISCOUNT = 0.05  # per rank: a lower-ranked chunk needs a better sentence
_WANTED_BONUS = 1.0
_FIRST_LABEL = 0.5  # the first line's label ("Opening hours: …") is the section's title
_LABEL_WEIGHT = 1.5  # other lines' labels ("Saturday: …", a table row's first cell)
_MIN_GUESSED = 4  # shorter words are never matched by a close spelling
_PRICE_QUESTION = re.compile(
    r"\b(?:price|prices|pricing|cost|costs|how much|charge|charges|fee|fees|rate|rates|prix|tarifs?|combien|"
    r"co[uû]te?s?|preise?|kostet|kosten|gebühr|precios?|cu[aá]nto|cuesta|prezzo|quanto|custa)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\d\s?(?:€|\$|£|eur\b|euros?\b|usd\b|chf\b|dollars?\b|pounds?\b)", re.IGNORECASE
)
_TIME_QUESTION = re.compile(
    r"\b(?:when|what time|hours|open|opens|opening|close|closes|closing|quand|heures?|horaires?|ouvert|ouvre|"
    r"ouvrez|ferm\w*|wann|uhr|öffnungszeiten|geöffnet|cu[aá]ndo|horarios?|abierto)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b\d{1,2}(?:[:h.]\d{2}|\s?(?:am|pm|a\.m\.|p\.m\.|h\b|uhr\b))|\bclosed\b|\bfermé", re.IGNORECASE
)
_WANTS = ((_PRICE_QUESTION, _MONEY), (_TIME_QUESTION, _TIME))
_PAIR_CHARS = 350  # the best sentence and the next one of its chunk are quoted together up to this
_CACHED_CHARS = 1_000  # a knowledge sentence's stems are cached up to this length
_SHORT = 3  # a sentence of fewer words ("Yes.", "Prices:") is followed by the next one


@dataclass(frozen=True)
class OfflineContext:
    intent: str = "question"
    knowledge: Sequence[str] = ()
    language: str | None = None
    business_name: str = ""
    greeting: str | None = None
    booking_url: str | None = None


def _lang(language: str | None) -> str:
    code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return code if code in TEMPLATES else "en"


@dataclass(frozen=True)
class _Passage:
    """A knowledge chunk read for answering: its heading, and its sentences or its answer."""

    heading: str
    units: tuple[str, ...]
    qa: bool
    lines: tuple[int, ...] = ()  # the line (paragraph, row, list item) each unit comes from


@lru_cache(maxsize=4_096)
def _passage(text: str) -> _Passage:
    heading = ""
    if text.startswith("## "):
        heading, _, text = text[3:].partition("\n")
    if m := _QA.match(text.strip()):
        return _Passage(m.group("q"), (" ".join(m.group("a").split()),), qa=True)
    units: list[str] = []
    line_of: list[int] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.lstrip().startswith("|"):  # a table row: "Basic Tune-Up: £55, Gear and brake adjustment"
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            following = lines[n + 1].strip() if n + 1 < len(lines) else ""
            if not any(_HAS_TEXT.search(cell) for cell in cells) or (
                following.startswith("|") and not _HAS_TEXT.search(following)
            ):
                continue  # the |---|---| rule, and the header row above it
            line = f"{cells[0]}: {', '.join(c for c in cells[1:] if c)}" if len(cells) > 1 else cells[0]
        line = " ".join(_MARKUP.sub("", line).split())
        for unit in _SENTENCE_END.split(line):
            if _HAS_TEXT.search(unit):
                units.append(unit)
                line_of.append(n)
    return _Passage(heading, tuple(units), qa=False, lines=tuple(line_of))


class _Scorer:
    """Scores text against a question by shared stems (the analysis retrieval uses),
    each stem weighted by how rare it is among the candidate sentences."""

    def __init__(self, question: str, passages: Sequence[_Passage], languages: Sequence[str]) -> None:
        self.languages = tuple(dict.fromkeys(languages))
        self.asked = set(self.question_terms(question))
        texts = [u for p in passages for u in (p.heading, *p.units) if u]
        units = [self.terms(u) for u in texts]
        known = set().union(*units)
        guesses = self._close_spellings(question, texts, known)
        self.asked |= set(guesses)
        count = max(1, len(units))
        self.idf = {
            term: guesses.get(term, 1.0) * math.log(1 + count / max(1, sum(term in u for u in units)))
            for term in self.asked
        }
        # a question about a price or a time prefers sentences that state one
        self.wants = [pattern for question_pattern, pattern in _WANTS if question_pattern.search(question)]

    def _close_spellings(self, question: str, texts: Sequence[str], known: set[str]) -> dict[str, float]:
        """Terms of the knowledge's words within an edit of a question word it does not hold
        ("macrons" → macarons), at half weight: the same guess retrieval makes."""
        written = {fold(w) for text in texts for w in words(text) if len(w) >= _MIN_GUESSED}
        guesses: dict[str, float] = {}
        for word in words(question):
            folded = fold(word)
            asked = self.question_terms(word)
            if len(folded) < _MIN_GUESSED or asked & known or not asked:
                continue
            limit = 1 if len(folded) < 8 else 2
            for match, _, _ in process.extract(
                folded, written, scorer=OSA.distance, score_cutoff=limit, limit=2
            ):
                for term in self.terms(match):
                    guesses.setdefault(term, 0.5)
        return guesses

    def terms(self, text: str) -> frozenset[str]:
        """The stems of a knowledge text: cached, the same chunks answer many questions."""
        if len(text) > _CACHED_CHARS:
            return _terms.__wrapped__(text, self.languages)
        return _terms(text, self.languages)

    def question_terms(self, text: str) -> frozenset[str]:
        """The stems of the visitor's words: never cached (a visitor could fill the cache)."""
        return _terms.__wrapped__(text, self.languages)

    def score(self, text: str, *, label_weight: float = 1.0) -> float:
        """Shared stems' weights; a leading label ("Saturday: …") counts ``label_weight``."""
        if not self.asked:
            return 0.0
        label = ""
        if (m := _LABEL.match(text)) is not None:
            label, text = m.group(1), text[m.end() :]
        found = self.asked & self.terms(text)
        labelled = (self.asked & self.terms(label)) - found if label else set()
        return sum(self.idf[t] for t in found) + label_weight * sum(self.idf[t] for t in labelled)

    def bonus(self, text: str) -> float:
        return sum(_WANTED_BONUS for pattern in self.wants if pattern.search(text))


@lru_cache(maxsize=8_192)
def _terms(text: str, languages: tuple[str, ...]) -> frozenset[str]:
    """The stems of ``text`` in each of ``languages`` (cached: the same chunks answer many questions).

    A stop word of any language read ("le", "vous", "the") is no evidence in another's stemmer.
    """
    analyzers = [analyzer(code) for code in languages]
    stop = stopwords_of(languages)
    tokens = [t for t in words(text) if fold(t) not in stop]
    found: set[str] = set()
    for a in analyzers:
        found.update(a.iter_terms(tokens))
    return frozenset(found)


def best_answer(knowledge: Sequence[str], question: str | None, language: str | None = None) -> str:
    """The sentence(s) of the retrieved knowledge that answer ``question``.

    ``knowledge`` is ranked best first. Each sentence or line of the first few chunks is
    scored by the (rare) stems it shares with the question (stop words of every language
    read left out), plus half its section heading's, plus a bonus when the question asks
    for a price or a time and the sentence states one, with a small discount per rank. The
    best is quoted, with the next sentence of its paragraph when the two stay short and
    the next one is about the same thing (a fact often follows the sentence that names the
    subject: "We lend vintage bikes for weddings. Prices start at £60 per bike per day.");
    a line or table row is never followed by the next row. With no stem shared, the start
    of the best chunk. A Q&A chunk is scored by its question and answer and answers with
    its answer.
    """
    passages = [p for p in (_passage(k) for k in knowledge[:_CANDIDATES]) if p.units]
    if not passages:
        return ""
    sample = " ".join(u for p in passages[:2] for u in p.units)[:300]  # enough to tell a language
    scorer = _Scorer(question or "", passages, [language or "en", _detect(sample, language or "en"), "en"])
    # every candidate sentence (a Q&A entry: its question and answer as one)
    keys: list[tuple[int, int]] = []
    texts: list[str] = []
    lexical: list[float] = []
    for rank, passage in enumerate(passages):
        context = 0.5 * scorer.score(passage.heading)
        if passage.qa:
            keys.append((rank, 0))
            texts.append(f"{passage.heading} {passage.units[0]}")
            lexical.append(
                scorer.score(f"{passage.heading}\n{passage.units[0]}") + scorer.bonus(passage.units[0])
            )
            continue
        for i, unit in enumerate(passage.units):
            shared = scorer.score(
                unit, label_weight=_FIRST_LABEL if i == 0 and not passage.heading else _LABEL_WEIGHT
            )
            keys.append((rank, i))
            texts.append(unit)
            lexical.append(context + shared + scorer.bonus(unit) if shared > 0 else 0.0)
    # a lower-ranked chunk needs a better sentence; ties go to the better-ranked chunk
    scores = [lexical[n] * (1.0 - _RANK_DISCOUNT * keys[n][0]) for n in range(len(keys))]
    best = max(range(len(keys)), key=lambda n: scores[n])
    rank, index = keys[best]
    passage = passages[rank]
    if passage.qa:
        return _trim(passage.units[0])
    chosen = [index]
    following = index + 1
    if following < len(passage.units):
        unit, after = passage.units[index], passage.units[following]
        if (
            len(unit.split()) < _SHORT
            or unit.endswith(":")
            # the rest of the paragraph about the same thing ("… for weddings. Prices start at £60 …")
            or (
                passage.lines[index] == passage.lines[following]
                and len(unit) + len(after) <= _PAIR_CHARS
                and scorer.terms(after) & (scorer.terms(unit) | scorer.asked)
            )
        ):
            chosen.append(following)
    return _trim(" ".join(passage.units[i] for i in chosen))


@lru_cache(maxsize=1024)
def _detect(sample: str, fallback: str) -> str:
    return detect(sample, fallback)


def _trim(text: str) -> str:
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


class OfflineResponder:
    name = PROVIDER_NAME

    def __init__(self, context: OfflineContext | None = None) -> None:
        self.context = context or OfflineContext()

    def answer(
        self,
        *,
        intent: str,
        knowledge: Sequence[str],
        language: str | None,
        business_name: str,
        greeting: str | None,
        booking_url: str | None,
        question: str | None = None,
    ) -> str:
        """The reply for this intent. ``knowledge`` is ranked best first; with ``question``,
        the reply quotes the sentence(s) that answer it (see ``best_answer``)."""
        t = TEMPLATES[_lang(language)]
        kind = INTENT_ALIASES.get(intent.strip().lower(), "question")
        business = business_name.strip()
        if kind == "greeting":
            if greeting and greeting.strip():
                return greeting.strip()
            return t["greeting"].format(business=business) if business else t["greeting_plain"]
        if kind in ("handoff", "thanks", "goodbye"):
            return t[kind]
        if kind == "booking" and booking_url:
            return t["booking"].format(url=booking_url)
        text = best_answer([c for c in knowledge if c.strip()], question, language)
        return t["found"].format(text=text) if text else t["unknown"]

    async def complete(self, req: LLMRequest) -> LLMResult:
        started = time.perf_counter()
        text = self._answer(req)
        return self._result(text, started)

    def stream(self, req: LLMRequest) -> LLMStream:
        return LLMStream(self._stream(req))

    async def _stream(self, req: LLMRequest) -> AsyncIterator[str | LLMResult]:
        started = time.perf_counter()
        text = self._answer(req)
        for delta in _DELTA.findall(text):
            yield delta
        yield self._result(text, started)

    def _answer(self, req: LLMRequest) -> str:
        ctx = self.context
        return self.answer(
            intent=ctx.intent,
            knowledge=ctx.knowledge,
            language=ctx.language,
            business_name=ctx.business_name,
            greeting=ctx.greeting,
            booking_url=ctx.booking_url,
            question=req.user_message,
        )

    def _result(self, text: str, started: float) -> LLMResult:
        return LLMResult(
            text=text,
            model=PROVIDER_NAME,
            prompt_tokens=0,
            completion_tokens=0,
            latency_ms=int((time.perf_counter() - started) * 1000),
            provider=self.name,
        )
