"""Crisp's REST API, the two calls Frontdesk needs, both as the tenant's plugin (HTTP Basic
``identifier:key`` and ``X-Crisp-Tier: plugin``):

- ``GET {api}/v1/website/{website_id}`` ("Get A Website"): answers ``{"error": false,
  "reason": "resolved", "data": {"website_id", "name", "domain", "logo"}}`` only when the
  plugin token is valid and subscribed to that website (401 ``invalid_session``, 404
  ``website_not_found`` / ``not_subscribed`` otherwise): the proof that a tenant may connect it;
- ``POST {api}/v1/website/{website_id}/conversation/{session_id}/message`` with
  ``{"type": "text", "from": "operator", "origin": "chat", "content": …}``; Crisp answers
  ``{"error": false, "reason": …, "data": {"fingerprint": …}}``.

The base URL is a setting (``FRONTDESK_CRISP_API_URL``) so tests aim it at a fake Crisp on
loopback. The plugin key goes in the Authorization header only, never into an error message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import httpx

TIMEOUT_SECONDS = 10.0


class CrispError(Exception):
    """The reply could not be delivered; ``retry`` is False when retrying cannot help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class CrispWebsite:
    website_id: str
    name: str
    domain: str


_REASON = re.compile(r"^[a-z_]{1,40}$")


def _reason(response: httpx.Response) -> str:
    """Crisp's short error reason (``invalid_session``, ``not_subscribed`` …), if it sent one."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return ""
    return reason if isinstance(reason, str) and _REASON.match(reason) else ""


class CrispClient:
    def __init__(self, base_url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def get_website(self, *, website_id: str, identifier: str, key: str) -> CrispWebsite:
        """The website as the plugin sees it. Raises ``CrispError`` with ``retry=False`` when
        Crisp refuses these credentials for this website, ``retry=True`` when Crisp could not
        answer (network, 429, 5xx)."""
        try:
            response = await self._http.get(
                f"/v1/website/{quote(website_id, safe='')}",
                auth=(identifier, key),
                headers={"X-Crisp-Tier": "plugin"},
            )
        except httpx.HTTPError as exc:
            raise CrispError(f"could not reach Crisp: {type(exc).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500 or status < 200 or 300 <= status < 400:
            raise CrispError(f"Crisp answered {status}")
        if status >= 400:
            reason = _reason(response)
            raise CrispError(f"Crisp refused ({status}{' ' + reason if reason else ''})", retry=False)
        try:
            body = response.json()
            data = body.get("data") if isinstance(body, dict) else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise CrispError("Crisp answered without website data")
        if data.get("website_id") != website_id:
            raise CrispError("Crisp answered for another website", retry=False)
        return CrispWebsite(website_id, str(data.get("name") or ""), str(data.get("domain") or ""))

    async def send_text(
        self, *, website_id: str, session_id: str, identifier: str, key: str, content: str
    ) -> str | None:
        """Post ``content`` as the operator side; returns Crisp's message fingerprint."""
        path = f"/v1/website/{quote(website_id, safe='')}/conversation/{quote(session_id, safe='')}/message"
        try:
            response = await self._http.post(
                path,
                auth=(identifier, key),
                headers={"X-Crisp-Tier": "plugin"},
                json={"type": "text", "from": "operator", "origin": "chat", "content": content},
            )
        except httpx.HTTPError as exc:
            raise CrispError(f"could not reach Crisp: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise CrispError(f"Crisp refused the plugin credentials ({response.status_code})")
        if response.status_code == 404:
            raise CrispError("Crisp does not know this website or conversation (404)", retry=False)
        if response.status_code in (400, 413, 422):
            raise CrispError(f"Crisp refused the message ({response.status_code})", retry=False)
        if response.status_code >= 400:
            raise CrispError(f"Crisp answered {response.status_code}")
        try:
            data = response.json().get("data") or {}
        except ValueError:
            return None
        fingerprint = data.get("fingerprint") if isinstance(data, dict) else None
        return str(fingerprint) if fingerprint is not None else None

    async def aclose(self) -> None:
        await self._http.aclose()
