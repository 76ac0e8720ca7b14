"""The `frontdesk` command, run as a user would, against its own SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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

    def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [sys.executable, "-m", "frontdesk", *args],
            env=env,
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
