"""The conversation store, called the way the chat pipeline and the endpoints call it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from frontdesk.chat import store
from frontdesk.db.session import unit_of_work
from frontdesk.kit.errors import Conflict, NotFound
from frontdesk.kit.pagination import PageParams
from frontdesk.models import Conversation, Message
from frontdesk.runtime import Runtime
from tests import factories

NO_FILTERS: dict[str, object] = dict(status=None, channel=None, intent=None, q=None, since=None, until=None)


async def seed(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    session_id: str,
    messages: Sequence[tuple[str, str, str | None]] = (),
    *,
    channel: str = "api",
    status: str = "open",
    created_at: datetime | None = None,
) -> uuid.UUID:
    """A conversation with ``(role, content, intent)`` messages, through the store."""
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        conversation = await store.get_or_create_conversation(session, channel=channel, session_id=session_id)
        for role, content, intent in messages:
            await store.add_message(session, conversation, role=role, content=content, intent=intent)
        await store.set_status(session, conversation.id, status)
        if created_at is not None:
            await session.execute(
                update(Conversation).where(Conversation.id == conversation.id).values(created_at=created_at)
            )
        return conversation.id


async def listed(runtime: Runtime, tenant_id: uuid.UUID, params: PageParams | None = None, **filters: object):
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        return await store.list_conversations(session, params or PageParams(), **{**NO_FILTERS, **filters})


async def test_get_or_create_reuses_the_conversation_of_a_session(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        first = await store.get_or_create_conversation(session, channel="api", session_id="visitor-1")
        again = await store.get_or_create_conversation(session, channel="api", session_id="visitor-1")
        other_channel = await store.get_or_create_conversation(
            session, channel="crisp", session_id="visitor-1"
        )
    assert again.id == first.id and first.status == "open"
    assert other_channel.id != first.id
    async with unit_of_work(runtime.db, tenant_id=a) as session:  # a later request finds it too
        later = await store.get_or_create_conversation(session, channel="api", session_id="visitor-1")
    assert later.id == first.id
    async with unit_of_work(runtime.db, tenant_id=b) as session:  # same session id, another tenant
        theirs = await store.get_or_create_conversation(session, channel="api", session_id="visitor-1")
    assert theirs.id != first.id and theirs.tenant_id == b


async def test_concurrent_first_messages_make_one_conversation(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)

    async def first_message(n: int) -> uuid.UUID:
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            conversation = await store.get_or_create_conversation(
                session, channel="widget", session_id="race"
            )
            await store.add_message(session, conversation, role="user", content=f"hello {n}")
            return conversation.id

    ids = await asyncio.gather(*(first_message(n) for n in range(8)))
    assert len(set(ids)) == 1
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1
        assert await session.scalar(select(func.count()).select_from(Message)) == 8


async def test_recent_history_is_the_newest_dialogue_oldest_first(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    turns = [
        ("user", "u1", None),
        ("assistant", "a1", None),
        ("system", "handed to a person", None),
        ("user", "u2", None),
        ("operator", "o1", None),
        ("user", "u3", None),
        ("assistant", "a3", None),
    ]
    conversation_id = await seed(runtime, tenant, "s", turns)
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        last_four = await store.recent_history(session, conversation_id, limit=4)
        everything = await store.recent_history(session, conversation_id, limit=50)
        nothing = await store.recent_history(session, conversation_id, limit=0)
    assert [m.content for m in last_four] == ["u2", "o1", "u3", "a3"]
    assert [m.content for m in everything] == ["u1", "a1", "u2", "o1", "u3", "a3"]
    assert nothing == []


async def test_add_message_keeps_its_details_and_touches_the_conversation(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation = await store.get_or_create_conversation(session, channel="api", session_id="s")
        before = conversation.updated_at
        message = await store.add_message(
            session,
            conversation,
            role="assistant",
            content="The Pro plan is 49 €.",
            intent="pricing",
            tokens=42,
            latency_ms=310,
            model="gpt-test",
            meta={"confidence": 0.91, "sources": ["Pricing"]},
        )
    # the first message of a new conversation takes its creation time: no UPDATE needed
    assert conversation.updated_at == before == message.created_at
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        again = await store.get_or_create_conversation(session, channel="api", session_id="s")
        later = await store.add_message(session, again, role="user", content="thanks", language="fr")
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        stored_conversation = await store.get_conversation(session, conversation.id)
    assert later.created_at > message.created_at
    assert stored_conversation.updated_at == later.created_at and stored_conversation.language == "fr"
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        _, messages = await store.transcript(session, conversation.id)
    stored = messages[0]
    assert (stored.role, stored.content, stored.intent, stored.tokens, stored.latency_ms, stored.model) == (
        "assistant",
        "The Pro plan is 49 €.",
        "pricing",
        42,
        310,
        "gpt-test",
    )
    assert stored.meta == {"confidence": 0.91, "sources": ["Pricing"]}
    with pytest.raises(ValueError, match="role"):
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            await store.add_message(session, conversation, role="robot", content="x")


async def test_set_status_accepts_only_known_statuses(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    conversation_id = await seed(runtime, tenant, "s")
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation = await store.get_conversation(session, conversation_id)
        await store.set_status(session, conversation.id, "handoff")
        assert conversation.status == "handoff"  # the loaded object follows
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation = await store.get_conversation(session, conversation_id)
        assert conversation.status == "handoff"
        with pytest.raises(ValueError, match="status"):
            await store.set_status(session, conversation.id, "archived")


async def test_list_summarises_each_conversation_newest_activity_first(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    long_text = "Could you tell me " + "really " * 40 + "everything?"
    first = await seed(
        runtime,
        tenant,
        "first",
        [("user", "How much is Pro?", "pricing"), ("assistant", long_text, None)],
    )
    second = await seed(runtime, tenant, "second", [("user", "Hello there", "greeting")])
    empty = await seed(runtime, tenant, "empty")
    # new activity in the first conversation moves it to the top
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation = await store.get_or_create_conversation(session, channel="api", session_id="first")
        await store.add_message(session, conversation, role="user", content="thanks", intent=None)

    rows, total = await listed(runtime, tenant)
    assert total == 3
    assert [r.conversation.id for r in rows] == [first, empty, second]
    top = rows[0]
    assert top.message_count == 3
    assert top.last_message == "thanks" and top.last_message_role == "user"
    assert top.last_intent == "pricing"  # the newest message that carried an intent
    assert top.last_message_at is not None and top.last_message_at.tzinfo is not None

    rows, _ = await listed(runtime, tenant, q="tell me")
    [row] = rows
    assert row.last_message == "thanks"
    rows, _ = await listed(runtime, tenant, q="HELLO")
    assert {r.conversation.id for r in rows} == {second}
    assert rows[0].message_count == 1 and rows[0].last_intent == "greeting"
    rows, _ = await listed(runtime, tenant, q="nothing like this")
    assert rows == []
    by_id = {r.conversation.id: r for r in (await listed(runtime, tenant))[0]}
    assert by_id[empty].message_count == 0 and by_id[empty].last_message is None
    assert by_id[empty].last_intent is None


async def test_previews_are_cut_to_120_characters(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    await seed(runtime, tenant, "long", [("assistant", "x" * 500, None)])
    await seed(runtime, tenant, "exact", [("assistant", "y" * 120, None)])
    rows, _ = await listed(runtime, tenant)
    previews = {r.conversation.session_id: r.last_message for r in rows}
    assert previews["exact"] == "y" * 120
    assert previews["long"] is not None and len(previews["long"]) == 120
    assert previews["long"].startswith("xxx") and previews["long"].endswith("…")


async def test_list_filters(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    now = datetime.now(UTC)
    old = await seed(
        runtime,
        tenant,
        "old",
        [("user", "Do you ship to Canada?", "shipping")],
        channel="crisp",
        status="closed",
        created_at=now - timedelta(days=10),
    )
    handoff = await seed(
        runtime,
        tenant,
        "handoff",
        [("user", "I want to talk to a PERSON", "human_handoff"), ("assistant", "Sure", None)],
        status="handoff",
        created_at=now - timedelta(days=3),
    )
    pricing = await seed(
        runtime,
        tenant,
        "pricing",
        [("user", "What does the 100% plan cost?", "pricing"), ("assistant", "49 €", "pricing")],
        channel="widget",
    )

    async def ids(**filters: object) -> set[uuid.UUID]:
        rows, total = await listed(runtime, tenant, **filters)
        assert total == len(rows)
        return {r.conversation.id for r in rows}

    assert await ids() == {old, handoff, pricing}
    assert await ids(status="handoff") == {handoff}
    assert await ids(status="open") == {pricing}
    assert await ids(channel="crisp") == {old}
    assert await ids(intent="pricing") == {pricing}
    assert await ids(intent="shipping", status="closed") == {old}
    assert await ids(intent="shipping", status="open") == set()
    # text search: case-insensitive, and % / _ are literal characters
    assert await ids(q="person") == {handoff}
    assert await ids(q="canada") == {old}
    assert await ids(q="100%") == {pricing}
    assert await ids(q="%") == {pricing}
    assert await ids(q="_") == set()
    # started between since (inclusive) and until (exclusive); naive means UTC
    assert await ids(since=now - timedelta(days=5)) == {handoff, pricing}
    assert await ids(until=now - timedelta(days=5)) == {old}
    assert await ids(since=now - timedelta(days=11), until=now - timedelta(days=1)) == {old, handoff}
    naive = (now - timedelta(days=5)).replace(tzinfo=None)
    assert await ids(since=naive) == {handoff, pricing}
    other_zone = (now - timedelta(days=5)).astimezone(timezone(timedelta(hours=5)))
    assert await ids(since=other_zone) == {handoff, pricing}


async def test_pagination_totals(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    for n in range(5):
        await seed(runtime, tenant, f"s{n}", [("user", f"message {n}", None)])
    pages = [await listed(runtime, tenant, PageParams(page=p, limit=2)) for p in (1, 2, 3, 4)]
    assert [total for _, total in pages] == [5, 5, 5, 5]
    assert [len(rows) for rows, _ in pages] == [2, 2, 1, 0]
    sessions = [r.conversation.session_id for rows, _ in pages for r in rows]
    assert sessions == ["s4", "s3", "s2", "s1", "s0"]


async def test_transcript_and_not_found(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    conversation_id = await seed(
        runtime, tenant, "s", [("user", "one", None), ("assistant", "two", None), ("system", "three", None)]
    )
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation, messages = await store.transcript(session, conversation_id)
        assert conversation.id == conversation_id
        assert [(m.role, m.content) for m in messages] == [
            ("user", "one"),
            ("assistant", "two"),
            ("system", "three"),
        ]
        with pytest.raises(NotFound, match="No such conversation"):
            await store.transcript(session, uuid.uuid4())


async def test_release_handoff(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    open_id = await seed(runtime, tenant, "open")
    handoff_id = await seed(runtime, tenant, "handoff", status="handoff")
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        with pytest.raises(Conflict, match="'open'"):
            await store.release_handoff(session, open_id)
        released = await store.release_handoff(session, handoff_id)
        assert released.status == "open"
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        assert (await store.get_conversation(session, handoff_id)).status == "open"
        with pytest.raises(Conflict):  # releasing twice
            await store.release_handoff(session, handoff_id)


async def test_store_reads_never_reach_another_tenant(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await seed(runtime, a, "mine", [("user", "shared words", "pricing")])
    theirs = await seed(runtime, b, "theirs", [("user", "shared words", "pricing")], status="handoff")
    rows, total = await listed(runtime, a, q="shared", intent="pricing")
    assert total == 1 and [r.conversation.session_id for r in rows] == ["mine"]
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        with pytest.raises(NotFound):
            await store.transcript(session, theirs)
        with pytest.raises(NotFound):
            await store.release_handoff(session, theirs)
        assert await store.recent_history(session, theirs, limit=10) == []
    async with unit_of_work(runtime.db, tenant_id=b) as session:
        assert (await store.get_conversation(session, theirs)).status == "handoff"
