"""Intent classification: keyword and regex rules plus similarity to example phrases.

No model and no network. ``IntentClassifier.__init__`` precomputes everything (keyword regexes,
an inverted index of TF-IDF vectors over word and character-trigram features of the examples),
so ``classify`` costs a few regex scans and a sparse dot product.

Keywords and examples match case- and accent-insensitively on whole words (a trailing plural
"s"/"es" is allowed); patterns are regexes searched case-insensitively in the raw message. A
tenant's patterns run on RE2 (linear time, ``kit.tenant_regex``); the built-in ones on ``re``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from frontdesk.kit.tenant_regex import (
    TenantRegex,
    check_total_size,
    compile_tenant_regex,
    is_supported,
)

ACTIONS = frozenset({"answer", "capture_lead", "offer_booking", "handoff"})
OTHER = "other"
DEFAULT_THRESHOLD = 0.4
# Sharing one word with a short example already gives a cosine of ~0.55 ("what languages do you
# speak" vs "can I speak to a real person?"), so similarity counts only above this floor.
SIMILARITY_FLOOR = 0.35
MAX_ITEMS = 200  # keywords, patterns or examples per intent
_SECONDARY = frozenset({"greeting"})  # a greeting that carries a request is that request
_GREETING_WORDS = 2  # words besides the greeting ("hi, anyone there?") it may carry and stay one
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,49}")
_TOKEN_RE = re.compile(r"[^\W_]+")
_STOPWORD_TEXT = """
a an the i me my we our you your it its is are was be am to of in on at for and or do does did
can could would will should this that there these those with what when how please just want like
get got
s t m d ll re ve
je tu il nous vous le la les un une des de du et est pour mon ma mes
yo el los las una y es para mi por con que
ich du der die das ein eine und ist zu mit mein meine
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# The lookbehind starts an email at the start of a word only: without it re rescans a 4,000-letter
# word from each of its letters (quadratic, 0.2 s). RE2 has no lookbehind, so this one of ours is
# checked and run by re.
_EMAIL_PATTERN = r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"
_OURS_NEEDING_RE = frozenset({_EMAIL_PATTERN})


@dataclass(frozen=True)
class IntentDefinition:
    """An intent: rules (keywords, regex patterns), example phrases and what the bot should do."""

    name: str
    keywords: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    action: str = "answer"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise ValueError(
                f"intent name {self.name!r} must start with a lowercase letter and hold only "
                "lowercase letters, digits and '_' (at most 50)"
            )
        if self.action not in ACTIONS:
            raise ValueError(
                f"intent {self.name!r}: unknown action {self.action!r}; use one of {sorted(ACTIONS)}"
            )
        for kind in ("keywords", "patterns", "examples"):
            items = getattr(self, kind)
            if not isinstance(items, list) or not all(isinstance(s, str) and s.strip() for s in items):
                raise ValueError(f"intent {self.name!r}: {kind} must be a list of non-empty strings")
            if len(items) > MAX_ITEMS:
                raise ValueError(f"intent {self.name!r}: {len(items)} {kind}; the limit is {MAX_ITEMS}")
        for i, pattern in enumerate(self.patterns, 1):
            try:
                re.compile(pattern) if pattern in _OURS_NEEDING_RE else compile_tenant_regex(pattern)
            except ValueError as exc:
                raise ValueError(f"intent {self.name!r}, pattern {i}: {exc}") from None


@dataclass(frozen=True)
class IntentResult:
    """The chosen intent, its score as confidence, its action, and every intent's score."""

    intent: str
    confidence: float
    action: str
    scores: dict[str, float]


def _split(words: str) -> list[str]:
    return [w.strip() for w in words.split("|") if w.strip()]


BUILTIN_INTENTS: tuple[IntentDefinition, ...] = (
    IntentDefinition(
        "greeting",
        keywords=_split(
            "hi|hello|hey|hiya|howdy|greetings|good morning|good afternoon|good evening|bonjour|"
            "bonsoir|salut|coucou|hola|buenos dias|buenas tardes|buenas noches|hallo|guten tag|"
            "guten morgen|guten abend|servus|moin"
        ),
        patterns=[r"^\W*(hi|hello|hey|bonjour|salut|hola|hallo)\W*$"],
        examples=[
            "hi there",
            "hello",
            "hey, how are you?",
            "good morning",
            "hi, anyone there?",
            "bonjour",
            "salut, ça va ?",
            "hola, buenos días",
            "hallo, guten Tag",
        ],
    ),
    IntentDefinition(
        "pricing",
        keywords=_split(
            "price|pricing|cost|how much|fee|plan|subscription|quote|rate|expensive|cheap|discount|"
            "per month|prix|tarif|combien|coute|abonnement|devis|precio|cuanto cuesta|cuesta|tarifa|"
            "coste|presupuesto|preis|kosten|kostet|wie viel|wieviel|angebot"
        ),
        patterns=[r"\bhow much\b", r"[$€£]\s?\d", r"\b\d+(?:[.,]\d+)?\s?(?:usd|eur|gbp|dollars?|euros?)\b"],
        examples=[
            "how much does it cost?",
            "what are your prices?",
            "how much is the pro plan?",
            "do you have a free plan?",
            "can I get a quote?",
            "is there a discount for annual billing?",
            "combien coûte l'abonnement ?",
            "quels sont vos tarifs ?",
            "¿cuánto cuesta el plan?",
            "¿cuál es el precio?",
            "was kostet das?",
            "wie viel kostet das Abo?",
        ],
    ),
    IntentDefinition(
        "booking",
        keywords=_split(
            "book|booking|appointment|reserve|reservation|schedule|reschedule|available slot|"
            "availability|demo|consultation|rendez vous|rdv|reserver|reservar|cita|termin|buchen|"
            "reservieren"
        ),
        patterns=[
            r"\b(book|schedule|arrange|set up)\b.{0,40}"
            r"\b(appointment|meeting|call|demo|table|slot|session|visit)",
            r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)\b.{0,20}"
            r"\b(at\s)?\d{1,2}(:\d\d)?\s?(am|pm)\b",
        ],
        examples=[
            "can I book an appointment?",
            "I'd like to schedule a demo",
            "do you have availability on friday?",
            "I want to reserve a table for two",
            "can we set up a call next week?",
            "I need to reschedule my appointment",
            "je voudrais prendre rendez-vous",
            "quiero reservar una cita",
            "ich möchte einen Termin buchen",
        ],
        action="offer_booking",
    ),
    IntentDefinition(
        "contact",
        keywords=_split(
            "contact me|call me|email me|reach me|get in touch|call back|callback|my email|my phone|"
            "my number|reach out|sales team|talk to sales"
        ),
        # raw emails, and the placeholders redaction leaves for a real email or phone number — not
        # any long digit run (an order reference is not a wish to be contacted)
        patterns=[_EMAIL_PATTERN, r"\[(?:EMAIL|PHONE)\]"],
        examples=[
            "please contact me at jo@example.com",
            "can someone call me back?",
            "here is my number",
            "I'd like someone from sales to reach out",
            "my email is anna@example.org",
            "get in touch with me please",
        ],
        action="capture_lead",
    ),
    IntentDefinition(
        "support",
        keywords=_split(
            "help|issue|problem|error|bug|broken|crash|not working|doesn't work|does not work|"
            "can't log in|cannot log in|log in|login|password|reset|stuck|fails|failed|troubleshoot|"
            "fix"
        ),
        patterns=[
            r"\b(can'?t|cannot|unable to|won'?t|doesn'?t|does not|isn'?t)\s+"
            r"(log|sign|connect|load|open|work|start)"
        ],
        examples=[
            "my app crashes when I log in",
            "I can't reset my password",
            "the page shows an error",
            "it doesn't work anymore",
            "I need help with my account",
            "the sync keeps failing",
            "how do I fix this bug?",
        ],
    ),
    IntentDefinition(
        "human_handoff",
        keywords=_split(
            "human|real person|agent|operator|representative|live agent|someone real|talk to someone|"
            "speak to someone|humain|conseiller|une vraie personne|humano|una persona real|agente|"
            "mensch|menschen|mitarbeiter|echte person"
        ),
        patterns=[
            r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|some|the|your)?\s*"
            r"(human|person|agent|someone|somebody|representative|rep|operator|real)",
        ],
        examples=[
            "I want to talk to a human",
            "can I speak to a real person?",
            "get me an agent",
            "connect me to a representative",
            "je veux parler à un humain",
            "quiero hablar con una persona",
            "ich möchte mit einem Menschen sprechen",
        ],
        action="handoff",
    ),
    IntentDefinition(
        "complaint",
        keywords=_split(
            "unacceptable|terrible|awful|horrible|worst|refund|complaint|complain|disappointed|angry|"
            "furious|ridiculous|scam|rip off|money back|compensation|outrageous|disgusted|"
            "poor service|never again"
        ),
        patterns=[r"\b(want|demand|need)\s+(a\s+|my\s+)?(refund|money back)"],
        examples=[
            "this is unacceptable",
            "I want a refund",
            "your service is terrible",
            "I'm very disappointed with my order",
            "I want to file a complaint",
            "give me my money back",
        ],
    ),
    IntentDefinition(OTHER),
)


_BUILTIN_PATTERNS = frozenset(p for d in BUILTIN_INTENTS for p in d.patterns)


def _fold(text: str) -> str:
    """Lowercase, strip accents, keep letters and digits as space-separated words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_TOKEN_RE.findall(stripped))


def _stem(word: str) -> str:
    """Crude suffix stripping so that "crashing", "crashes" and "crashed" share a feature."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _features(folded: str) -> dict[str, float]:
    """Word and character-trigram features of the content words (all words if none is)."""
    words = folded.split()
    content = [w for w in words if w not in _STOPWORDS] or words
    feats: dict[str, float] = defaultdict(float)
    for w in content:
        feats["w:" + _stem(w)] += 1.0
        padded = f" {w} "
        trigrams = [padded[i : i + 3] for i in range(len(padded) - 2)]
        for t in trigrams:
            feats["c:" + t] += 1.0 / len(trigrams)
    return feats


def _keyword_regex(keywords: Sequence[str]) -> re.Pattern[str] | None:
    phrases = sorted({f for k in keywords if (f := _fold(k))}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, phrases)) + r")(?:e?s)?(?!\S)")


@dataclass(frozen=True)
class _Rules:
    keywords: re.Pattern[str] | None
    patterns: tuple[re.Pattern[str] | TenantRegex, ...]


def _compile_pattern(pattern: str) -> re.Pattern[str] | TenantRegex:
    """Ours on ``re`` (Unicode ``\\w``, ``\\b``); anything a tenant wrote on RE2, which cannot hang."""
    if pattern in _BUILTIN_PATTERNS:
        return re.compile(pattern, re.IGNORECASE)
    return compile_tenant_regex(pattern, ignore_case=True)


class IntentClassifier:
    """Classifies a message among the built-in intents plus a tenant's own (which win by name)."""

    def __init__(
        self,
        intents: Sequence[IntentDefinition] = (),
        *,
        include_builtins: bool = True,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        merged = {d.name: d for d in BUILTIN_INTENTS} if include_builtins else {}
        merged.update({d.name: d for d in intents})
        merged.setdefault(OTHER, IntentDefinition(OTHER))
        self.intents: dict[str, IntentDefinition] = merged
        self.threshold = threshold
        self._rules = {
            d.name: _Rules(
                _keyword_regex(d.keywords),
                tuple(_compile_pattern(p) for p in d.patterns),
            )
            for d in merged.values()
        }
        self._build_index([(d.name, e) for d in merged.values() for e in d.examples])

    def _build_index(self, examples: list[tuple[str, str]]) -> None:
        docs = [_features(_fold(text)) for _, text in examples]
        df = Counter(f for doc in docs for f in doc)
        self._idf = {f: math.log((1 + len(docs)) / (1 + n)) + 1.0 for f, n in df.items()}
        self._example_intent = [name for name, _ in examples]
        self._index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            vec = self._weigh(doc)
            for f, w in vec.items():
                self._index[f].append((i, w))

    def _weigh(self, feats: Mapping[str, float]) -> dict[str, float]:
        vec = {f: tf * self._idf[f] for f, tf in feats.items() if f in self._idf}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {f: w / norm for f, w in vec.items()} if norm else {}

    def _similarities(self, folded: str) -> dict[str, float]:
        """Highest cosine similarity to any example, per intent."""
        dots: dict[int, float] = defaultdict(float)
        for f, w in self._weigh(_features(folded)).items():
            for i, ew in self._index.get(f, ()):
                dots[i] += w * ew
        best: dict[str, float] = {}
        for i, dot in dots.items():
            name = self._example_intent[i]
            best[name] = max(best.get(name, 0.0), dot)
        return best

    def scores(self, text: str) -> dict[str, float]:
        """Score in [0, 1] per intent: rule hits and example similarity, combined as a noisy-OR."""
        folded = _fold(text)
        sims = self._similarities(folded)
        out: dict[str, float] = {}
        for name, rules in self._rules.items():
            keyword_hits = len(set(rules.keywords.findall(folded))) if rules.keywords else 0
            pattern_hits = sum(1 for p in rules.patterns if p.search(text))
            rule = 1.0 - 0.5 ** (keyword_hits + 1.5 * pattern_hits)
            sim = max(0.0, min(1.0, sims.get(name, 0.0)) - SIMILARITY_FLOOR) / (1.0 - SIMILARITY_FLOOR)
            out[name] = round(1.0 - (1.0 - rule) * (1.0 - sim), 4)
        return out

    def classify(self, text: str) -> IntentResult:
        """The best intent, or ``other`` (with the best, sub-threshold score) when none is clear."""
        scores = self.scores(text)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0]
        if best in _SECONDARY and (
            (len(ranked) > 1 and ranked[1][1] >= self.threshold) or self._carries_more(best, text)
        ):
            # a greeting wins only when the message is essentially a greeting: "morning!" is one,
            # "what time does the saturday morning ride leave" is a question
            best, score = ranked[1] if len(ranked) > 1 else (OTHER, 0.0)
        if score < self.threshold:
            best = OTHER
        return IntentResult(best, score, self.intents[best].action, scores)

    def _carries_more(self, name: str, text: str) -> bool:
        """Whether the message holds more than a few words besides ``name``'s keywords."""
        folded = _fold(text)
        rules = self._rules.get(name)
        if rules is not None and rules.keywords is not None:
            folded = rules.keywords.sub(" ", folded)
        return len([w for w in folded.split() if w not in _STOPWORDS]) > _GREETING_WORDS


_CONFIG_KEYS = {f.name for f in fields(IntentDefinition)}
_BUILTINS_BY_NAME = {d.name: d for d in BUILTIN_INTENTS}


def _string_list(where: str, key: str, value: object) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings")
    return list(value)


def intents_from_config(data: list[dict[str, Any]]) -> list[IntentDefinition]:
    """Tenant intents from JSON-like config; raises ``ValueError`` naming the bad entry.

    An entry named like a built-in intent overrides it, and keeps the built-in's values for the
    keys it leaves out (``{"name": "pricing", "action": "capture_lead"}`` only changes the action).
    """
    if not isinstance(data, list):
        raise ValueError("intents must be a list of objects")
    result: list[IntentDefinition] = []
    seen: set[str] = set()
    for i, entry in enumerate(data, 1):
        where = f"intent #{i}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object, not {type(entry).__name__}")
        unknown = sorted(set(entry) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(_CONFIG_KEYS)}")
        name = entry.get("name")
        if not isinstance(name, str):
            raise ValueError(f"{where}: 'name' is required and must be a string")
        where = f"intent #{i} ({name!r})"
        if name in seen:
            raise ValueError(f"{where}: defined twice")
        seen.add(name)
        base = _BUILTINS_BY_NAME.get(name, IntentDefinition(OTHER))
        lists = {
            key: _string_list(where, key, entry.get(key, getattr(base, key)))
            for key in ("keywords", "patterns", "examples")
        }
        action = entry.get("action", base.action)
        if not isinstance(action, str):
            raise ValueError(f"{where}: 'action' must be a string")
        try:
            definition = IntentDefinition(name, action=action, **lists)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if name != OTHER and not (definition.keywords or definition.patterns or definition.examples):
            raise ValueError(f"{where}: no keywords, patterns or examples, so it could never match")
        result.append(definition)
    check_total_size(_tenant_regexes(result), "the intent patterns")
    return result


def _tenant_regexes(definitions: list[IntentDefinition]) -> list[TenantRegex]:
    return [
        compile_tenant_regex(p, ignore_case=True)
        for d in definitions
        for p in d.patterns
        if p not in _OURS_NEEDING_RE
    ]


def intents_from_stored_config(data: list[dict[str, Any]]) -> tuple[list[IntentDefinition], list[str]]:
    """Like :func:`intents_from_config`, for a config saved under older rules: a pattern RE2 refuses
    is left out (and an intent left with nothing to match on), not the tenant's whole bot. Returns
    the definitions and what was left out, to log."""
    kept: list[IntentDefinition] = []
    skipped: list[str] = []
    for entry in data:
        entry = dict(entry)
        patterns = entry.get("patterns")
        if isinstance(patterns, list):
            usable = [p for p in patterns if isinstance(p, str) and is_supported(p)]
            skipped += [f"intent {entry.get('name')!r}: pattern {p!r}" for p in patterns if p not in usable]
            entry["patterns"] = usable
        try:
            candidate = intents_from_config([entry])
            check_total_size(_tenant_regexes(kept + candidate), "the intent patterns")
        except ValueError as exc:
            skipped.append(str(exc))
            continue
        kept += candidate
    return kept, skipped
