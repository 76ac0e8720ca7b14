"""Language detection with lingua: one low-accuracy detector per process, built on first use.

Low-accuracy mode keeps the detector at ~40-55 MB instead of hundreds (see DESIGN.md), but it
is unreliable on short texts, so text that is too short, a low confidence, or a guess that the
text's function words contradict ("I forgot my password" read as Italian) all give ``fallback``:
the conversation's or tenant's language.
"""

from __future__ import annotations

import re
import threading

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED_LANGUAGES = (
    "en",
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "sv",
    "da",
    "ru",
    "tr",
    "ar",
    "zh",
    "ja",
)
MIN_CONFIDENCE = 0.75
MIN_LETTERS = 15
MIN_WORDS = 3
MAX_CHARS = 1000  # the start of a long message is enough to tell its language

_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"[^\W\d_]+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# Very common words per Latin-script language: a guess with none of its own while the text
# has another language's is vetoed. Overlaps between languages are harmless.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "i you he she it we they me my your our the a an and or but is are was were am be been to "
        "of in on at for with from this that what where when how why do does did not can cannot please",
        "fr": "je j tu il elle nous vous ils me moi mon ma mes ton ta votre vos notre nos le la les l un "
        "une des et ou mais est sont suis de d du au aux en dans pour avec sur ce cette qui que qu quoi "
        "où quand comment ne n pas",
        "de": "ich du er sie es wir ihr mich mir mein meine meinen dein unser der die das den dem des ein "
        "eine einen und oder aber ist sind bin war zu von im in auf für mit aus was wo wann wie warum "
        "nicht kein keine kann können möchte bitte",
        "es": "yo tú él ella nosotros me mi mis tu su sus el la los las lo un una unos unas y o pero es "
        "son soy estoy está de del al a en para con por este esta qué que dónde cuándo cómo no",
        "it": "io tu lui lei noi voi mi mio mia miei il lo la gli le un uno una e o ma è sono di del "
        "della dei in nel nella per con su questo questa che dove quando come perché non",
        "pt": "eu você ele ela nós me meu minha meus o a os as um uma e ou mas é são sou estou está de "
        "do da dos das em no na para com por este esta que onde quando como não",
        "nl": "ik jij je hij zij wij mij mijn uw jullie de het een en of maar is zijn ben was van in op "
        "voor met uit dit dat deze wat waar wanneer hoe waarom niet geen kan wil",
        "pl": "ja ty on ona my wy mnie mój moja moje twój nasz i lub ale jest są jestem do od w na z ze "
        "dla to ten ta co gdzie kiedy jak ile dlaczego nie",
        "sv": "jag du han hon vi ni mig min mitt mina din vår en ett och eller men är var vara till av i "
        "på för med från den det detta vad när hur varför inte kan vill",
        "da": "jeg du han hun vi i mig min mit mine din vores en et og eller men er var være til af på "
        "for med fra den det dette hvad hvor hvornår hvordan hvorfor ikke kan vil gerne",
        "tr": "ben sen o biz siz onlar benim senin bir ve veya ama bu şu ne nerede nasıl neden değil mi "
        "mı mu mü için ile",
    }.items()
}

_detector: LanguageDetector | None = None
_lock = threading.Lock()


def get_detector() -> LanguageDetector:
    """The process-wide detector, built (models loaded) on first call; call it to warm up."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                languages = [
                    Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in SUPPORTED_LANGUAGES
                ]
                builder = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
                _detector = builder.with_preloaded_language_models().build()
    return _detector


def _too_short(text: str) -> bool:
    cjk = len(_CJK_RE.findall(text))
    letters = len(_LETTER_RE.findall(text)) + 2 * cjk  # an ideograph carries about a word
    return letters < MIN_LETTERS or (not cjk and len(_WORD_RE.findall(text)) < MIN_WORDS)


def _contradicted(text: str, guess: str) -> bool:
    """True when the text has none of the guess's function words but some of another language's."""
    if guess not in _FUNCTION_WORDS:
        return False
    words = _WORD_RE.findall(text.lower())
    if any(w in _FUNCTION_WORDS[guess] for w in words):
        return False
    return any(w in fw for fw in _FUNCTION_WORDS.values() for w in words)


def detect_language(text: str, *, fallback: str | None = None) -> str | None:
    """ISO 639-1 code of ``text`` (one of ``SUPPORTED_LANGUAGES``), or ``fallback`` when unsure."""
    text = text[:MAX_CHARS]
    if _too_short(text):
        return fallback
    values = get_detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return fallback
    guess = values[0].language.iso_code_639_1.name.lower()
    return fallback if _contradicted(text, guess) else guess
