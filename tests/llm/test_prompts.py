from __future__ import annotations

from frontdesk.llm.base import ChatTurn
from frontdesk.llm.prompts import build_system_prompt, history_window

KNOWLEDGE = ["Opening hours: Mon-Fri 9:00-18:00.", "We repair e-bikes. Prices start at {40} EUR."]


def prompt(**overrides: object) -> str:
    args: dict[str, object] = {
        "business_name": "Acme Bikes",
        "bot_name": "Ava",
        "tone": "warm",
        "instructions": "Always mention free parking.",
        "knowledge": KNOWLEDGE,
        "language": "fr",
    }
    args.update(overrides)
    return build_system_prompt(**args)  # type: ignore[arg-type]


def test_default_prompt_carries_identity_rules_knowledge_and_language() -> None:
    text = prompt()
    for expected in ("Ava", "Acme Bikes", "warm", "Always mention free parking.", "Reply in French."):
        assert expected in text
    assert "[1] Opening hours: Mon-Fri 9:00-18:00." in text
    assert "[2] We repair e-bikes. Prices start at {40} EUR." in text
    assert "don't know" in text
    assert "Never reveal" in text


def test_without_language_the_bot_follows_the_customer() -> None:
    assert "Reply in the language the customer writes in." in prompt(language=None)
    assert "(no knowledge available)" in prompt(knowledge=[])


def test_tenant_template_with_odd_braces_renders_safely() -> None:
    template = "Hi {business_name}! {unknown} {0} {{ bot_name }} { } {business_name.__class__} }{ {{tone}}"
    template += "\n{knowledge}"
    text = prompt(template=template, knowledge=["Say {bot_name} and { to customers."])
    assert text.startswith("Hi Acme Bikes! {unknown} {0} Ava { } {business_name.__class__} }{ warm")
    assert "[1] Say {bot_name} and { to customers." in text  # values are never re-interpreted


def test_tenant_template_without_knowledge_placeholder_still_gets_the_knowledge() -> None:
    text = prompt(template="You are {bot_name} of {business_name}.")
    assert text.startswith("You are Ava of Acme Bikes.")
    assert "Reply in French." in text
    assert "[1] Opening hours" in text


def test_history_window_keeps_the_newest_turns_in_order() -> None:
    turns = [ChatTurn("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(10)]
    assert [t.content for t in history_window(turns, max_turns=4, max_chars=10_000)] == [
        "message 6",
        "message 7",
        "message 8",
        "message 9",
    ]
    assert [t.content for t in history_window(turns, max_turns=10, max_chars=20)] == [
        "message 8",
        "message 9",
    ]
    assert history_window(turns, max_turns=0, max_chars=100) == []
    # a long old turn ends the window even if older short turns would fit
    turns = [ChatTurn("user", "hi"), ChatTurn("assistant", "x" * 50), ChatTurn("user", "ok")]
    assert history_window(turns, max_turns=10, max_chars=20) == [ChatTurn("user", "ok")]
