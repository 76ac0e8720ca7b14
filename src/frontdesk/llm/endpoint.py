"""Which OpenAI-compatible endpoint and key a tenant's calls use (chat and embeddings alike).

The one rule: a tenant's own endpoint (``base_url``) gets the tenant's own key and goes through
the outbound guard — the deployment's key never follows a tenant setting; otherwise the tenant's
key, else the deployment's, on the deployment's endpoint. No key anywhere: no endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from frontdesk.config import Settings
from frontdesk.kit.outbound import OutboundPolicy


@dataclass(frozen=True)
class Endpoint:
    api_key: str
    base_url: str | None
    outbound: OutboundPolicy | None  # the guard, for an endpoint the tenant chose


def endpoint_for(api_key: SecretStr | None, base_url: str | None, settings: Settings) -> Endpoint | None:
    """The endpoint for a tenant whose LLM settings are ``api_key`` and ``base_url``."""
    if base_url:
        key = api_key.get_secret_value() if api_key else ""
        return Endpoint(key, base_url, settings.outbound) if key else None
    key = (api_key or settings.openai_api_key or SecretStr("")).get_secret_value()
    return Endpoint(key, settings.openai_base_url, None) if key else None
