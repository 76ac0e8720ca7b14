"""A tenant's regexes (custom PII patterns, intent patterns) cannot hang the server (issue 12, #3).

Attack: a hostile tenant saves a pattern that backtracks exponentially in Python's ``re``, like
``(a|aa)+b``, then sends a message of ``a``s; before the fix one 35-character message froze the
event loop, and so every tenant's requests and ``/healthz``, for seconds.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import select

from frontdesk.chat.turn import MAX_MESSAGE_CHARS, MAX_METADATA_CHARS, ChatInput
from frontdesk.db.session import unit_of_work
from frontdesk.models import Message, TenantConfiguration
from frontdesk.runtime import Runtime
from tests import factories

HEALTHZ_DELAY_LIMIT = 0.100  # seconds; the bound
PROBE_EVERY = 0.010

# (pattern, the letter of a message that makes Python's re backtrack on it)
PASSED_THE_OLD_VALIDATOR = [("(a|aa)+b", "a"), ("(a|aa)*c", "a"), ("(\\d|\\d\\d)+x", "1")]
# the old nested-repeat heuristic refused these; on RE2 they are harmless, so they are allowed now
REFUSED_BY_THE_OLD_VALIDATOR = [("(x+x+)+y", "x"), ("(a+)+$", "a")]


async def _chat(client: httpx.AsyncClient, headers: dict[str, str], message: str, session: str) -> None:
    r = await client.post("/api/v1/chat", headers=headers, json={"session_id": session, "message": message})
    assert r.status_code == 200, r.text
    assert r.json()["reply"]


async def _healthz_delay(client: httpx.AsyncClient) -> float:
    """How long a /healthz request arriving 10 ms from now waits for its answer: if the event loop
    is blocked when it arrives, that includes the rest of the block."""
    due = time.perf_counter() + PROBE_EVERY
    await asyncio.sleep(PROBE_EVERY)
    r = await client.get("/healthz")
    assert r.status_code == 200
    return time.perf_counter() - due


async def _worst_healthz_delay_during(client: httpx.AsyncClient, chats: list[asyncio.Task[None]]) -> float:
    """Probe /healthz every 10 ms until the chats (added to ``chats`` once this waits) are done;
    the worst delay seen."""
    delays = [await _healthz_delay(client)]
    while not all(c.done() for c in chats):
        delays.append(await _healthz_delay(client))
    return max(delays)


async def _hostile_tenant(
    client: httpx.AsyncClient, runtime: Runtime, patterns: list[tuple[str, str]]
) -> factories.TenantWithKey:
    """A tenant with ``patterns`` both as custom PII patterns and as an intent's patterns."""
    t = await factories.tenant_with_key(runtime, name="Hostile")
    config = {
        "pii": {"custom_patterns": [{"name": f"p{i}", "pattern": p} for i, (p, _) in enumerate(patterns)]},
        "intents": [{"name": "evil", "patterns": [p for p, _ in patterns]}],
    }
    r = await client.put("/api/v1/config", headers=t.headers, json=config)
    assert r.status_code == 200, r.text
    return t


@pytest.mark.parametrize("patterns", [PASSED_THE_OLD_VALIDATOR, REFUSED_BY_THE_OLD_VALIDATOR])
async def test_catastrophic_patterns_do_not_delay_healthz(
    client: httpx.AsyncClient, runtime: Runtime, patterns: list[tuple[str, str]]
) -> None:
    t = await _hostile_tenant(client, runtime, patterns)
    await _chat(client, t.headers, "warm up", session="warm")  # profile, classifier, caches
    baseline = min([await _healthz_delay(client) for _ in range(5)])

    # A short message first: Python's re needs ~0.1 s per pattern on 24 characters, ×1.6 per extra one
    for length in (24, 3999):  # the longest message the chat API takes is 4,000 characters
        messages = [ch * length + "!" for _, ch in patterns]
        chats: list[asyncio.Task[None]] = []
        # the probe starts first: a chat can run into the regexes without ever yielding
        probe = asyncio.create_task(_worst_healthz_delay_during(client, chats))
        await asyncio.sleep(0)
        chats += [
            asyncio.create_task(_chat(client, t.headers, m, session=f"s{length}-{i}"))
            for i, m in enumerate(messages)
        ]
        worst, _ = await asyncio.gather(probe, asyncio.gather(*chats))
        assert worst - baseline < HEALTHZ_DELAY_LIMIT, f"{length} chars: /healthz waited {worst:.3f}s"
        assert all(c.done() and c.exception() is None for c in chats)  # and every chat was answered


async def test_patterns_re2_refuses_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant_a: factories.TenantWithKey
) -> None:
    refused = [r"(\w+) \1", r"ORD-(?=\d)", r"(?<!x)ORD", r"(a++)+b", r"(?>a+)+b"]
    for pattern in refused:
        r = await client.put(
            "/api/v1/config",
            headers=tenant_a.headers,
            json={"pii": {"custom_patterns": [{"name": "order", "pattern": pattern}]}},
        )
        assert r.status_code == 422, (pattern, r.text)
        (error,) = r.json()["errors"]
        assert error["field"] == "pii.custom_patterns"
        assert "custom pattern 'order'" in error["message"] and "RE2 syntax" in error["message"]

        r = await client.put(
            "/api/v1/config",
            headers=tenant_a.headers,
            json={"intents": [{"name": "orders", "patterns": ["order", pattern]}]},
        )
        assert r.status_code == 422, (pattern, r.text)
        (error,) = r.json()["errors"]
        assert error["field"] == "intents"
        assert "intent #1 ('orders')" in error["message"] and "pattern 2" in error["message"]
        assert "RE2 syntax" in error["message"]
    # RE2 is linear, but its constant grows with the program: a config's patterns have a budget
    many = [{"name": f"p{i}", "pattern": rf"\pL+-{i:04}"} for i in range(20)]
    r = await client.put("/api/v1/config", headers=tenant_a.headers, json={"pii": {"custom_patterns": many}})
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["field"] == "pii.custom_patterns" and "too complex together" in error["message"]
    # nothing was saved
    config = (await client.get("/api/v1/config", headers=tenant_a.headers)).json()
    assert config["pii"]["custom_patterns"] == [] and config["intents"] == []


async def test_tenant_patterns_still_redact_and_classify(
    client: httpx.AsyncClient, tenant_a: factories.TenantWithKey
) -> None:
    config = {
        "pii": {"store": "redacted", "custom_patterns": [{"name": "order", "pattern": r"(?i)ord-\d{6}"}]},
        "intents": [{"name": "tracking", "patterns": [r"\bwhere\s+is\s+my\s+(order|parcel)\b"]}],
    }
    r = await client.put("/api/v1/config", headers=tenant_a.headers, json=config)
    assert r.status_code == 200, r.text
    r = await client.post(
        "/api/v1/chat",
        headers=tenant_a.headers,
        json={"session_id": "v1", "message": "Héllo — WHERE IS MY ORDER ord-123456?"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == "tracking"
    transcript = (
        await client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=tenant_a.headers)
    ).json()
    assert transcript["messages"][0]["content"] == "Héllo — WHERE IS MY ORDER [CUSTOM:order]?"


async def test_a_config_saved_before_re2_keeps_the_bot_working(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a: factories.TenantWithKey
) -> None:
    # Python's re accepted (and the old validator recommended) lookaround, possessive and atomic
    # forms that RE2 refuses; such a stored config must not break the tenant's bot
    r = await client.put(
        "/api/v1/config",
        headers=tenant_a.headers,
        json={
            "pii": {"custom_patterns": [{"name": "order", "pattern": r"ORD-\d{6}"}]},
            "intents": [{"name": "tracking", "keywords": ["parcel"], "patterns": [r"track\s+order"]}],
        },
    )
    assert r.status_code == 200, r.text
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        row = await session.scalar(select(TenantConfiguration))
        assert row is not None
        data = dict(row.config_data)
        data["pii"] = {
            **data["pii"],
            "custom_patterns": [*data["pii"]["custom_patterns"], {"name": "old", "pattern": "(?<=id:)\\d++"}],
        }
        data["intents"] = [{**data["intents"][0], "patterns": ["track\\s+order", "(?>parcel)(?!s)"]}]
        row.config_data = data

    got = await client.get("/api/v1/config", headers=tenant_a.headers)
    assert got.status_code == 200, got.text
    assert [p["name"] for p in got.json()["pii"]["custom_patterns"]] == ["order", "old"]
    r = await client.post(
        "/api/v1/chat",
        headers=tenant_a.headers,
        json={"session_id": "v1", "message": "track order ORD-123456"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["intent"] == "tracking"
    # saving it again names what has to change
    saved = got.json()
    r = await client.put(
        "/api/v1/config", headers=tenant_a.headers, json={"pii": saved["pii"], "intents": saved["intents"]}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"pii.custom_patterns", "intents"}


async def test_text_from_any_channel_is_bounded_before_the_regexes_run(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a: factories.TenantWithKey
) -> None:
    # POST /chat refuses more than 4,000 characters, but Crisp hands the engine whatever a visitor
    # sent (up to the 1 MiB body limit): the engine cuts it, and metadata strings, before redaction
    r = await client.put(
        "/api/v1/config",
        headers=tenant_a.headers,
        json={"pii": {"custom_patterns": [{"name": "order", "pattern": r"ORD-\d{6}"}]}},
    )
    assert r.status_code == 200, r.text
    long_text = "ORD-123456 " + "a" * 20_000
    prepared = await runtime.chat.prepare(
        tenant_a.id, ChatInput(session_id="long", message=long_text, metadata={"page": long_text})
    )
    await runtime.chat.reply(prepared)
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id, read_only=True) as session:
        stored = await session.scalar(select(Message).where(Message.role == "user"))
    assert stored is not None
    kept = len("ORD-123456 ")
    assert stored.content == "[CUSTOM:order] " + "a" * (MAX_MESSAGE_CHARS - kept)
    assert stored.meta["metadata"]["page"] == "[CUSTOM:order] " + "a" * (MAX_METADATA_CHARS - kept)
