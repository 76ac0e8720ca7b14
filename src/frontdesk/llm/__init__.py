"""Response generation: the provider interface, the OpenAI provider, the offline responder, prompts.

- ``base``: ``LLMProvider`` protocol, request/result types, ``LLMStream``, ``LLMError``.
- ``openai_provider``: any OpenAI-compatible endpoint through the official SDK.
- ``breaker``: per-endpoint circuit breakers, so a failing endpoint fails fast.
- ``offline``: template answers from knowledge, used with no API key or when the LLM fails.
- ``prompts``: the system prompt and the conversation history window.

Nothing here touches the database or HTTP routing: the chat pipeline calls it with no
transaction open.
"""
