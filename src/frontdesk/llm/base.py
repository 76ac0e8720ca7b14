"""The provider interface every response generator implements.

A provider answers an ``LLMRequest`` in one of two ways:

- ``await provider.complete(req)`` returns an ``LLMResult`` (text, token usage, latency).
- ``provider.stream(req)`` returns an ``LLMStream`` at once, without any I/O. Iterating it
  (``async for delta in stream``) yields text deltas; once it is exhausted, ``stream.result``
  holds the same ``LLMResult`` that ``complete`` would have returned (with the joined text
  and the usage the server reported). Leaving early: ``await stream.aclose()`` (or
  ``async with provider.stream(req) as stream: ...``) releases the connection.

Every failure surfaces as ``LLMError`` — from ``complete`` or from the stream's iteration —
with a message safe to log (never a key, never the provider's raw error text).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self


@dataclass
class ChatTurn:
    """One message of the conversation so far: role is ``"user"`` or ``"assistant"``."""

    role: str
    content: str


@dataclass
class LLMRequest:
    system_prompt: str
    history: list[ChatTurn]
    user_message: str
    model: str
    temperature: float
    max_tokens: int


@dataclass
class LLMResult:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    provider: str


class LLMError(Exception):
    """The provider could not answer. ``code`` is stable: timeout, unavailable, rate_limited,
    auth, bad_request, provider_error, empty_reply, circuit_open."""

    def __init__(self, message: str, *, code: str = "provider_error", status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class LLMStream:
    """Async iterator of text deltas with the final ``LLMResult`` once exhausted.

    Built from a source that yields ``str`` deltas and, last, one ``LLMResult``; the result
    is captured here and never reaches the consumer.
    """

    def __init__(self, source: AsyncIterator[str | LLMResult]) -> None:
        self._source = source
        self._result: LLMResult | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            item = await self._source.__anext__()
            if isinstance(item, LLMResult):
                self._result = item
                continue
            return item

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def result(self) -> LLMResult:
        """The final result; only available after the stream has been fully consumed."""
        if self._result is None:
            raise RuntimeError("stream not finished: iterate it to the end before reading .result")
        return self._result

    async def aclose(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class LLMProvider(Protocol):
    name: str

    async def complete(self, req: LLMRequest) -> LLMResult: ...

    def stream(self, req: LLMRequest) -> LLMStream: ...
