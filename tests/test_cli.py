"""The `frontdesk` command, run as a user would, against its own SQLite database."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


@pytest.fixture
def run(tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")},
        "FRONTDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FRONTDESK_SECRET_KEY": "c" * 40,
        "FRONTDESK_LOG_LEVEL": "WARNING",
    }

    def _run(*args: str, ok: bool = True, **more_env: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [sys.executable, "-m", "frontdesk", *args],
            env={**env, **more_env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert r.returncode == 0, r.stderr
        return r

    return _run


def test_tenant_and_key_lifecycle_from_the_command_line(run) -> None:
    assert "up to date" in run("migrate").stdout
    tenant = json.loads(run("tenants", "create", "--name", "Corner Shop", "--email", "Me@Corner.test").stdout)
    assert tenant["slug"] == "corner-shop" and tenant["email"] == "me@corner.test"
    listed = json.loads(run("tenants", "list").stdout)
    assert [t["id"] for t in listed] == [tenant["id"]]

    created = run("keys", "create", "--tenant", tenant["id"], "--name", "ci")
    key = json.loads(created.stdout)
    assert key["key"].startswith("fd_sk_") and "not shown again" in created.stderr
    pub = json.loads(
        run(
            "keys",
            "create",
            "--tenant",
            tenant["id"],
            "--type",
            "publishable",
            "--origin",
            "https://corner.test",
        ).stdout
    )
    assert pub["key"].startswith("fd_pk_") and pub["allowed_origins"] == ["https://corner.test"]

    assert "revoked" in run("keys", "revoke", key["id"]).stdout
    missing = run("keys", "revoke", "00000000-0000-0000-0000-000000000000", ok=False)
    assert missing.returncode == 1 and "no such key" in missing.stderr


def test_cli_rejects_bad_input_clearly(run) -> None:
    run("migrate")
    bad = run("tenants", "create", "--name", "X", "--email", "nope", ok=False)
    assert bad.returncode == 2 and "email" in bad.stderr and "Traceback" not in bad.stderr
    unknown = run("keys", "create", "--tenant", "00000000-0000-0000-0000-000000000000", ok=False)
    assert unknown.returncode == 1 and "No such tenant" in unknown.stderr
    pub = run(
        "keys",
        "create",
        "--tenant",
        "00000000-0000-0000-0000-000000000000",
        "--type",
        "publishable",
        ok=False,
    )
    assert pub.returncode == 2 and "origin" in pub.stderr


def test_db_check_says_models_and_migrations_agree(run) -> None:
    run("migrate")
    assert "agree" in run("db", "check").stdout


def test_setup_roles_refuses_sqlite(run) -> None:
    r = run("db", "setup-roles", ok=False)
    assert r.returncode == 2 and "PostgreSQL only" in r.stderr


def test_admin_create_makes_a_platform_user_who_can_sign_in(run, tmp_path: Path) -> None:
    run("migrate")
    created = json.loads(
        run("admin", "create", "--email", "Staff@Example.com", "--password", "a long passphrase").stdout
    )
    assert created["email"] == "staff@example.com" and created["platform_role"] == "admin"
    again = run(
        "admin", "create", "--email", "staff@example.com", "--password", "a long passphrase", ok=False
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = run("admin", "create", "--email", "x@example.com", "--password", "short", ok=False)
    assert weak.returncode == 2 and "10 characters" in weak.stderr
    bad_role = run(
        "admin",
        "create",
        "--email",
        "y@example.com",
        "--password",
        "long enough pass",
        "--role",
        "root",
        ok=False,
    )
    assert bad_role.returncode == 2 and "support" in bad_role.stderr


def _with_runtime(tmp_path: Path, keys: str, work):  # type: ignore[no-untyped-def]
    """Run ``work(runtime)`` in this process against the CLI's database, with these keys."""
    from frontdesk.config import Settings
    from frontdesk.runtime import Runtime

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}",
        secret_key="c" * 40,
        encryption_keys=keys,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        gc_freeze=False,
    )

    async def main():  # type: ignore[no-untyped-def]
        runtime = await Runtime.start(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


def test_secrets_rotate_moves_stored_secrets_to_the_new_key(run, tmp_path: Path) -> None:
    from frontdesk.channels.crisp import service as crisp
    from frontdesk.config import new_encryption_key
    from frontdesk.db.session import unit_of_work
    from frontdesk.tenants import bot_config
    from frontdesk.tenants.bot_config import BotConfigIn

    old, new = run("secrets", "generate-key").stdout.strip(), new_encryption_key()
    assert len(base64.urlsafe_b64decode(old)) == 32
    run("migrate", FRONTDESK_ENCRYPTION_KEYS=old)
    tenant = uuid.UUID(
        json.loads(
            run(
                "tenants", "create", "--name", "Keys", "--email", "k@keys.test", FRONTDESK_ENCRYPTION_KEYS=old
            ).stdout
        )["id"]
    )
    canaries = (
        "sk-canary-cli-" + uuid.uuid4().hex,
        "ck-canary-" + uuid.uuid4().hex,
        "cs-canary-" + uuid.uuid4().hex,
    )

    async def write(runtime):  # type: ignore[no-untyped-def]
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            config = BotConfigIn.model_validate({"llm": {"api_key": canaries[0]}})
            await bot_config.save(session, config, api_key_sent=True)
            await crisp.save_verified(  # as if Crisp had confirmed the plugin token
                session,
                "c" * 40,
                actor="tests",
                website_id="website-1",
                identifier="i",
                key=canaries[1],
                signing_secret=canaries[2],
            )

    _with_runtime(tmp_path, old, write)

    rotated = run("secrets", "rotate", "--batch-size", "1", FRONTDESK_ENCRYPTION_KEYS=f"{new},{old}")
    assert "crisp_integrations: 1 rows read, 2 values re-encrypted" in rotated.stdout
    assert "tenant_configurations: 1 rows read, 1 values re-encrypted" in rotated.stdout
    assert "done: 3 values re-encrypted" in rotated.stdout

    # the old key alone can no longer read them, and says so (nothing is rewritten)
    stale = run("secrets", "rotate", FRONTDESK_ENCRYPTION_KEYS=old, ok=False)
    assert stale.returncode == 1 and "Traceback" not in stale.stderr
    assert "cannot decrypt crisp_integrations.api_key" in stale.stderr and "keep the old keys" in stale.stderr

    async def read(runtime):  # type: ignore[no-untyped-def]
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            config, _ = await bot_config.load(session)
            integration = await crisp.get_integration(session)
            assert config.llm.api_key is not None and integration is not None
            return config.llm.api_key.get_secret_value(), integration.api_key, integration.signing_secret

    assert _with_runtime(tmp_path, new, read) == canaries  # the new key alone reads everything
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cli.db*"))
    assert not any(c.encode() in raw for c in canaries)
