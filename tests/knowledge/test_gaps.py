"""Unanswered questions: the list (reasons, near duplicates grouped), "Add an answer" (the bot
answers from the next question on), "Dismiss", permissions and the audit log."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from frontdesk.knowledge import gaps
from frontdesk.knowledge.embeddings import static_embedder
from tests import factories

GAPS = "/api/v1/knowledge/gaps"
UNKNOWN = "I don't have that information yet"
HOURS = "# Opening hours\n\nWe are open Monday to Friday from 9am to 6pm."


async def ask(client: httpx.AsyncClient, headers: dict[str, str], session_id: str, message: str) -> dict:
    r = await client.post(
        "/api/v1/chat", headers=headers, json={"session_id": session_id, "message": message}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = GAPS, **params: object
) -> dict:
    r = await client.get(path, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def by_question(page: dict) -> dict[str, dict]:
    return {g["question"]: g for g in page["items"]}


async def test_unanswered_questions_are_listed_with_reasons_and_near_duplicates_grouped(
    client: httpx.AsyncClient, tenant_a
) -> None:
    h = tenant_a.headers
    await client.post("/api/v1/knowledge", headers=h, json={"name": "Hours", "content": HOURS})
    # no knowledge: three visitors ask about parking, in two wordings, one about dogs
    for session in ("p1", "p2"):
        assert UNKNOWN in (await ask(client, h, session, "Do you have parking?"))["reply"]
    await ask(client, h, "p3", "Is there parking near the shop?")
    await ask(client, h, "d1", "Can I bring my dog?")
    # answered from knowledge but rated down
    hours = await ask(client, h, "h1", "What are your opening hours?")
    assert hours["sources"]
    r = await client.post(
        f"/api/v1/chat/messages/{hours['message_id']}/rating",
        headers=h,
        json={"session_id": "h1", "rating": "down"},
    )
    assert r.status_code == 200
    # answered from knowledge, and the visitor asked for a person right after
    await ask(client, h, "h2", "Are you open on Monday?")
    assert (await ask(client, h, "h2", "I want to talk to a human"))["handoff"] is True
    # not gaps: an answered question nobody complained about, a greeting, a hand-over request
    await ask(client, h, "ok", "opening hours on friday?")
    await ask(client, h, "g", "hello")
    await ask(client, h, "x", "Let me speak to a person please")

    page = await listed(client, h)
    groups = by_question(page)
    assert set(groups) == {
        "Do you have parking?",
        "Can I bring my dog?",
        "What are your opening hours?",
        "Are you open on Monday?",
    }, page
    parking = groups["Do you have parking?"]
    assert parking["count"] == 3 and parking["reasons"] == ["no_answer"]
    assert parking["questions"] == ["Do you have parking?", "Is there parking near the shop?"]
    assert len(parking["conversation_ids"]) == 3
    assert page["items"][0]["question"] == "Do you have parking?"  # most asked first
    assert groups["Can I bring my dog?"]["count"] == 1
    assert groups["What are your opening hours?"]["reasons"] == ["rated_down"]
    assert groups["Are you open on Monday?"]["reasons"] == ["handed_off"]
    # paginated
    first = await listed(client, h, limit=1)
    second = await listed(client, h, limit=1, page=2)
    assert first["total"] == 4 and first["items"][0]["question"] == "Do you have parking?"
    assert second["items"][0]["question"] != "Do you have parking?"
    # the period: nothing asked before a date in the past
    assert (await listed(client, h, until="2020-01-01T00:00:00Z"))["total"] == 0


async def test_adding_an_answer_makes_the_bot_answer_from_the_next_question_on(
    client: httpx.AsyncClient, tenant_a
) -> None:
    h = tenant_a.headers
    assert UNKNOWN in (await ask(client, h, "v1", "Do you have parking?"))["reply"]
    await ask(client, h, "v2", "Is there parking near the shop?")
    group = (await listed(client, h))["items"][0]
    r = await client.post(
        f"{GAPS}/answer",
        headers=h,
        json={
            "question": group["question"],
            "answer": "Yes: free parking behind the shop, entrance on Rue Verte.",
            "questions": group["questions"],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["resolved"] == 2 and r.json()["document"]["name"] == "Answers"
    # the next visitor gets the answer; the question left the list
    reply = (await ask(client, h, "v3", "Do you have parking?"))["reply"]
    assert "Rue Verte" in reply and UNKNOWN not in reply
    assert (await listed(client, h))["total"] == 0
    # a second answer lands in the same document, as another Q&A pair
    await ask(client, h, "v4", "Can I bring my dog?")
    r = await client.post(
        f"{GAPS}/answer",
        headers=h,
        json={"question": "Can I bring my dog?", "answer": "Dogs on a leash are welcome."},
    )
    assert r.status_code == 200, r.text
    docs = (await client.get("/api/v1/knowledge", headers=h)).json()["items"]
    assert [d["name"] for d in docs] == ["Answers"] and docs[0]["chunks"] == 2
    content = (await client.get(f"/api/v1/knowledge/{docs[0]['id']}", headers=h)).json()["content"]
    assert (
        content.startswith(f"Q: {group['question']}\nA: Yes: free parking")
        and "Q: Can I bring my dog?" in content
    )
    assert "Dogs on a leash" in (await ask(client, h, "v5", "Can I bring my dog?"))["reply"]


async def test_an_answered_question_comes_back_when_it_still_goes_unanswered(
    client: httpx.AsyncClient, tenant_a
) -> None:
    h = tenant_a.headers
    await ask(client, h, "v1", "Do you have parking?")
    r = await client.post(
        f"{GAPS}/answer", headers=h, json={"question": "Do you have parking?", "answer": "Maybe."}
    )
    assert r.status_code == 200
    assert (await listed(client, h))["total"] == 0
    again = await ask(client, h, "v2", "Do you have parking?")
    r = await client.post(
        f"/api/v1/chat/messages/{again['message_id']}/rating",
        headers=h,
        json={"session_id": "v2", "rating": "down"},
    )
    assert r.status_code == 200
    groups = (await listed(client, h))["items"]
    assert [(g["question"], g["count"], g["reasons"]) for g in groups] == [
        ("Do you have parking?", 1, ["rated_down"])
    ]


async def test_a_dismissed_question_stays_dismissed(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    await ask(client, h, "v1", "What's the weather like on Mars?")
    await ask(client, h, "v2", "Can I bring my dog?")
    r = await client.post(
        f"{GAPS}/dismiss", headers=h, json={"questions": ["what's the weather like on mars"]}
    )
    assert r.status_code == 200 and r.json() == {"resolved": 1}
    await ask(client, h, "v3", "What's the weather like on Mars?")
    assert [g["question"] for g in (await listed(client, h))["items"]] == ["Can I bring my dog?"]
    assert (await client.post(f"{GAPS}/dismiss", headers=h, json={"questions": []})).status_code == 422


async def test_dashboard_users_list_with_read_and_change_with_write_audited(
    client: httpx.AsyncClient, runtime
) -> None:
    owner = await factories.signup(client, "Gap Bistro")
    viewer = await factories.join(client, runtime, owner, "viewer")
    _, key = await factories.create_key(runtime, owner.tenant_id, name="chat")
    await ask(client, {"X-API-Key": key}, "v1", "Do you have parking?")
    path = "/api/v1/customer/knowledge/gaps"
    assert (await listed(client, viewer.headers, path))["items"][0]["question"] == "Do you have parking?"
    body = {"question": "Do you have parking?", "answer": "Yes, behind the shop."}
    r = await client.post(f"{path}/answer", headers=viewer.headers, json=body)
    assert r.status_code == 403
    r = await client.post(
        f"{path}/dismiss", headers=viewer.headers, json={"questions": ["Do you have parking?"]}
    )
    assert r.status_code == 403
    assert (await listed(client, owner.headers, path))["total"] == 1
    r = await client.post(f"{path}/answer", headers=owner.headers, json=body)
    assert r.status_code == 200, r.text
    assert (await listed(client, owner.headers, path))["total"] == 0
    audit = (
        await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "knowledge."})
    ).json()
    assert [e["action"] for e in audit["items"]] == ["knowledge.gap_answer"]
    # a key without knowledge scopes cannot see the list
    _, chat_only = await factories.create_key(
        runtime, owner.tenant_id, name="chat only", scopes=["chat:write"]
    )
    assert (await client.get(GAPS, headers={"X-API-Key": chat_only})).status_code == 403


async def test_an_answers_document_edited_by_hand_keeps_its_text(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    text = "# Answers\n\nSome notes the owner wrote.\n\nQ: Do you ship abroad?\nA: Within the EU."
    doc = (
        await client.post("/api/v1/knowledge", headers=h, json={"name": "Answers", "content": text})
    ).json()
    r = await client.post(
        f"{GAPS}/answer", headers=h, json={"question": "Gift cards?", "answer": "Yes, in store."}
    )
    assert r.status_code == 200 and r.json()["document"]["id"] == doc["id"]
    content = (await client.get(f"/api/v1/knowledge/{doc['id']}", headers=h)).json()["content"]
    assert content == text + "\n\nQ: Gift cards?\nA: Yes, in store."


def test_questions_normalize_to_one_key() -> None:
    assert gaps.normalize_question("  Do you have   PARKING?? ") == "do you have parking"
    assert gaps.question_key("Do you have parking?") == gaps.question_key("do you have parking")
    assert gaps.question_key("Do you have parking?") != gaps.question_key("Do you have a garden?")


@pytest.mark.parametrize(
    ("a", "b", "together"),
    [
        ("Do you have parking?", "Is there parking near the shop?", True),
        ("Can I bring my dog?", "Are dogs allowed?", True),
        ("What are your opening hours?", "When are you open?", True),
        ("Do you have parking?", "Are dogs allowed?", False),
        ("Do you sell gift cards?", "Do you have vegan options?", False),
        ("Can I pay with bitcoin?", "Can I bring my dog?", False),
    ],
)
async def test_the_grouping_threshold_on_the_embedded_model(a: str, b: str, together: bool) -> None:
    vectors = await static_embedder().embed([a, b])
    groups = gaps._cluster(np.asarray(vectors), gaps.GROUP_SIMILARITY)
    assert (len(groups) == 1) is together


async def test_a_weak_match_is_listed_only_when_asked_for(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    await client.post("/api/v1/knowledge", headers=h, json={"name": "Hours", "content": HOURS})
    answer = await ask(client, h, "v1", "What are your opening hours?")
    top = max(s["score"] for s in answer["sources"])
    assert (await listed(client, h))["total"] == 0
    groups = (await listed(client, h, min_score=top + 1))["items"]
    assert [(g["question"], g["reasons"]) for g in groups] == [
        ("What are your opening hours?", ["low_score"])
    ]
    assert (await listed(client, h, min_score=top))["total"] == 0


async def test_answering_the_same_question_again_replaces_its_answer(
    client: httpx.AsyncClient, tenant_a
) -> None:
    h = tenant_a.headers
    for answer in ("Closed on Sunday.", "Open on Sunday from 10 to 14."):
        r = await client.post(
            f"{GAPS}/answer", headers=h, json={"question": "Are you open on Sunday?", "answer": answer}
        )
        assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["chunks"] == 1 and doc["version"] == 2
    content = (await client.get(f"/api/v1/knowledge/{doc['id']}", headers=h)).json()["content"]
    assert content == "Q: Are you open on Sunday?\nA: Open on Sunday from 10 to 14."


async def test_bad_input_is_a_clear_422(client: httpx.AsyncClient, tenant_a) -> None:
    h = tenant_a.headers
    for body in (
        {"question": "   ", "answer": "Yes."},
        {"question": "Parking?", "answer": " \n "},
        {"question": "Parking?"},
        {"question": "Parking?", "answer": "Yes.", "questions": ["x"] * 101},
    ):
        r = await client.post(f"{GAPS}/answer", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
    r = await client.get(
        GAPS, headers=h, params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    )
    assert r.status_code == 422
    r = await client.get(GAPS, headers=h, params={"until": "0001-01-02T00:00:00Z"})
    assert r.status_code == 200 and r.json()["total"] == 0
    assert (await client.get("/api/v1/knowledge", headers=h)).json()["total"] == 0


async def test_answers_added_at_the_same_time_are_all_kept(client: httpx.AsyncClient, tenant_a) -> None:
    """Two team members answering at once: both pairs end up in the one Answers document."""
    h = tenant_a.headers
    await client.post(
        f"{GAPS}/answer", headers=h, json={"question": "Do you deliver?", "answer": "Yes, daily."}
    )
    questions = [f"Question number {n}?" for n in range(6)]
    results = await asyncio.gather(
        *(
            client.post(f"{GAPS}/answer", headers=h, json={"question": q, "answer": f"Answer {n}."})
            for n, q in enumerate(questions)
        )
    )
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    docs = (await client.get("/api/v1/knowledge", headers=h)).json()["items"]
    assert [d["name"] for d in docs] == ["Answers"]
    content = (await client.get(f"/api/v1/knowledge/{docs[0]['id']}", headers=h)).json()["content"]
    assert all(f"Q: {q}" in content for q in ["Do you deliver?", *questions]), content
