"""Headers that tell browsers how to treat our responses, on every response.

- every response: ``X-Content-Type-Options: nosniff``, a Referrer-Policy, HSTS in production;
- pages: framing refused (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), a
  Permissions-Policy, and a Content-Security-Policy. The dashboard's pages bring their own
  (``page_policy``: scripts from our origin plus the hashes of the few inline scripts that
  Next.js's static export writes); anything else (API JSON, assets) gets ``default-src 'none'``.

The widget's script keeps working on tenants' sites: these headers do not touch CORS, and a
script's own CSP or framing headers do not apply to the page that loads it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = "nosniff"
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The API's own documentation pages (/docs, /redoc) load Swagger UI from its CDN with inline code.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_POLICY = "frame-ancestors 'none'"

_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
_INLINE_STYLE = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_STYLE_ATTRIBUTE = re.compile(rb"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _sha256(data: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode() + "'"


def page_policy(document: bytes) -> str:
    """A strict CSP for one static HTML page: no inline script but the ones in it (by hash)."""
    scripts = sorted({_sha256(m.group(1)) for m in _INLINE_SCRIPT.finditer(document) if m.group(1).strip()})
    styles = {_sha256(m.group(1)) for m in _INLINE_STYLE.finditer(document)}
    attributes = {
        _sha256(html.unescape((m.group(1) or m.group(2) or b"").decode()).encode())
        for m in _STYLE_ATTRIBUTE.finditer(document)
    }
    style_src = ["'self'", *sorted(styles | attributes)]
    if attributes:
        style_src.insert(1, "'unsafe-hashes'")  # style="…" attributes (Next's built-in 404 page)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(["'self'", *scripts]),
            "style-src " + " ".join(style_src),
            "img-src 'self' data: https:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class BrowserHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else DEFAULT_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", NOSNIFF)
                headers.setdefault("Referrer-Policy", REFERRER_POLICY)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                headers.setdefault("Content-Security-Policy", policy)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
