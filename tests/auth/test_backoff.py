"""Guessing passwords: answers that do not tell accounts apart, and a backoff per client address
and per account that slows the attacker down without locking the owner out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from frontdesk.app import create_app
from frontdesk.auth import throttle
from frontdesk.config import Settings
from frontdesk.kit.mail import Mail, MemoryMailer
from tests import factories
from tests.factories import PASSWORD
from tests.knowledge.jobs import settle

WRONG = "not the password at all"
Clients = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    """An app where three failures from one address are free (the suite's default is lax)."""
    application = create_app(settings.model_copy(update={"auth_backoff_after": 3}))
    async with application.router.lifespan_context(application):
        application.state.runtime.mailer = MemoryMailer()
        yield application


@pytest.fixture
async def client_from(app: object) -> AsyncIterator[Clients]:
    """A client of ``app`` that connects from the given address."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4711))  # type: ignore[arg-type]
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Stop the throttle's clock (a slow machine must not make waits run out) and move it
    forward on demand (instead of sleeping)."""
    offset = [0.0]
    start = throttle.clock()
    monkeypatch.setattr(throttle, "clock", lambda: start + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


def _sent(app: object) -> list[Mail]:
    return app.state.runtime.mailer.sent  # type: ignore[attr-defined, no-any-return]


async def _mail_to(app: object, to: str, subject_part: str) -> list[Mail]:
    for _ in range(100):  # the unlock email goes out after the answer
        found = [m for m in _sent(app) if m.to == to and subject_part in m.subject]
        if found:
            return found
        await asyncio.sleep(0.02)
    return []


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _same(a: httpx.Response, b: httpx.Response) -> bool:
    keep = ("type", "title", "status", "detail", "code")
    return a.status_code == b.status_code and {k: a.json().get(k) for k in keep} == {
        k: b.json().get(k) for k in keep
    }


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answers(
    client_from: Clients, later: Callable[[float], None]
) -> None:
    owner = await factories.signup(client_from("192.0.2.10"))
    guesser = client_from("203.0.113.20")
    other = client_from("203.0.113.21")
    unknown = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
    for _ in range(3):
        assert _same(await login(guesser, owner.email, WRONG), await login(other, unknown, WRONG))
    # once an address must wait, it waits alike for both
    wrong, nobody = await login(guesser, owner.email, WRONG), await login(other, unknown, WRONG)
    assert wrong.status_code == 401 and _same(wrong, nobody)
    wrong, nobody = await login(guesser, owner.email, WRONG), await login(other, unknown, WRONG)
    assert wrong.status_code == 429 and _same(wrong, nobody)
    assert wrong.headers["retry-after"] == nobody.headers["retry-after"]


async def test_signing_up_with_a_taken_email_answers_like_a_new_sign_up(
    app: object, client_from: Clients
) -> None:
    client = client_from("192.0.2.15")
    owner = await factories.signup(client, "First Shop")
    fresh = f"fresh-{uuid.uuid4().hex[:6]}@example.com"
    answers = [
        await client.post(
            "/api/v1/auth/signup",
            json={"business_name": "Squatter", "email": email, "password": "an attackers passphrase"},
        )
        for email in (owner.email.upper(), fresh)
    ]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].json() == answers[1].json()
    assert "access_token" not in answers[1].text  # nobody is signed in before the email is proven
    # the owner is told, and nothing changed for them
    told = [m for m in _sent(app) if m.to == owner.email][-1]
    assert told.subject == "You already have a Frontdesk account" and "token=" not in told.body
    assert "/login/" in told.body and "/forgot-password/" in told.body
    assert (await login(client, owner.email, "an attackers passphrase")).status_code == 401
    assert (await login(client, owner.email)).status_code == 200
    # the new address gets the link that creates the workspace, once
    link = [m for m in _sent(app) if m.to == fresh][-1]
    token = link.body.split("/signup/?token=", 1)[1].split()[0]
    # whoever opens it must know the password chosen at sign-up: the owner of an address someone
    # else signed up cannot be made to create the account with that someone's password
    opened = await client.post("/api/v1/auth/signup/confirm", json={"token": token, "password": PASSWORD})
    assert opened.status_code == 401 and "access_token" not in opened.text
    chosen = {"token": token, "password": "an attackers passphrase"}
    created = await client.post("/api/v1/auth/signup/confirm", json=chosen)
    assert created.status_code == 201 and created.json()["secret_key"].startswith("fd_sk_")
    again = await client.post("/api/v1/auth/signup/confirm", json=chosen)
    assert again.status_code == 409
    forged = await client.post("/api/v1/auth/signup/confirm", json={**chosen, "token": token[:-4] + "AAAA"})
    assert forged.status_code == 401


async def test_forgot_password_answers_do_not_tell_accounts_apart(app: object, client_from: Clients) -> None:
    client = client_from("192.0.2.11")
    owner = await factories.signup(client)
    known = await client.post("/api/v1/auth/password/forgot", json={"email": owner.email})
    unknown = await client.post("/api/v1/auth/password/forgot", json={"email": f"x-{owner.email}"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert [m.subject for m in _sent(app) if m.to == owner.email][-1] == "Reset your Frontdesk password"
    assert not [m for m in _sent(app) if m.to == f"x-{owner.email}"]


async def test_an_attackers_guesses_do_not_lock_the_owner_out(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    owner = await factories.signup(client_from("192.0.2.12"))
    attacker = client_from("203.0.113.30")
    for _ in range(4):
        assert (await login(attacker, owner.email, WRONG)).status_code == 401
    blocked = await login(attacker, owner.email, PASSWORD)  # now even a right guess waits
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    # the owner, from their own address, is not affected
    assert (await login(client_from("198.51.100.40"), owner.email)).status_code == 200
    # the attacker's waits keep doubling
    later(int(blocked.headers["retry-after"]))
    assert (await login(attacker, owner.email, WRONG)).status_code == 401
    again = await login(attacker, owner.email, WRONG)
    assert again.status_code == 429 and int(again.headers["retry-after"]) > int(
        blocked.headers["retry-after"]
    )


async def test_guesses_from_many_addresses_slow_the_owner_down_for_minutes_at_most(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    owner = await factories.signup(client_from("192.0.2.13"))
    for n in range(30):  # a botnet: three guesses from each of ten addresses
        r = await login(client_from(f"203.0.113.{100 + n // 3}"), owner.email, WRONG)
        assert r.status_code in (401, 429)
    home = client_from("198.51.100.50")
    waiting = await login(home, owner.email)
    assert waiting.status_code == 429
    assert 1 <= int(waiting.headers["retry-after"]) <= throttle.ACCOUNT.cap
    later(throttle.ACCOUNT.cap)  # at most this long later, the right password works again
    assert (await login(home, owner.email)).status_code == 200


async def test_the_unlock_link_lets_the_owner_in_at_once_and_works_once(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    owner = await factories.signup(client_from("192.0.2.14"))
    for n in range(throttle.ACCOUNT.free + 1):
        await login(client_from(f"203.0.113.{150 + n // 3}"), owner.email, WRONG)
    home = client_from("198.51.100.60")
    assert (await login(home, owner.email)).status_code == 429
    mails = await _mail_to(app, owner.email, "slowed down")
    assert len(mails) == 1  # one email per episode, not one per guess
    token = mails[0].body.split("/unlock?token=", 1)[1].split()[0]
    assert (await home.post("/api/v1/auth/unlock", json={"token": token})).status_code == 204
    assert (await login(home, owner.email)).status_code == 200
    again = await home.post("/api/v1/auth/unlock", json={"token": token})
    assert again.status_code == 401
    events = (
        await home.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "auth."})
    ).json()["items"]
    assert "auth.unlocked" in [e["action"] for e in events]


async def test_an_unlock_link_does_not_reset_the_address_that_opens_it(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    """A sprayer with an account of its own must not clear its address's backoff by throttling
    that account and opening the unlock link it is sent."""
    own = await factories.signup(client_from("192.0.2.40"), "Sprayer Shop")
    sprayer = client_from("203.0.113.200")
    for n in range(throttle.ACCOUNT.free + 1):
        await login(client_from(f"203.0.113.{210 + n // 3}"), own.email, WRONG)
    for _ in range(4):
        await login(sprayer, f"victim-{uuid.uuid4().hex[:6]}@example.com", WRONG)
    assert (await login(sprayer, "another-victim@example.com", WRONG)).status_code == 429
    token = (await _mail_to(app, own.email, "slowed down"))[0].body.split("/unlock?token=", 1)[1].split()[0]
    assert (await sprayer.post("/api/v1/auth/unlock", json={"token": token})).status_code == 204
    assert (await login(sprayer, "another-victim@example.com", WRONG)).status_code == 429


async def test_an_invitation_does_not_open_a_side_door_for_guessing(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    person = await factories.signup(client_from("192.0.2.17"), "Own Shop")
    inviter = await factories.signup(client_from("192.0.2.18"), "Inviting Shop")
    r = await client_from("192.0.2.18").post(
        "/api/v1/customer/team/invitations", headers=inviter.headers, json={"email": person.email}
    )
    assert r.status_code == 201
    await settle(app.state.runtime)  # type: ignore[attr-defined]  # the invitation's email is a job
    token = [m for m in _sent(app) if m.to == person.email][-1].body.split("token=", 1)[1].split()[0]
    guesser = client_from("203.0.113.90")  # someone who got hold of the invitation link
    for _ in range(4):
        r = await guesser.post("/api/v1/auth/invitations/accept", json={"token": token, "password": WRONG})
        assert r.status_code == 401
    r = await guesser.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 429
    assert (await login(guesser, person.email)).status_code == 429  # the same count as sign-ins


async def test_a_password_reset_ends_the_accounts_wait(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    owner = await factories.signup(client_from("192.0.2.16"))
    for n in range(throttle.ACCOUNT.free + 2):
        await login(client_from(f"203.0.113.{200 + n // 3}"), owner.email, WRONG)
    home = client_from("198.51.100.80")
    assert (await login(home, owner.email)).status_code == 429
    assert (await home.post("/api/v1/auth/password/forgot", json={"email": owner.email})).status_code == 202
    token = [m for m in _sent(app) if m.to == owner.email][-1].body.split("token=", 1)[1].split()[0]
    new = "a much better passphrase"
    assert (
        await home.post("/api/v1/auth/password/reset", json={"token": token, "password": new})
    ).status_code == 204
    assert (await login(home, owner.email, new)).status_code == 200


async def test_current_password_guesses_on_the_account_page_count_like_sign_ins(
    app: object, client_from: Clients, later: Callable[[float], None]
) -> None:
    thief = client_from("203.0.113.70")  # holds a stolen access token, not the password
    owner = await factories.signup(thief)
    change = {"current_password": WRONG, "new_password": "a fresh long passphrase"}
    for _ in range(4):
        r = await thief.patch("/api/v1/customer/account", headers=owner.headers, json=change)
        assert r.status_code == 401
    r = await thief.patch(
        "/api/v1/customer/account", headers=owner.headers, json={**change, "current_password": PASSWORD}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert (await login(thief, owner.email)).status_code == 429  # one count for both doors
    events = (
        await thief.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "auth."})
    ).json()["items"]
    assert [e["action"] for e in events].count("auth.password_check_failed") == 4
    assert (await login(client_from("198.51.100.70"), owner.email)).status_code == 200  # password unchanged
