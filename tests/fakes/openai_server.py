"""A fake OpenAI-compatible server on loopback, speaking the real wire format.

    with FakeOpenAI() as fake:
        client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url)
        ...
        assert fake.requests[-1].body["messages"][0]["role"] == "system"

Endpoints: ``POST /v1/chat/completions`` (JSON, or SSE with ``stream: true``, honouring
``stream_options.include_usage``) and ``POST /v1/embeddings`` (deterministic vectors,
``float`` or ``base64`` encoding). Errors use OpenAI's shape
``{"error": {"message", "type", "param", "code"}}``.

Knobs (safe to change while running): ``reply`` (str, or callable(body) -> str; default
"FAKE-LLM: " + the last user message), ``fail_next(n, status)``, ``delay_seconds`` (before
answering: trips client timeouts), ``stream_chunk_size`` (characters per delta),
``valid_keys`` (None accepts any bearer token), ``retry_after_ms`` (sent with errors so the
SDK's retries stay fast; None to omit). Every request is recorded in ``requests``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

Reply = str | Callable[[dict[str, Any]], str]
DEFAULT_MODEL = "gpt-fake"

ERROR_KINDS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


def error_response(status: int, message: str | None = None, *, param: str | None = None) -> JSONResponse:
    kind, code, default = ERROR_KINDS.get(status, ("invalid_request_error", None, "Request failed."))
    body = {"error": {"message": message or default, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def count_tokens(text: str) -> int:
    """Deterministic stand-in for a tokenizer: whitespace-separated words."""
    return len(text.split())


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def echo_reply(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return "FAKE-LLM: " + (message_text(users[-1]) if users else "")


def fake_embedding(text: str, dimensions: int) -> list[float]:
    """A unit-free deterministic vector from the text's hash (float32-exact values)."""
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dimensions:
        digest += hashlib.sha256(digest).digest()
    return [(b - 128) / 128 for b in digest[:dimensions]]


class FakeOpenAI(LoopbackServer):
    name = "fake-openai"

    def __init__(
        self,
        *,
        reply: Reply | None = None,
        model: str = DEFAULT_MODEL,
        delay_seconds: float = 0.0,
        stream_chunk_size: int = 4,
        valid_keys: set[str] | None = None,
        retry_after_ms: int | None = 1,
        embedding_dimensions: int = 8,
        keep_requests: int | None = None,
    ) -> None:
        self.reply: Reply | None = reply
        self.model = model
        self.delay_seconds = delay_seconds
        self.stream_chunk_size = stream_chunk_size
        self.valid_keys = valid_keys
        self.retry_after_ms = retry_after_ms
        self.embedding_dimensions = embedding_dimensions
        self.requests: list[ReceivedRequest] = []
        self.keep_requests = keep_requests  # bound the log for long runs (benchmarks)
        self._failures: list[int] = []
        self._lock = threading.Lock()
        super().__init__()

    # -- knobs ---------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` authenticated requests (any endpoint) get ``status`` with an OpenAI error body."""
        with self._lock:
            self._failures.extend([status] * n)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()

    # -- the app -------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            ]
        )

    async def _admit(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        """Record the request, then check auth, injected failures, delay and JSON."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = ReceivedRequest(request.method, request.url.path, headers, body)
        with self._lock:
            self.requests.append(record)
            if self.keep_requests is not None and len(self.requests) > self.keep_requests:
                del self.requests[: len(self.requests) - self.keep_requests]
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)  # cancelled when the server stops
        if record.bearer is None:
            return {}, error_response(401, "You didn't provide an API key.")
        if self.valid_keys is not None and record.bearer not in self.valid_keys:
            shown = record.bearer[:3] + "*" * 4 + record.bearer[-4:]
            return {}, error_response(401, f"Incorrect API key provided: {shown}.")
        with self._lock:
            status = self._failures.pop(0) if self._failures else None
        if status is not None:
            response = error_response(status)
            if self.retry_after_ms is not None:
                response.headers["retry-after-ms"] = str(self.retry_after_ms)
            return {}, response
        if not isinstance(body, dict):
            return {}, error_response(400, "We could not parse the JSON body of your request.")
        return body, None

    def _reply_for(self, body: dict[str, Any]) -> str:
        reply = self.reply if self.reply is not None else echo_reply
        return reply(body) if callable(reply) else reply

    async def _chat(self, request: Request) -> Response:
        body, error = await self._admit(request)
        if error is not None:
            return error
        for field in ("model", "messages"):
            if not body.get(field):
                return error_response(400, f"Missing required parameter: '{field}'.", param=field)
        text = self._reply_for(body)
        prompt_tokens = sum(count_tokens(message_text(m)) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": count_tokens(text),
            "total_tokens": prompt_tokens + count_tokens(text),
        }
        common: dict[str, Any] = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time())}
        common["model"] = body["model"]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = self._chunks(common, text, usage if include_usage else None)
            return StreamingResponse(events, media_type="text/event-stream")
        message = {"role": "assistant", "content": text, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        return JSONResponse({**common, "object": "chat.completion", "choices": [choice], "usage": usage})

    async def _chunks(
        self, common: dict[str, Any], text: str, usage: dict[str, int] | None
    ) -> AsyncIterator[bytes]:
        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            chunk = {**common, "object": "chat.completion.chunk", "choices": choices, **extra}
            if usage is not None:
                chunk.setdefault("usage", None)
            return f"data: {json.dumps(chunk)}\n\n".encode()

        def choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

        size = max(1, self.stream_chunk_size)
        yield event([choice({"role": "assistant", "content": "", "refusal": None})])
        for start in range(0, len(text), size):
            yield event([choice({"content": text[start : start + size]})])
        yield event([choice({}, "stop")])
        if usage is not None:
            yield event([], usage=usage)
        yield b"data: [DONE]\n\n"

    async def _embeddings(self, request: Request) -> Response:
        body, error = await self._admit(request)
        if error is not None:
            return error
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not inputs or not isinstance(inputs, list):
            return error_response(400, "'input' must be a non-empty string or array.", param="input")
        dimensions = int(body.get("dimensions") or self.embedding_dimensions)
        data = []
        for index, item in enumerate(inputs):
            vector = fake_embedding(json.dumps(item) if not isinstance(item, str) else item, dimensions)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(count_tokens(i) if isinstance(i, str) else len(i) for i in inputs)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


if __name__ == "__main__":  # a standalone fake for benchmarks: python -m tests.fakes.openai_server --port N
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(FakeOpenAI(keep_requests=100)._app(), host="127.0.0.1", port=args.port, log_level="warning")
