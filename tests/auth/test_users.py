"""Users and access: signup, sign-in with lockout, rotating refresh tokens, roles, invitations,
password reset, platform users and the audit log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from frontdesk.app import create_app
from frontdesk.auth import flows
from frontdesk.auth.tokens import AccessClaims, issue_access
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import ADMIN_TOKEN
from tests.factories import PASSWORD, Account
from tests.knowledge.jobs import settle


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_signup_gives_a_working_chatbot_with_the_returned_keys(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client, "Corner Bakery", website="https://bakery.test", name="Bea")
    me = (await client.get("/api/v1/auth/me", headers=owner.headers)).json()
    assert (
        me["role"] == "owner"
        and me["tenant_name"] == "Corner Bakery"
        and "billing:manage" in me["permissions"]
    )
    # the secret key works server-side, the publishable key from the website
    r = await client.post(
        "/api/v1/knowledge",
        headers={"X-API-Key": owner.secret_key},
        json={"name": "Hours", "content": "# Opening hours\nWe are open from 7:00 to 13:00 every day."},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/chat",
        headers={"X-API-Key": owner.publishable_key, "Origin": "https://bakery.test"},
        json={"session_id": "first-visitor", "message": "When do you open?"},
    )
    assert r.status_code == 200 and "7:00" in r.json()["reply"]
    # and the owner sees that conversation in the customer API
    listed = (await client.get("/api/v1/customer/conversations", headers=owner.headers)).json()
    assert listed["total"] == 1
    config = (await client.get("/api/v1/customer/config", headers=owner.headers)).json()
    assert config["business_name"] == "Corner Bakery"


async def test_signup_explains_what_is_wrong(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)  # an existing account changes none of these answers
    weak = await client.post(
        "/api/v1/auth/signup",
        json={"business_name": "Weak", "email": owner.email, "password": "short"},
    )
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    assert "at least 10 characters" in weak.json()["detail"]
    # found by schemathesis: "İ" lowercases to two characters, so the address grew past the limit
    long_local = await client.post(
        "/api/v1/auth/signup",
        json={"business_name": "Dotted", "email": "İ" * 64 + "@example.com", "password": PASSWORD},
    )
    assert long_local.status_code == 422 and long_local.json()["errors"][0]["field"] == "email"
    # found by schemathesis on PostgreSQL (SQLite does not enforce lengths): the same through the admin API
    admin_long = await client.post(
        "/api/v1/admin/tenants",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        json={"name": "Long", "email": "a@" + "İ" * 160 + ".co"},
    )
    assert admin_long.status_code == 422


async def test_refresh_rotates_and_a_reused_token_revokes_the_session(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != owner.refresh_token
    headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/api/v1/customer/config", headers=headers)).status_code == 200
    # the spent token shows up again: someone copied it — the whole session ends
    stolen = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert stolen.status_code == 401
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    assert (await client.get("/api/v1/customer/config", headers=headers)).status_code == 401


async def test_expired_or_forged_access_tokens_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client)
    me = (await client.get("/api/v1/auth/me", headers=owner.headers)).json()
    claims = AccessClaims(uuid.UUID(me["id"]), uuid.uuid4(), owner.tenant_id, "owner", None)
    expired = issue_access(runtime.settings.secret_key, claims, ttl=timedelta(seconds=-5))
    r = await client.get("/api/v1/customer/config", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    forged = issue_access("another deployment's secret key, 40 chars!", claims)
    r = await client.get("/api/v1/customer/config", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_logout_and_revoking_a_device_stop_its_tokens(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    laptop = (await login(client, owner.email)).json()
    laptop_headers = {"Authorization": f"Bearer {laptop['access_token']}"}
    sessions = (await client.get("/api/v1/auth/sessions", headers=owner.headers)).json()
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    r = await client.delete(f"/api/v1/auth/sessions/{laptop['session_id']}", headers=owner.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/customer/config", headers=laptop_headers)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=owner.headers)).status_code == 204
    assert (await client.get("/api/v1/customer/config", headers=owner.headers)).status_code == 401


ALLOWED: list[tuple[str, str, dict[str, str] | None, set[str]]] = [
    # (method, path, body, roles that may)
    ("GET", "/api/v1/customer/config", None, {"owner", "admin", "member", "viewer"}),
    ("PUT", "/api/v1/customer/config", {"bot_name": "Renamed"}, {"owner", "admin"}),
    (
        "POST",
        "/api/v1/customer/knowledge",
        {"name": "Doc", "content": "Some facts."},
        {"owner", "admin", "member"},
    ),
    ("GET", "/api/v1/customer/leads", None, {"owner", "admin", "member", "viewer"}),
    ("GET", "/api/v1/customer/api-keys", None, {"owner", "admin"}),
    (
        "POST",
        "/api/v1/customer/team/invitations",
        {"email": "new@example.com", "role": "viewer"},
        {"owner", "admin"},
    ),
    ("GET", "/api/v1/customer/audit", None, {"owner", "admin"}),
    ("PATCH", "/api/v1/customer/business", {"name": "New name"}, {"owner", "admin"}),
]


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
async def test_each_role_may_do_what_it_allows_and_nothing_else(
    client: httpx.AsyncClient, runtime: Runtime, role: str
) -> None:
    owner = await factories.signup(client)
    person = owner if role == "owner" else await factories.join(client, runtime, owner, role)
    for method, path, body, roles in ALLOWED:
        if body and "email" in body:
            body = {**body, "email": f"{uuid.uuid4().hex[:6]}@example.com"}
        r = await client.request(method, path, headers=person.headers, json=body)
        if role in roles:
            assert r.status_code in (200, 201), (role, method, path, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert role in r.json()["detail"]


async def test_invitations_bring_people_in_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await factories.signup(client, "Team Shop")
    member = await factories.join(client, runtime, owner, "member")
    me = (await client.get("/api/v1/auth/me", headers=member.headers)).json()
    assert me["role"] == "member" and me["tenant_id"] == str(owner.tenant_id)
    team = (await client.get("/api/v1/customer/team", headers=owner.headers)).json()
    assert sorted(m["role"] for m in team["members"]) == ["member", "owner"]
    # the invitation link works once
    token = await factories.emailed_token(runtime, member.email, "token=")
    again = await client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 409 and again.json()["code"] == "invitation_used"
    # the member signs in with the chosen password; the owner changes the role, then removes them
    assert (await login(client, member.email)).status_code == 200
    user_id = me["id"]
    r = await client.patch(
        f"/api/v1/customer/team/members/{user_id}", headers=owner.headers, json={"role": "viewer"}
    )
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    assert (
        await client.delete(f"/api/v1/customer/team/members/{user_id}", headers=owner.headers)
    ).status_code == 204
    assert (await login(client, member.email)).status_code == 401  # no workspace any more
    # the last owner cannot be demoted
    owner_id = (await client.get("/api/v1/auth/me", headers=owner.headers)).json()["id"]
    r = await client.patch(
        f"/api/v1/customer/team/members/{owner_id}", headers=owner.headers, json={"role": "admin"}
    )
    assert r.status_code == 409
    actions = [
        e["action"]
        for e in (await client.get("/api/v1/customer/audit", headers=owner.headers)).json()["items"]
    ]
    assert {"team.invite", "team.join", "team.role", "team.remove"} <= set(actions)


async def test_password_reset_by_emailed_token(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await factories.signup(client)
    for email in (owner.email, "unknown@example.com"):  # the same answer either way
        r = await client.post("/api/v1/auth/password/forgot", json={"email": email})
        assert r.status_code == 202
    token = await factories.emailed_token(runtime, owner.email, "token=")
    weak = await client.post("/api/v1/auth/password/reset", json={"token": token, "password": "short"})
    assert weak.status_code == 422
    r = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "a brand new passphrase"}
    )
    assert r.status_code == 204
    assert (
        await client.get("/api/v1/customer/config", headers=owner.headers)
    ).status_code == 401  # signed out
    assert (await login(client, owner.email)).status_code == 401
    assert (await login(client, owner.email, "a brand new passphrase")).status_code == 200
    reused = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "yet another one!"}
    )
    assert reused.status_code == 401


async def _platform_user(client: httpx.AsyncClient, runtime: Runtime, role: str) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@frontdesk.example"
    await flows.create_platform_user(runtime.db, email=email, password=PASSWORD, role=role)
    r = await login(client, email)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_platform_admins_run_tenants_and_support_is_read_only_and_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Audited Shop")
    admin = await _platform_user(client, runtime, "admin")
    support = await _platform_user(client, runtime, "support")
    assert (await client.get("/api/v1/admin/tenants", headers=support)).status_code == 200
    r = await client.get(f"/api/v1/admin/tenants/{owner.tenant_id}/api-keys", headers=support)
    assert r.status_code == 200 and len(r.json()) == 1  # the default secret key
    assert (
        await client.post(f"/api/v1/admin/tenants/{owner.tenant_id}/suspend", headers=support)
    ).status_code == 403
    # the tenant sees staff access in its own audit log
    events = (
        await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "admin."})
    ).json()
    assert any(e["action"] == "admin.read" and "api-keys" in e["target"] for e in events["items"])
    # a tenant user is not a platform user
    assert (await client.get("/api/v1/admin/tenants", headers=owner.headers)).status_code == 403
    # the admin suspends the tenant: its keys and its users stop at once
    assert (
        await client.post(f"/api/v1/admin/tenants/{owner.tenant_id}/suspend", headers=admin)
    ).status_code == 200
    assert (await client.get("/api/v1/config", headers={"X-API-Key": owner.secret_key})).status_code == 403
    assert (await client.get("/api/v1/customer/config", headers=owner.headers)).status_code == 403
    assert (await login(client, owner.email)).status_code == 403
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert refreshed.status_code == 403
    stats = (await client.get("/api/v1/admin/stats", headers=admin)).json()
    assert stats["tenants"] >= 1 and stats["suspended_tenants"] >= 1 and len(stats["messages_per_day"]) == 14
    await client.post(f"/api/v1/admin/tenants/{owner.tenant_id}/reactivate", headers=admin)
    assert (await client.get("/api/v1/customer/config", headers=owner.headers)).status_code == 200
    log = (
        await client.get("/api/v1/admin/audit", headers=admin, params={"tenant_id": str(owner.tenant_id)})
    ).json()
    assert {"tenant.signup", "admin.read", "admin.write"} <= {e["action"] for e in log["items"]}


async def test_platform_accounts_do_not_reach_tenant_endpoints(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await _platform_user(client, runtime, "admin")
    r = await client.get("/api/v1/customer/config", headers=admin)
    assert r.status_code == 403 and "admin API" in r.json()["detail"]


def test_accounts_are_plain_data() -> None:
    account = Account(uuid.uuid4(), "a@b.c", "pw", "tok", "ref")
    assert account.headers == {"Authorization": "Bearer tok"}


async def test_changing_the_password_signs_out_the_other_devices(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    phone = (await login(client, owner.email)).json()
    phone_headers = {"Authorization": f"Bearer {phone['access_token']}"}
    wrong = await client.patch(
        "/api/v1/customer/account",
        headers=owner.headers,
        json={"current_password": "not it at all", "new_password": "another long passphrase"},
    )
    assert wrong.status_code == 401
    r = await client.patch(
        "/api/v1/customer/account",
        headers=owner.headers,
        json={"name": "Olive", "current_password": PASSWORD, "new_password": "another long passphrase"},
    )
    assert r.status_code == 200 and r.json()["name"] == "Olive"
    assert (
        await client.get("/api/v1/customer/account", headers=owner.headers)
    ).status_code == 200  # this device
    assert (
        await client.get("/api/v1/customer/account", headers=phone_headers)
    ).status_code == 401  # the other
    assert (await login(client, owner.email, "another long passphrase")).status_code == 200
    # an API key has no account
    assert (
        await client.get("/api/v1/customer/account", headers={"X-API-Key": owner.secret_key})
    ).status_code == 403


async def test_admin_onboards_a_tenant_whose_owner_accepts_by_email(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await _platform_user(client, runtime, "admin")
    r = await client.post(
        "/api/v1/admin/tenants",
        headers=admin,
        json={"name": "Onboarded Optics", "email": "hello@optics.test", "owner_email": "Olga@Optics.test"},
    )
    assert r.status_code == 201, r.text
    token = await factories.emailed_token(runtime, "olga@optics.test", "token=")
    joined = await client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert joined.status_code == 200
    me = (
        await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {joined.json()['access_token']}"}
        )
    ).json()
    assert me["role"] == "owner" and me["tenant_name"] == "Onboarded Optics"


async def test_support_reads_a_tenants_config_and_conversations_on_the_record(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Support Me")
    await client.post(
        "/api/v1/chat",
        headers={"X-API-Key": owner.secret_key},
        json={"session_id": "v1", "message": "Hello!"},
    )
    support = await _platform_user(client, runtime, "support")
    base = f"/api/v1/admin/tenants/{owner.tenant_id}"
    config = await client.get(f"{base}/config", headers=support)
    assert config.status_code == 200 and config.json()["business_name"] == "Support Me"
    listed = (await client.get(f"{base}/conversations", headers=support)).json()
    assert listed["total"] == 1
    transcript = await client.get(f"{base}/conversations/{listed['items'][0]['id']}", headers=support)
    assert transcript.status_code == 200 and transcript.json()["messages"][0]["content"] == "Hello!"
    seen = (
        await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "admin."})
    ).json()
    targets = [e["target"] for e in seen["items"]]
    assert any(t.endswith("/config") for t in targets) and any("/conversations" in t for t in targets)


async def test_the_home_numbers_come_from_the_tenants_own_data(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client, "Numbers Shop")
    key = {"X-API-Key": owner.secret_key}
    await client.post(
        "/api/v1/chat", headers=key, json={"session_id": "a", "message": "How much is the Pro plan?"}
    )
    await client.post(
        "/api/v1/chat", headers=key, json={"session_id": "b", "message": "I want to talk to a human"}
    )
    await client.post(
        "/api/v1/chat", headers=key, json={"session_id": "c", "message": "Call me: ann@example.com"}
    )
    other = await factories.signup(client, "Someone Else")
    await client.post(
        "/api/v1/chat", headers={"X-API-Key": other.secret_key}, json={"session_id": "z", "message": "hi"}
    )
    stats = (await client.get("/api/v1/customer/stats", headers=owner.headers, params={"days": 7})).json()
    assert len(stats["messages_per_day"]) == 7 and stats["messages_per_day"][-1]["messages"] == 3
    assert stats["conversations"] == 3 and stats["handoffs"] == 1 and stats["leads"] >= 1
    names = {i["name"] for i in stats["top_intents"]}
    assert {"pricing", "human_handoff"} <= names


async def test_a_demoted_or_removed_member_loses_access_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client)
    admin = await factories.join(client, runtime, owner, "admin")
    admin_id = (await client.get("/api/v1/auth/me", headers=admin.headers)).json()["id"]
    assert (await client.get("/api/v1/customer/api-keys", headers=admin.headers)).status_code == 200
    r = await client.patch(
        f"/api/v1/customer/team/members/{admin_id}", headers=owner.headers, json={"role": "viewer"}
    )
    assert r.status_code == 200
    # the admin's token (role "admin" inside) stops; signing in again gives the viewer role
    assert (await client.get("/api/v1/customer/api-keys", headers=admin.headers)).status_code == 401
    viewer = (await login(client, admin.email)).json()
    viewer_headers = {"Authorization": f"Bearer {viewer['access_token']}"}
    assert (await client.get("/api/v1/customer/api-keys", headers=viewer_headers)).status_code == 403
    # an admin cannot promote themselves back to owner, and a removed member is out
    assert (
        await client.delete(f"/api/v1/customer/team/members/{admin_id}", headers=owner.headers)
    ).status_code == 204
    assert (await client.get("/api/v1/customer/config", headers=viewer_headers)).status_code == 401


async def test_customer_only_endpoints_refuse_api_keys(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    for path in ("/api/v1/customer/team", "/api/v1/customer/business", "/api/v1/customer/api-keys"):
        r = await client.get(path, headers={"X-API-Key": owner.secret_key})
        assert r.status_code == 403 and "signed-in users" in r.json()["detail"], path


async def test_an_existing_account_is_never_turned_into_staff(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    squatter = await factories.signup(client, email="future-staff@example.com")
    with pytest.raises(Exception, match="already exists"):
        await flows.create_platform_user(runtime.db, email=squatter.email, password=PASSWORD, role="admin")
    assert (await client.get("/api/v1/admin/tenants", headers=squatter.headers)).status_code == 403


async def test_auth_endpoints_are_throttled_per_address(settings) -> None:
    app = create_app(settings.model_copy(update={"auth_per_minute": 3}))

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4711))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    wrong = {"email": "nobody@example.com", "password": "not the password"}
    async with (
        app.router.lifespan_context(app),
        client_from("203.0.113.5") as c,
        client_from("198.51.100.7") as d,
    ):
        for _ in range(3):
            assert (await c.post("/api/v1/auth/login", json=wrong)).status_code == 401
        r = await c.post("/api/v1/auth/login", json=wrong)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        problem = r.json()
        assert problem["code"] == "rate_limited" and problem["limit"] == "address_per_minute"
        assert "3 attempts per minute" in problem["detail"]
        # each action has its own budget: this address may still ask for a reset link
        r = await c.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.com"})
        assert r.status_code == 202
        # another address is not affected
        assert (await d.post("/api/v1/auth/login", json=wrong)).status_code == 401


async def test_a_revoked_invitation_link_answers_like_an_invalid_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Revoking Shop")
    admin = await factories.join(client, runtime, owner, "admin")
    email = f"maybe-{uuid.uuid4().hex[:6]}@example.com"
    invited = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "member"}
    )
    token = await factories.emailed_token(runtime, email, "token=")
    member = await factories.join(client, runtime, owner, "member")
    path = f"/api/v1/customer/team/invitations/{invited.json()['id']}"
    assert (await client.delete(path, headers=member.headers)).status_code == 403  # members may not
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    team = (await client.get("/api/v1/customer/team", headers=owner.headers)).json()
    assert email not in [i["email"] for i in team["invitations"]]
    accept = await client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    bogus = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": "not-a-token-at-all", "password": PASSWORD}
    )
    assert accept.status_code == bogus.status_code == 401
    assert accept.json()["detail"] == bogus.json()["detail"]
    assert (await client.delete(path, headers=owner.headers)).status_code == 204  # idempotent
    owner_id = (await client.get("/api/v1/auth/me", headers=owner.headers)).json()["id"]
    audit = (
        await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "team."})
    ).json()
    revoked = [e for e in audit["items"] if e["action"] == "team.invitation_revoked"]
    admin_id = (await client.get("/api/v1/auth/me", headers=admin.headers)).json()["id"]
    assert [e["actor"] for e in revoked] == [f"user:{owner_id}", f"user:{admin_id}"]  # newest first
    assert {e["target"] for e in revoked} == {email}


async def test_another_workspace_cannot_revoke_an_invitation(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Inviting Shop")
    email = f"guest-{uuid.uuid4().hex[:6]}@example.com"
    invited = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "viewer"}
    )
    other = await factories.signup(client, "Other Shop")
    r = await client.delete(
        f"/api/v1/customer/team/invitations/{invited.json()['id']}", headers=other.headers
    )
    assert r.status_code == 404 and email not in r.text
    missing = await client.delete(f"/api/v1/customer/team/invitations/{uuid.uuid4()}", headers=other.headers)
    assert missing.json()["detail"] == r.json()["detail"]
    token = await factories.emailed_token(runtime, email, "token=")
    joined = await client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert joined.status_code == 200  # still valid


async def test_a_business_name_cannot_break_the_invitation_email(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    evil = "Evil Co\r\nBcc: victim@example.com\r\n\r\nClick https://phish.example\u202e now" + "!" * 300
    owner = await factories.signup(client, "Harmless")
    r = await client.patch("/api/v1/customer/business", headers=owner.headers, json={"name": evil[:200]})
    assert r.status_code == 200
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    r = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": email, "role": "viewer"}
    )
    assert r.status_code == 201
    await settle(runtime)  # the invitation's email is a job
    mail = [m for m in runtime.mailer.sent if m.to == email][-1]  # type: ignore[attr-defined]
    assert "\n" not in mail.subject and "\r" not in mail.subject and "\u202e" not in mail.subject
    assert mail.subject.startswith("You are invited to Evil Co Bcc: victim@example.com Click")
    assert len(mail.subject) < 140
    # the body's first line names the business on one line; the link stays on its own line
    lines = mail.body.splitlines()
    assert (
        len(lines) == 2
        and "phish" in lines[0]
        and lines[1].split("token=", 1)[0].endswith("/accept-invitation?")
    )
