"""CORS for the endpoints a tenant's website calls with its publishable key.

Preflights (``OPTIONS``) carry no key, so they are answered for any origin; the real request
is where the key's allowed origins are checked (``auth.context.authenticate``: 403 from any
other origin). Responses to a publishable key's request reflect the Origin, so the widget can
read its answer or the problem+json explaining a refusal; a secret key gets no CORS headers,
so a browser page cannot use one.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.auth.keys import PREFIXES

BROWSER_PATHS = ("/api/v1/chat", "/api/v1/widget/config")
RATING_PATH = re.compile(r"/api/v1/chat/messages/[0-9A-Fa-f-]{1,64}/rating")  # the widget's thumbs
ALLOW_METHODS = b"GET, POST, OPTIONS"
ALLOW_HEADERS = b"X-API-Key, Content-Type, Accept"
EXPOSE_HEADERS = b"Retry-After, X-Request-ID"
MAX_AGE = b"600"


def browser_path(path: str) -> bool:
    path = path.rstrip("/")
    return path in BROWSER_PATHS or RATING_PATH.fullmatch(path) is not None


class WidgetCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not browser_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", origin),
                        (b"access-control-allow-methods", ALLOW_METHODS),
                        (b"access-control-allow-headers", ALLOW_HEADERS),
                        (b"access-control-max-age", MAX_AGE),
                        (b"vary", b"Origin"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if not headers.get(b"x-api-key", b"").startswith(PREFIXES["publishable"].encode()):
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, with_cors)
