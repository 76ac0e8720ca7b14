"""One-time tokens under concurrency: of N simultaneous uses of one refresh token, reset link or
invitation, exactly one succeeds (on SQLite as on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import ADMIN_TOKEN
from tests.factories import PASSWORD


async def test_ten_concurrent_refreshes_with_one_token_give_one_new_pair(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}) for _ in range(10))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [401] * 9, codes
    # the other nine were reuse of a spent token: the session is revoked, the winner's pair too
    winner = next(r.json() for r in answers if r.status_code == 200)
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 401


async def test_eight_concurrent_resets_with_one_link_change_the_password_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client)
    assert (await client.post("/api/v1/auth/password/forgot", json={"email": owner.email})).status_code == 202
    token = await factories.emailed_token(runtime, owner.email, "token=")
    passwords = [f"new passphrase number {i}" for i in range(8)]
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/password/reset", json={"token": token, "password": p}) for p in passwords)
    )
    codes = [r.status_code for r in answers]
    assert sorted(codes) == [204] + [401] * 7, codes
    chosen = passwords[codes.index(204)]
    for password in passwords:  # only the winner's password opens the account
        r = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": password})
        assert r.status_code == (200 if password == chosen else 401)


async def test_concurrent_accepts_of_one_invitation_let_one_person_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client)
    email = "racer@example.com"
    r = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "member"}
    )
    assert r.status_code == 201
    token = await factories.emailed_token(runtime, email, "token=")
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
            for _ in range(6)
        )
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 5, [(r.status_code, r.text[:120]) for r in answers]
    team = (await client.get("/api/v1/customer/team", headers=owner.headers)).json()
    assert [m["email"] for m in team["members"]].count(email) == 1


async def test_concurrent_uses_of_one_signup_link_create_one_workspace(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    email = f"racer-{uuid.uuid4().hex[:6]}@example.com"
    r = await client.post(
        "/api/v1/auth/signup", json={"business_name": "Race Shop", "email": email, "password": PASSWORD}
    )
    assert r.status_code == 202
    token = await factories.emailed_token(runtime, email, "token=")
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/auth/signup/confirm", json={"token": token, "password": PASSWORD})
            for _ in range(4)
        )
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 409, 409, 409], [(r.status_code, r.text[:120]) for r in answers]
    r = await client.get("/api/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert [t["name"] for t in r.json()["items"]].count("Race Shop") == 1
