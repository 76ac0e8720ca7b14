"""``OpenAIProvider``: any OpenAI-compatible chat endpoint through the official SDK.

One ``AsyncOpenAI`` client (and so one connection pool) is kept per endpoint, key and
client options, in a small LRU cache: tenants with their own key or base URL reuse theirs
across requests. ``close_clients()`` closes them at shutdown. A tenant's own endpoint is
called through the outbound guard (``kit/outbound.py``: public addresses only, pinned, no
redirects); the deployment's endpoint is the operator's and is called directly.

Every SDK error becomes ``LLMError`` with a fixed, safe message (the provider's own error
text can echo part of the key, so it is never copied). Only endpoint-health failures
(timeouts, connection errors, 5xx) count against the endpoint's circuit breaker; a 4xx or
a 429 belongs to one tenant's key or request, and the breaker is shared by every tenant
of that endpoint and tenant (``breaker_scope``): one tenant's slow requests open only its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI, AsyncStream
from openai._base_client import make_request_options
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from frontdesk.kit.outbound import OutboundPolicy, guarded_client
from frontdesk.llm.base import LLMError, LLMRequest, LLMResult, LLMStream
from frontdesk.llm.breaker import CircuitBreaker, breakers

PROVIDER_NAME = "openai"
_CACHE_SIZE = 32
_ClientKey = tuple[str | None, str, float, int, OutboundPolicy | None]
_clients: OrderedDict[_ClientKey, AsyncOpenAI] = OrderedDict()


def client_for(
    api_key: str, base_url: str | None, timeout_s: float, max_retries: int, outbound: OutboundPolicy | None
) -> AsyncOpenAI:
    key = (base_url, hashlib.sha256(api_key.encode()).hexdigest(), timeout_s, max_retries, outbound)
    client = _clients.get(key)
    if client is None:
        # a tenant's endpoint: the guard, and only the tenant's key in the Authorization header
        # (nothing the SDK takes from the environment, such as OPENAI_ORG_ID, goes there)
        guarded = (
            guarded_client(outbound, timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
            if outbound is not None
            else None
        )
        client = AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
            # the SDK's type names httpx2's client; it takes httpx's too (is_legacy_httpx_async_client)
            http_client=guarded,  # type: ignore[arg-type]
        )
        _clients[key] = client
        if len(_clients) > _CACHE_SIZE:
            _clients.popitem(last=False)  # dropped, not closed: a request may still be using it
    else:
        _clients.move_to_end(key)
    return client


async def close_clients() -> None:
    """Close every cached client (application shutdown)."""
    while _clients:
        _, client = _clients.popitem()
        await client.close()


def to_messages(req: LLMRequest) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": req.system_prompt}]
    for turn in req.history:
        if turn.role == "user":
            messages.append({"role": "user", "content": turn.content})
        else:  # assistant, bot, operator: the business side of the conversation
            messages.append({"role": "assistant", "content": turn.content})
    messages.append({"role": "user", "content": req.user_message})
    return messages


def to_llm_error(exc: openai.OpenAIError | httpx.HTTPError | TimeoutError) -> LLMError:
    """A safe ``LLMError`` for an SDK error: fixed messages, never the provider's text. (An
    ``httpx`` error escapes the SDK when a capped body stops while it is read.)"""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return LLMError("LLM request timed out", code="timeout")
    if isinstance(exc, openai.APIConnectionError | httpx.HTTPError):
        return LLMError("could not reach the LLM endpoint", code="unavailable")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return LLMError("LLM endpoint is rate limiting (429)", code="rate_limited", status=status)
        if status in (401, 403):
            return LLMError(f"LLM endpoint rejected the credentials ({status})", code="auth", status=status)
        if status >= 500:
            return LLMError(f"LLM endpoint failed ({status})", code="unavailable", status=status)
        return LLMError(f"LLM endpoint rejected the request ({status})", code="bad_request", status=status)
    return LLMError("LLM endpoint returned an invalid response", code="provider_error")


def _is_health_failure(err: LLMError) -> bool:
    return err.code in ("timeout", "unavailable")


class OpenAIProvider:
    name = PROVIDER_NAME

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 20,
        max_retries: int = 2,
        breaker: CircuitBreaker | None = None,
        breaker_scope: str = "",
        outbound: OutboundPolicy | None = None,
    ) -> None:
        """``outbound``: the guard, for an endpoint a tenant chose. ``breaker_scope``: whose
        failures the breaker counts (a tenant id), besides the endpoint."""
        if not api_key:
            raise ValueError("api_key is required (use the offline responder without one)")
        self._client = client_for(api_key, base_url, float(timeout_s), max_retries, outbound)
        self.base_url = str(self._client.base_url)
        # the whole call, retries included: httpx's timeout restarts with every chunk received
        self._deadline_s = float(timeout_s) * (max_retries + 1)
        self.breaker = breaker if breaker is not None else breakers.get(f"{self.base_url} {breaker_scope}")

    async def complete(self, req: LLMRequest) -> LLMResult:
        started = time.perf_counter()
        with self._guard():
            async with asyncio.timeout(self._deadline_s):
                response: ChatCompletion = await self._create(req, stream=False)
        text = response.choices[0].message.content if response.choices else None
        if not text:
            raise LLMError("LLM returned an empty reply", code="empty_reply")
        usage = response.usage
        return LLMResult(
            text=text,
            model=response.model or req.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_ms=_ms_since(started),
            provider=self.name,
        )

    def stream(self, req: LLMRequest) -> LLMStream:
        return LLMStream(self._stream(req))

    async def _stream(self, req: LLMRequest) -> AsyncIterator[str | LLMResult]:
        started = time.perf_counter()
        parts: list[str] = []
        model, prompt_tokens, completion_tokens = req.model, 0, 0
        with self._guard():
            async with asyncio.timeout(self._deadline_s):
                chunks: AsyncStream[ChatCompletionChunk] = await self._create(req, stream=True)
                async with chunks:
                    async for chunk in chunks:
                        model = chunk.model or model
                        if chunk.usage is not None:
                            prompt_tokens = chunk.usage.prompt_tokens
                            completion_tokens = chunk.usage.completion_tokens
                        delta = chunk.choices[0].delta.content if chunk.choices else None
                        if delta:
                            parts.append(delta)
                            yield delta
        if not parts:
            raise LLMError("LLM returned an empty reply", code="empty_reply")
        yield LLMResult(
            text="".join(parts),
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_ms=_ms_since(started),
            provider=self.name,
        )

    async def _create(self, req: LLMRequest, *, stream: bool) -> Any:
        """``chat.completions.create`` minus the SDK's parameter transform. Our body is plain JSON
        already; the transform walks it against the request's TypedDict annotations and cost
        ~3 ms per call for a prompt with history — about a quarter of a chat turn's CPU (py-spy,
        bench/RESULTS.md). Same endpoint, auth, retries, errors and stream classes as ``create``."""
        body: dict[str, Any] = {
            "model": req.model,
            "messages": to_messages(req),
            "temperature": req.temperature,
            "max_tokens": req.max_tokens,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return await self._client.post(
            "/chat/completions",
            body=body,
            options=make_request_options(security={"bearer_auth": True}),
            cast_to=ChatCompletion,
            stream=stream,
            stream_cls=AsyncStream[ChatCompletionChunk],
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Fail fast while the breaker is open; report the outcome; translate SDK errors."""
        if not self.breaker.allow():
            raise LLMError("circuit open", code="circuit_open")
        try:
            yield
        except (openai.OpenAIError, httpx.HTTPError, TimeoutError) as exc:
            err = to_llm_error(exc)
            if _is_health_failure(err):
                self.breaker.record_failure()
            else:
                self.breaker.release()
            raise err from None
        except BaseException:
            self.breaker.release()
            raise
        else:
            self.breaker.record_success()


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
