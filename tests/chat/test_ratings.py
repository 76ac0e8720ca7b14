"""Visitors rate the bot's answers: thumbs up or down, changeable, only in their own session."""

from __future__ import annotations

import uuid

import httpx

from tests import factories

HOURS = "# Opening hours\n\nWe are open Monday to Friday from 9am to 6pm."
ORIGIN = "https://shop.test"


async def ask(client: httpx.AsyncClient, headers: dict[str, str], session_id: str, message: str) -> dict:
    r = await client.post(
        "/api/v1/chat", headers=headers, json={"session_id": session_id, "message": message}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def rate(
    client: httpx.AsyncClient, headers: dict[str, str], message_id: str, session_id: str, rating: str | None
) -> httpx.Response:
    return await client.post(
        f"/api/v1/chat/messages/{message_id}/rating",
        headers=headers,
        json={"session_id": session_id, "rating": rating},
    )


async def ratings_in(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str) -> list:
    r = await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    return [(m["role"], m["rating"]) for m in r.json()["messages"]]


async def test_a_visitor_rates_an_answer_changes_and_clears_it(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    await client.post("/api/v1/knowledge", headers=h, json={"name": "Hours", "content": HOURS})
    answer = await ask(client, h, "v1", "What are your opening hours?")
    r = await rate(client, h, answer["message_id"], "v1", "up")
    assert r.status_code == 200, r.text
    assert r.json()["rating"] == "up" and r.json()["rated_at"]
    assert await ratings_in(client, h, answer["conversation_id"]) == [("user", None), ("assistant", "up")]
    assert (await rate(client, h, answer["message_id"], "v1", "down")).json()["rating"] == "down"
    assert await ratings_in(client, h, answer["conversation_id"]) == [("user", None), ("assistant", "down")]
    cleared = await rate(client, h, answer["message_id"], "v1", None)
    assert cleared.json() == {"message_id": answer["message_id"], "rating": None, "rated_at": None}
    assert await ratings_in(client, h, answer["conversation_id"]) == [("user", None), ("assistant", None)]
    r = await rate(client, h, answer["message_id"], "v1", "meh")
    assert r.status_code == 422


async def test_only_the_answers_of_the_visitors_own_session_can_be_rated(
    client: httpx.AsyncClient, tenant_a
) -> None:
    h = tenant_a.headers
    answer = await ask(client, h, "owner-session", "Do you sell gift cards?")
    # another visitor, a made-up id, the visitor's own message: all 404, nothing stored
    r = await rate(client, h, answer["message_id"], "someone-else", "down")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert (await rate(client, h, str(uuid.uuid4()), "owner-session", "down")).status_code == 404
    transcript = (await client.get(f"/api/v1/conversations/{answer['conversation_id']}", headers=h)).json()
    question_id = transcript["messages"][0]["id"]
    assert (await rate(client, h, question_id, "owner-session", "down")).status_code == 404
    assert await ratings_in(client, h, answer["conversation_id"]) == [("user", None), ("assistant", None)]


async def test_hand_over_and_silent_turns_are_not_answers(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    handoff = await ask(client, h, "v2", "I want to talk to a human")
    assert handoff["handoff"] is True
    r = await rate(client, h, handoff["message_id"], "v2", "down")
    assert r.status_code == 409, r.text
    silent = await ask(client, h, "v2", "hello?")
    assert silent["reply"] == ""
    assert (await rate(client, h, silent["message_id"], "v2", "up")).status_code == 409


async def test_a_publishable_key_rates_widget_answers_from_its_origin_only(
    client: httpx.AsyncClient, runtime, tenant_a
) -> None:
    _, pk = await factories.create_key(runtime, tenant_a.id, type="publishable", allowed_origins=[ORIGIN])
    widget = {"X-API-Key": pk, "Origin": ORIGIN}
    answer = await ask(client, widget, "browser-1", "Do you deliver?")
    assert (await rate(client, widget, answer["message_id"], "browser-1", "down")).status_code == 200
    elsewhere = {"X-API-Key": pk, "Origin": "https://evil.test"}
    assert (await rate(client, elsewhere, answer["message_id"], "browser-1", "up")).status_code == 403
    # the same session id on the server's API channel is another conversation: out of the widget's reach
    api_answer = await ask(client, tenant_a.headers, "browser-1", "Do you deliver?")
    assert (await rate(client, widget, api_answer["message_id"], "browser-1", "up")).status_code == 404
    assert await ratings_in(client, tenant_a.headers, answer["conversation_id"]) == [
        ("user", None),
        ("assistant", "down"),
    ]


async def test_another_tenant_cannot_rate(client: httpx.AsyncClient, tenant_a, tenant_b) -> None:
    answer = await ask(client, tenant_b.headers, "b-visitor", "Do you sell gift cards?")
    r = await rate(client, tenant_a.headers, answer["message_id"], "b-visitor", "down")
    assert r.status_code == 404
    assert await ratings_in(client, tenant_b.headers, answer["conversation_id"]) == [
        ("user", None),
        ("assistant", None),
    ]


async def test_a_visitors_ratings_are_in_their_data_export(
    client: httpx.AsyncClient, runtime, tenant_a
) -> None:
    answer = await ask(client, tenant_a.headers, "v-export", "Do you sell gift cards?")
    assert (await rate(client, tenant_a.headers, answer["message_id"], "v-export", "down")).status_code == 200
    _, dpo = await factories.create_key(runtime, tenant_a.id, name="dpo", scopes=["privacy:manage"])
    r = await client.get(
        "/api/v1/privacy/export", headers={"X-API-Key": dpo}, params={"session_id": "v-export"}
    )
    assert r.status_code == 200, r.text
    messages = r.json()["conversations"][0]["messages"]
    assert [(m["role"], m["rating"]) for m in messages] == [("user", None), ("assistant", "down")]
