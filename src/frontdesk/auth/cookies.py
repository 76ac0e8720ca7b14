"""The dashboard's refresh token as an ``HttpOnly; Secure; SameSite=Strict`` cookie.

A client opts in with the header ``X-Frontdesk-Client: dashboard`` on sign-in, sign-up,
invitation accept and refresh: the refresh token is then set as a cookie scoped to
``/api/v1/auth`` and left out of the JSON, so page scripts (and an injected one) never see it;
the access token lives only in the page's memory. API clients that send no such header keep
getting both tokens in JSON, unchanged.

The cookie route is protected from cross-site requests three ways: ``SameSite=Strict``; the
custom header, which a cross-site form cannot send and a cross-site script cannot send without
a CORS preflight that this API never grants; and the ``Origin``/``Sec-Fetch-Site`` headers
when the browser sends them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from frontdesk.auth.tokens import REFRESH_TTL
from frontdesk.kit.errors import Forbidden, Unauthorized

COOKIE = "fd_refresh"
PATH = "/api/v1/auth"
CLIENT_HEADER = "x-frontdesk-client"
DASHBOARD = "dashboard"


def wants_cookie(request: Request) -> bool:
    return request.headers.get(CLIENT_HEADER, "").lower() == DASHBOARD


def set_refresh(response: Response, refresh_token: str) -> None:
    response.set_cookie(
        COOKIE,
        refresh_token,
        max_age=int(REFRESH_TTL.total_seconds()),
        path=PATH,
        secure=True,  # browsers accept Secure cookies from http://localhost and 127.0.0.1 too
        httponly=True,
        samesite="strict",
    )


def clear_refresh(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True, samesite="strict")


def _same_origin(request: Request, public_url: str | None) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    netloc = urlsplit(origin).netloc.lower()
    allowed = {request.headers.get("host", "").lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    return netloc in allowed


def refresh_from_cookie(request: Request, public_url: str | None) -> str:
    """The refresh token from the cookie, for a same-origin request that says it is the dashboard."""
    if not wants_cookie(request):
        raise Unauthorized(
            "Send refresh_token, or the dashboard's cookie with X-Frontdesk-Client: dashboard."
        )
    if not _same_origin(request, public_url):
        raise Forbidden("Cross-site request refused.")
    token = request.cookies.get(COOKIE)
    if not token:
        raise Unauthorized("Not signed in.")
    return token
