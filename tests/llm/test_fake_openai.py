"""The fake OpenAI server speaks the wire format the official SDK expects."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from openai import AsyncOpenAI

from tests.fakes.openai_server import FakeOpenAI, fake_embedding


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


async def test_requests_without_a_key_get_openai_error_shape(fake: FakeOpenAI) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{fake.base_url}/chat/completions", json={"model": "m", "messages": []})
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert fake.requests[0].bearer is None


async def test_embeddings_are_deterministic_in_both_encodings(fake: FakeOpenAI) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    try:
        b64 = await client.embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
        floats = await client.embeddings.create(
            model="text-embedding-3-small", input="hello", encoding_format="float", dimensions=4
        )
    finally:
        await client.close()
    assert fake.requests[0].body["encoding_format"] == "base64"  # the SDK's default
    assert b64.data[0].embedding == fake_embedding("hello", 8)
    assert b64.data[1].embedding != b64.data[0].embedding
    assert floats.data[0].embedding == fake_embedding("hello", 4)
    assert fake.requests[0].bearer == "sk-test"
