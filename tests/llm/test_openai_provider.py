"""OpenAIProvider through the official SDK against the fake OpenAI server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from frontdesk.llm import openai_provider
from frontdesk.llm.base import ChatTurn, LLMError, LLMRequest
from frontdesk.llm.breaker import BreakerRegistry, CircuitBreaker
from frontdesk.llm.openai_provider import OpenAIProvider, close_clients
from frontdesk.runtime import Runtime
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-test-0123456789abcdef"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
async def _fresh_clients() -> AsyncIterator[None]:
    # clients cached by earlier tests belong to their (closed) event loops: drop, don't close them
    openai_provider._clients.clear()
    yield
    await close_clients()


def provider(fake: FakeOpenAI, **kwargs: object) -> OpenAIProvider:
    options: dict[str, object] = {"timeout_s": 5, "max_retries": 2, "breaker": CircuitBreaker()}
    options.update(kwargs)
    return OpenAIProvider(KEY, fake.base_url, **options)  # type: ignore[arg-type]


def request(user: str = "What are your opening hours?") -> LLMRequest:
    return LLMRequest(
        system_prompt="You are Ava, the assistant of Acme Bikes.",
        history=[ChatTurn("user", "Hello"), ChatTurn("assistant", "Hi! How can I help?")],
        user_message=user,
        model="gpt-4o-mini",
        temperature=0.2,
        max_tokens=300,
    )


async def test_complete_returns_text_and_usage(fake: FakeOpenAI) -> None:
    result = await provider(fake).complete(request())
    assert result.text == "FAKE-LLM: What are your opening hours?"
    assert result.model == "gpt-4o-mini"
    assert result.provider == "openai"
    # the fake counts words: 8 (system) + 1 + 5 (history) + 5 (user) in, 6 out
    assert (result.prompt_tokens, result.completion_tokens) == (19, 6)
    assert result.latency_ms >= 0


async def test_the_model_sees_system_prompt_history_and_message(fake: FakeOpenAI) -> None:
    await provider(fake).complete(request())
    [sent] = fake.chat_requests
    assert sent.bearer == KEY
    assert sent.body["messages"] == [
        {"role": "system", "content": "You are Ava, the assistant of Acme Bikes."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi! How can I help?"},
        {"role": "user", "content": "What are your opening hours?"},
    ]
    assert (sent.body["model"], sent.body["temperature"], sent.body["max_tokens"]) == (
        "gpt-4o-mini",
        0.2,
        300,
    )
    assert not sent.body.get("stream")


async def test_stream_yields_deltas_and_records_usage(fake: FakeOpenAI) -> None:
    fake.stream_chunk_size = 3
    stream = provider(fake).stream(request("Do you repair e-bikes?"))
    with pytest.raises(RuntimeError):
        _ = stream.result
    deltas = [delta async for delta in stream]
    assert len(deltas) > 3
    assert "".join(deltas) == "FAKE-LLM: Do you repair e-bikes?"
    assert stream.result.text == "".join(deltas)
    assert (stream.result.prompt_tokens, stream.result.completion_tokens) == (18, 5)
    [sent] = fake.chat_requests
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("status", [500, 429])
async def test_errors_are_retried_then_raise(fake: FakeOpenAI, status: int) -> None:
    fake.fail_next(3, status=status)
    with pytest.raises(LLMError) as caught:
        await provider(fake, max_retries=2).complete(request())
    assert caught.value.status == status
    assert caught.value.code == ("rate_limited" if status == 429 else "unavailable")
    assert len(fake.requests) == 3  # one try + two retries


async def test_a_retry_that_succeeds_is_invisible(fake: FakeOpenAI) -> None:
    fake.fail_next(2, status=429)
    result = await provider(fake, max_retries=2).complete(request())
    assert result.text.startswith("FAKE-LLM:")
    assert len(fake.requests) == 3


async def test_timeout_raises_without_waiting_for_the_server(fake: FakeOpenAI) -> None:
    fake.delay_seconds = 10
    with pytest.raises(LLMError) as caught:
        await provider(fake, timeout_s=0.2, max_retries=0).complete(request())
    assert caught.value.code == "timeout"


async def test_stream_errors_surface_when_iterating(fake: FakeOpenAI) -> None:
    fake.fail_next(1, status=500)
    stream = provider(fake, max_retries=0).stream(request())  # no I/O yet
    assert fake.requests == []
    with pytest.raises(LLMError) as caught:
        async for _ in stream:
            pass
    assert caught.value.code == "unavailable"


async def test_rejected_key_error_is_safe_and_does_not_trip_the_breaker() -> None:
    breaker = CircuitBreaker(failure_threshold=1)
    with FakeOpenAI(valid_keys={"sk-the-right-one"}) as fake:
        for _ in range(3):
            with pytest.raises(LLMError) as caught:
                await provider(fake, breaker=breaker).complete(request())
            assert caught.value.code == "auth"
            assert "cdef" not in str(caught.value) and KEY not in str(caught.value)
            assert caught.value.__cause__ is None
    assert breaker.state == "closed"


async def test_breaker_opens_fails_fast_then_recovers(fake: FakeOpenAI) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=30, clock=clock)
    llm = provider(fake, max_retries=0, breaker=breaker)
    fake.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(LLMError):
            await llm.complete(request())
    assert breaker.state == "open"
    sent = len(fake.requests)

    with pytest.raises(LLMError, match="circuit open"):
        await llm.complete(request())
    with pytest.raises(LLMError, match="circuit open"):
        async for _ in llm.stream(request()):
            pass
    assert len(fake.requests) == sent  # no network call while open

    clock.now += 30
    result = await llm.complete(request())
    assert result.text.startswith("FAKE-LLM:")
    assert breaker.state == "closed"
    assert len(fake.requests) == sent + 1


async def test_breakers_are_per_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = BreakerRegistry(lambda: CircuitBreaker(failure_threshold=1, cooldown_s=60))
    monkeypatch.setattr(openai_provider, "breakers", registry)
    with FakeOpenAI() as broken, FakeOpenAI() as healthy:
        broken.fail_next(1, status=500)
        with pytest.raises(LLMError):
            await OpenAIProvider(KEY, broken.base_url, max_retries=0).complete(request())
        with pytest.raises(LLMError, match="circuit open"):  # a new provider, same endpoint
            await OpenAIProvider("sk-other-tenant", broken.base_url, max_retries=0).complete(request())
        assert len(broken.requests) == 1
        result = await OpenAIProvider(KEY, healthy.base_url, max_retries=0).complete(request())
        assert result.text.startswith("FAKE-LLM:")


async def test_providers_share_one_client_per_endpoint_and_key(fake: FakeOpenAI) -> None:
    first, second = provider(fake), provider(fake)
    other_key = OpenAIProvider("sk-another", fake.base_url, timeout_s=5, max_retries=2)
    assert first._client is second._client
    assert other_key._client is not first._client


async def test_shutting_the_runtime_down_closes_the_llm_and_embedding_connections(settings) -> None:
    runtime = await Runtime.start(settings)
    client = openai_provider.client_for("sk-test", "http://127.0.0.1:9/v1", 5.0, 0, None)
    assert not client.is_closed()
    await runtime.close()
    assert client.is_closed() and not openai_provider._clients
