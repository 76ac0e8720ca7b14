import threading

import pytest

from frontdesk.nlu import language
from frontdesk.nlu.language import SUPPORTED_LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello, how are you doing today? I would like some information.", "en"),
        ("Can I book an appointment for next Tuesday afternoon?", "en"),
        ("Bonjour, je voudrais réserver une table pour deux personnes ce soir.", "fr"),
        ("Guten Tag, ich hätte gerne einen Termin für nächste Woche.", "de"),
        ("Hola, ¿cuánto cuesta el plan profesional al mes?", "es"),
        ("Vorrei parlare con una persona del servizio clienti.", "it"),
        ("Quero falar com uma pessoa sobre o meu pedido.", "pt"),
        ("Ik wil graag een afspraak maken voor volgende week.", "nl"),
        ("Я хочу поговорить с человеком о моём заказе.", "ru"),
        ("我想预约下周二的时间", "zh"),
        ("来週の火曜日に予約をしたいです", "ja"),
    ],
)
def test_clear_sentences_are_detected(text: str, code: str) -> None:
    assert detect_language(text) == code
    assert detect_language(text, fallback="xx") == code


@pytest.mark.parametrize("text", ["hola", "ok", "merci beaucoup", "thanks!", "", "   ", "12345 678"])
def test_text_too_short_to_tell_gives_the_fallback(text: str) -> None:
    assert detect_language(text, fallback="es") == "es"
    assert detect_language(text) is None


def test_hola_keeps_the_conversation_language() -> None:
    assert detect_language("hola", fallback="es") == "es"
    assert detect_language("ok", fallback=None) is None


@pytest.mark.parametrize(
    ("text", "language_of_text"),
    [
        # Low-accuracy mode reads these as Italian, Spanish and Danish with high confidence,
        ("I forgot my password and cannot reset it", "en"),
        ("Quero um reembolso", "pt"),
        ("Dov'è il mio ordine", "it"),
        # and these as German and Danish with low confidence.
        ("my app crashes when I log in", "en"),
        ("Where is my order", "en"),
    ],
)
def test_wrong_guesses_give_way_to_the_fallback(text: str, language_of_text: str) -> None:
    assert detect_language(text, fallback="zz") in {language_of_text, "zz"}


def test_long_messages_are_detected_from_their_start() -> None:
    text = "Bonjour, j'ai une question sur ma commande et la livraison. " * 100
    assert detect_language(text) == "fr"


def test_only_supported_codes_or_the_fallback_come_back() -> None:
    texts = [
        "Dzień dobry, chciałbym zamówić pizzę na wieczór.",
        "Jag vill boka en tid nästa vecka tack.",
        "zzz qqq xxx www",
    ]
    for text in texts:
        assert detect_language(text, fallback="en") in {*SUPPORTED_LANGUAGES, "en"}


def test_detector_is_built_once_even_when_threads_race(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_detector", None)
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        seen.append(language.get_detector())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8
    assert all(d is seen[0] for d in seen)
