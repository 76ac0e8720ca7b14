"""Crisp's REST API, the one call the bot needs: post a text message into a conversation.

``POST {api}/v1/website/{website_id}/conversation/{session_id}/message`` with HTTP Basic
``identifier:key`` and ``X-Crisp-Tier: plugin`` (the plugin-token tier), body
``{"type": "text", "from": "operator", "origin": "chat", "content": …}``; Crisp answers
``{"error": false, "reason": …, "data": {"fingerprint": …}}``. The base URL is a setting
(``FRONTDESK_CRISP_API_URL``) so tests aim it at a fake Crisp on loopback.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

TIMEOUT_SECONDS = 10.0


class CrispError(Exception):
    """The reply could not be delivered; ``retry`` is False when retrying cannot help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class CrispClient:
    def __init__(self, base_url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

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
