"""Schema-driven fuzzing of the app's own OpenAPI: no 5xx, no response outside its declared schema.

Runs against a live server, authenticated both as a tenant key and as the admin token.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import ADMIN_TOKEN
from tests.fakes.crisp_server import FakeCrisp
from tests.live import live_server


@pytest.fixture(scope="session")
def fuzz_target(settings) -> Iterator[dict[str, str]]:
    # Crisp answers (and refuses the fuzzer's credentials): connecting asks it first, and a Crisp
    # that cannot be reached is a 503 by design
    with (
        FakeCrisp(website_id="fuzz", identifier="fuzz", key="fuzz") as crisp,
        live_server(settings, FRONTDESK_CRISP_API_URL=crisp.base_url) as base,
    ):
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        tenant = httpx.post(
            f"{base}/api/v1/admin/tenants",
            headers=admin,
            json={"name": "Fuzz Target", "email": "fuzz@example.com"},
        ).json()
        key = httpx.post(
            f"{base}/api/v1/admin/tenants/{tenant['id']}/api-keys", headers=admin, json={"name": "fuzz"}
        ).json()["key"]
        yield {"base": base, "key": key}


@pytest.fixture(scope="session")
def api_schema(fuzz_target: dict[str, str]):
    return schemathesis.openapi.from_url(f"{fuzz_target['base']}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_5xx_and_matches_its_schema(case, fuzz_target: dict[str, str]) -> None:
    case.call_and_validate(
        base_url=fuzz_target["base"],
        headers={"X-API-Key": fuzz_target["key"], "Authorization": f"Bearer {ADMIN_TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
