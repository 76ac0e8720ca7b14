"""Pure ASGI guards in front of every route: trusted Host headers, no NUL in URLs, strict JSON.

Each answers problem+json itself, before any route (and any database) sees the request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.kit.errors import problem

# Load balancers and Prometheus call these by the pod's address, not the public host name;
# they build no links and take no input.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


async def send_problem(send: Send, status: int, code: str, title: str, detail: str, **extra: Any) -> None:
    """``kit.errors.problem``'s answer, sent from inside an ASGI guard."""
    response = problem(status, code, title, detail, **extra)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class HostGuard:
    """Starlette's TrustedHostMiddleware (a 400, here as problem+json, for any other Host
    header), except for the probes."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(self._trusted, allowed_hosts=allowed_hosts, www_redirect=False)

    async def _trusted(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["frontdesk.trusted_host"] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return

        async def refuse(message: Message) -> None:
            if scope.get("frontdesk.trusted_host"):
                await send(message)
            elif message["type"] == "http.response.start":
                detail = "This server does not answer to that host name (Host header)."
                await send_problem(send, 400, "invalid_host", "Invalid host", detail)

        await self.checked(scope, receive, refuse)


class NulGuard:
    """A NUL character in the path or query (raw or %00) is refused before any route: PostgreSQL
    cannot store or compare one, and no name of ours contains one. 404 for paths, 422 for queries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or b""
            if "\x00" in scope["path"] or b"\x00" in raw_path or b"%00" in raw_path:
                await send_problem(send, 404, "not_found", "Not found", "No such path.")
                return
            query: bytes = scope.get("query_string", b"")
            if b"\x00" in query or b"%00" in query:
                await send_problem(
                    send,
                    422,
                    "validation_error",
                    "Validation error",
                    "query: must not contain NUL characters",
                    errors=[
                        {
                            "loc": ["query"],
                            "field": "query",
                            "message": "must not contain NUL characters",
                            "type": "value_error",
                        }
                    ],
                )
                return
        await self.app(scope, receive, send)


# Python's json accepts NaN, Infinity and -Infinity, and reads 1e999 as infinity; none is JSON
# (RFC 8259), and PostgreSQL's jsonb refuses them. Bodies that might hold one are parsed strictly.
_SUSPECT = re.compile(rb"NaN|Infinity|[eE][+]?0*\d{3}|\d{300}")


class _NotFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


def non_finite_number(body: bytes) -> str | None:
    """The first NaN/Infinity/overflowing number in a JSON body, or None (also for bad JSON,
    which the route answers itself)."""
    if not _SUSPECT.search(body):
        return None
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotFinite as found:
        return str(found)
    except ValueError:
        return None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media.startswith(b"application/") and (
                media.endswith(b"/json") or media.endswith(b"+json")
            )
    return True  # FastAPI parses a body without a content type as JSON


class StrictJsonGuard:
    """422 for JSON bodies with NaN, Infinity or numbers too large for a double."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    await self.app(scope, _replay([], message, receive), send)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as error:  # the body size cap, raised while the body streams in
            await send_problem(
                send, error.status_code, "payload_too_large", "Payload too large", error.detail
            )
            return
        body = b"".join(chunks)
        found = non_finite_number(body)
        if found is not None:
            await send_problem(
                send,
                422,
                "validation_error",
                "Validation error",
                f"body: {found[:40]} is not a JSON number (numbers must be finite)",
                errors=[
                    {
                        "loc": ["body"],
                        "field": "body",
                        "message": "numbers must be finite (no NaN or Infinity)",
                        "type": "finite_number",
                    }
                ],
            )
            return
        first: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([first], None, receive), send)


def _replay(messages: list[Message], pending: Message | None, receive: Receive) -> Receive:
    queue = [*messages, *([pending] if pending is not None else [])]

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay
