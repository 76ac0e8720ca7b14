"""Which endpoint and key a tenant's LLM and embedding calls use: the deployment's key never
follows a tenant's own endpoint."""

from __future__ import annotations

from pydantic import SecretStr

from frontdesk.config import Settings
from frontdesk.llm.endpoint import endpoint_for

OURS = SecretStr("sk-deployment")
THEIRS = SecretStr("sk-tenant")


def settings(**overrides: object) -> Settings:
    return Settings(openai_api_key=OURS, openai_base_url="http://llm.internal/v1", **overrides)  # type: ignore[arg-type]


def test_a_tenant_endpoint_without_its_own_key_gets_no_key_at_all() -> None:
    assert endpoint_for(None, "https://llm.example.com/v1", settings()) is None


def test_a_tenant_endpoint_gets_the_tenants_key_and_the_outbound_guard() -> None:
    s = settings()
    endpoint = endpoint_for(THEIRS, "https://llm.example.com/v1", s)
    assert endpoint is not None
    assert (endpoint.api_key, endpoint.base_url) == ("sk-tenant", "https://llm.example.com/v1")
    assert endpoint.outbound is not None


def test_without_a_tenant_endpoint_the_tenants_key_then_ours_on_our_endpoint() -> None:
    own = endpoint_for(THEIRS, None, settings())
    ours = endpoint_for(None, None, settings())
    assert own is not None and ours is not None
    assert (own.api_key, own.base_url, own.outbound) == ("sk-tenant", "http://llm.internal/v1", None)
    assert (ours.api_key, ours.base_url) == ("sk-deployment", "http://llm.internal/v1")
    assert endpoint_for(None, None, Settings(openai_api_key=None)) is None
