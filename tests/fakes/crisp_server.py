"""A fake Crisp REST API on loopback that checks what Frontdesk sends like Crisp would.

    with FakeCrisp(website_id="…", identifier="…", key="…") as crisp:
        settings.crisp_api_url = crisp.base_url
        ...
        assert crisp.messages[0]["content"] == "…"

Crisp knows plugin tokens (``identifier:key``) and which websites each plugin is subscribed
to: the constructor's token on ``website_id`` (tests may reassign ``website_id``), plus any
``grant(website_id, identifier, key)``. Every route wants HTTP Basic ``identifier:key`` and
``X-Crisp-Tier: plugin`` (401 ``invalid_session`` otherwise, Crisp's ``{"error": true,
"reason": …}``); a website Crisp does not know is 404 ``website_not_found``, one the plugin is
not subscribed to 404 ``not_subscribed``.

- ``GET /v1/website/{website_id}`` ("Get A Website", tiers user and plugin): ``{"error":
  false, "reason": "resolved", "data": {"website_id", "name", "domain", "logo"}}``. Frontdesk
  calls it to prove a tenant's plugin token is authorized on the website it connects.
- ``POST /v1/website/{website_id}/conversation/{session_id}/message``: the body must be a
  text message from the operator side (400 ``invalid_data``). Success: ``{"error": false,
  "reason": "dispatched", "data": {"fingerprint": …}}``.

``fail_next(n, status)`` and ``down = True`` simulate an outage (every route).

Also ``signed_hook(secret, body)``: the headers Crisp sends with a plugin web hook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer


def signed_hook(
    secret: str, body: dict[str, Any], *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The request Crisp makes: compact JSON and the signature of ``[timestamp;body]``."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = hmac.new(secret.encode(), f"[{ts};{raw}]".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Crisp-Request-Timestamp": ts,
        "X-Crisp-Signature": sig,
    }
    return raw.encode(), headers


def _basic_identifier(header: str | None, tokens: dict[str, str]) -> str | None:
    """The identifier of a known plugin token in ``Authorization: Basic …``, else None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        identifier, _, key = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    expected = tokens.get(identifier)
    return (
        identifier if expected is not None and hmac.compare_digest(expected.encode(), key.encode()) else None
    )


_fingerprints = itertools.count(169_000_000_000_000)


def message_event(
    website_id: str,
    session_id: str,
    content: str,
    *,
    sender: str = "user",
    event: str = "message:send",
    fingerprint: int | None = None,
) -> dict[str, Any]:
    """A web hook body as Crisp documents it (``message:send`` from a visitor by default)."""
    now_ms = int(time.time() * 1000)
    return {
        "website_id": website_id,
        "event": event,
        "data": {
            "website_id": website_id,
            "session_id": session_id,
            "inbox_id": None,
            "type": "text",
            "content": content,
            "from": sender,
            "origin": "chat",
            "stamped": True,
            "timestamp": now_ms,
            "fingerprint": next(_fingerprints) if fingerprint is None else fingerprint,
            "user": {"nickname": "visitor493603", "user_id": session_id},
        },
        "timestamp": now_ms,
    }


@dataclass
class SentMessage:
    website_id: str
    session_id: str
    body: dict[str, Any]
    fingerprint: int

    @property
    def content(self) -> str:
        return str(self.body.get("content"))


class FakeCrisp(LoopbackServer):
    name = "fake-crisp"

    def __init__(self, *, website_id: str, identifier: str, key: str) -> None:
        super().__init__()
        self.website_id, self.identifier, self.key = website_id, identifier, key
        self.messages: list[SentMessage] = []
        self.refused: list[tuple[int, str]] = []  # (status, reason) of every refused request
        self.website_lookups: list[str] = []  # website ids asked for with GET /v1/website/{id}
        self.down = False
        self._tokens: dict[str, str] = {}  # identifier → key of the plugin tokens Crisp knows
        self._subscribed: set[tuple[str, str]] = set()  # (website_id, identifier)
        self._failures: list[int] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def grant(self, website_id: str, identifier: str, key: str) -> None:
        """The plugin token ``identifier:key`` exists and is subscribed to ``website_id``."""
        with self._lock:
            self._tokens[identifier] = key
            self._subscribed.add((website_id, identifier))

    def reset(self) -> None:
        """Forget grants, messages, refusals and outages (a module-scoped fake between tests)."""
        with self._lock:
            self._tokens.clear()
            self._subscribed.clear()
            self._failures.clear()
            self.messages.clear()
            self.refused.clear()
            self.website_lookups.clear()
            self.down = False

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/website/{website_id}", self._get_website, methods=["GET"]),
                Route(
                    "/v1/website/{website_id}/conversation/{session_id}/message",
                    self._send_message,
                    methods=["POST"],
                ),
            ]
        )

    def _unauthorized(self, request: Request, website_id: str) -> Response | None:
        """Crisp's checks, in its order: outage, plugin token, website, subscription."""
        with self._lock:
            failure = 503 if self.down else (self._failures.pop(0) if self._failures else None)
            tokens = {**self._tokens, self.identifier: self.key}
            subscribed = {*self._subscribed, (self.website_id, self.identifier)}
        if failure is not None:
            return self._refuse(failure, "service_unavailable" if failure >= 500 else "error")
        identifier = _basic_identifier(request.headers.get("authorization"), tokens)
        if identifier is None or request.headers.get("x-crisp-tier") != "plugin":
            return self._refuse(401, "invalid_session")
        if website_id not in {w for w, _ in subscribed}:
            return self._refuse(404, "website_not_found")
        if (website_id, identifier) not in subscribed:
            return self._refuse(404, "not_subscribed")
        return None

    async def _get_website(self, request: Request) -> Response:
        website_id = request.path_params["website_id"]
        self.website_lookups.append(website_id)
        refused = self._unauthorized(request, website_id)
        if refused is not None:
            return refused
        data = {"website_id": website_id, "name": "Gamma Garden", "domain": "gamma.example", "logo": ""}
        return JSONResponse({"error": False, "reason": "resolved", "data": data})

    def _refuse(self, status: int, reason: str) -> Response:
        self.refused.append((status, reason))
        return JSONResponse({"error": True, "reason": reason, "data": {}}, status_code=status)

    async def _send_message(self, request: Request) -> Response:
        website_id = request.path_params["website_id"]
        refused = self._unauthorized(request, website_id)
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._refuse(400, "invalid_data")
        if not (
            isinstance(body, dict)
            and body.get("type") == "text"
            and body.get("from") == "operator"
            and body.get("origin") == "chat"
            and isinstance(body.get("content"), str)
            and body["content"]
        ):
            return self._refuse(400, "invalid_data")
        fingerprint = next(_fingerprints)
        with self._lock:
            self.messages.append(
                SentMessage(website_id, request.path_params["session_id"], body, fingerprint)
            )
        return JSONResponse({"error": False, "reason": "dispatched", "data": {"fingerprint": fingerprint}})
