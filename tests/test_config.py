"""Settings: defaults, one clear line for bad configuration."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.config import ConfigError, Settings, load_settings, new_encryption_key

GOOD_KEY = new_encryption_key()


def test_embedded_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("FRONTDESK_DATABASE_URL", "FRONTDESK_SECRET_KEY", "FRONTDESK_REDIS_URL", "FRONTDESK_ENV"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///var/frontdesk.db"
    assert s.redis_url is None and s.env == "development"
    # the generated secret is persisted and reused
    assert (tmp_path / "var" / "secret_key").read_text() == s.secret_key
    assert load_settings().secret_key == s.secret_key
    assert len(s.secret_key) >= 32
    # so is a generated encryption key (stored secrets must stay readable across restarts)
    assert s.encryption_keys is not None
    assert (tmp_path / "var" / "encryption_key").read_text() == s.encryption_keys.get_secret_value()
    assert load_settings().encryption_key_bytes == s.encryption_key_bytes
    assert [len(k) for k in s.encryption_key_bytes] == [32]


def test_postgres_url_gets_the_async_driver() -> None:
    s = Settings(database_url="postgresql://u@h/db", secret_key="k" * 32)
    assert s.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FRONTDESK_DATABASE_URL": "mysql://x"}, "FRONTDESK_DATABASE_URL"),
        ({"FRONTDESK_ENV": "staging"}, "FRONTDESK_ENV"),
        (
            {"FRONTDESK_ENV": "production", "FRONTDESK_PUBLIC_URL": "https://fd.test"},
            "FRONTDESK_SECRET_KEY is required",
        ),
        (
            {"FRONTDESK_ENV": "production", "FRONTDESK_SECRET_KEY": "k" * 40},
            "FRONTDESK_PUBLIC_URL is required",
        ),
        (
            {
                "FRONTDESK_ENV": "production",
                "FRONTDESK_SECRET_KEY": "k" * 40,
                "FRONTDESK_PUBLIC_URL": "https://fd.test",
            },
            "FRONTDESK_ENCRYPTION_KEYS is required",
        ),
        ({"FRONTDESK_ENCRYPTION_KEYS": "hunter2"}, "FRONTDESK_ENCRYPTION_KEYS: key 1 of 1 is not 32 bytes"),
        ({"FRONTDESK_ENCRYPTION_KEYS": f"{GOOD_KEY},hunter2=="}, "FRONTDESK_ENCRYPTION_KEYS: key 2 of 2"),
        ({"FRONTDESK_ENCRYPTION_KEYS": f"{GOOD_KEY},,{GOOD_KEY}"}, "FRONTDESK_ENCRYPTION_KEYS: key 2 of 3"),
        ({"FRONTDESK_ENCRYPTION_KEYS": f"{GOOD_KEY}, {GOOD_KEY}"}, "key 2 of 2 repeats an earlier key"),
        ({"FRONTDESK_ENCRYPTION_KEYS": GOOD_KEY[:-3] + "@@="}, "FRONTDESK_ENCRYPTION_KEYS: key 1 of 1"),
        ({"FRONTDESK_REDIS_URL": "http://x"}, "FRONTDESK_REDIS_URL"),
        ({"FRONTDESK_MAX_BODY_BYTES": "lots"}, "FRONTDESK_MAX_BODY_BYTES"),
        ({"FRONTDESK_OUTBOUND_ALLOW": "10.0.0.0/8,127.0.0.1:99999"}, "FRONTDESK_OUTBOUND_ALLOW"),
    ],
)
def test_bad_config_is_one_line_naming_the_variable(monkeypatch, tmp_path, env, expected) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FRONTDESK_SECRET_KEY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert "hunter2" not in message and GOOD_KEY not in message  # never echo a key


def test_encryption_keys_newest_first(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    newer = new_encryption_key()
    monkeypatch.setenv("FRONTDESK_ENCRYPTION_KEYS", f" {newer} , {GOOD_KEY.rstrip('=')}")  # padding optional
    keys = load_settings().encryption_key_bytes
    assert [base64.urlsafe_b64encode(k).decode() for k in keys] == [newer, GOOD_KEY]
    assert not (tmp_path / "var" / "encryption_key").exists()  # nothing generated when configured


def test_cli_exits_with_the_line_not_a_traceback(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "FRONTDESK_ENV": "production",
        "FRONTDESK_PUBLIC_URL": "https://fd.test",
        "HOME": str(tmp_path),
    }
    r = subprocess.run(
        [sys.executable, "-m", "frontdesk", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == "invalid configuration: FRONTDESK_SECRET_KEY is required when FRONTDESK_ENV=production"
    )


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        ("[plans.free]\nseats = 'many'\n", "plan 'free': seats must be a int"),
        ("[plans.pro]\ntitle = 'Pro'\n", "a plan named 'free' is required"),
        ("[plans.free]\npast_due_action = 'shrug'\n", "past_due_action must be 'offline' or 'suspend'"),
        ("[plans.free]\ncolour = 'blue'\n", "unknown field(s) colour"),
        ("[plans.free\n", "FRONTDESK_PLANS_FILE"),
    ],
)
def test_a_bad_plans_file_is_one_line_naming_the_plan(monkeypatch, tmp_path, plans, expected) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "plans.toml"
    path.write_text(plans)
    monkeypatch.setenv("FRONTDESK_PLANS_FILE", str(path))
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("invalid configuration: FRONTDESK_PLANS_FILE") and expected in message
    assert "\n" not in message


def test_trusted_hosts_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRONTDESK_ALLOWED_HOSTS", "api.example.com, *.desk.example.com")
    monkeypatch.setenv("FRONTDESK_PUBLIC_URL", "https://desk.example.com/")
    monkeypatch.delenv("FRONTDESK_ENV", raising=False)
    development = load_settings()
    assert development.trusted_hosts == [
        "127.0.0.1",
        "localhost",
        "testserver",
        "desk.example.com",
        "api.example.com",
        "*.desk.example.com",
    ]
    monkeypatch.setenv("FRONTDESK_ENV", "production")
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FRONTDESK_ENCRYPTION_KEYS", GOOD_KEY)
    assert load_settings().trusted_hosts == ["desk.example.com", "api.example.com", "*.desk.example.com"]
    monkeypatch.setenv("FRONTDESK_PUBLIC_URL", "desk.example.com")
    with pytest.raises(ConfigError, match="FRONTDESK_PUBLIC_URL"):
        load_settings()
