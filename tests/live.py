"""A real Frontdesk server on a loopback port, as its own process (`python -m frontdesk serve`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from frontdesk.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    env = {
        "FRONTDESK_DATABASE_URL": settings.database_url,
        "FRONTDESK_SECRET_KEY": settings.secret_key,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_VAR_DIR": str(settings.var_dir),
        "FRONTDESK_AUTH_PER_MINUTE": str(settings.auth_per_minute),
        "FRONTDESK_AUTH_BACKOFF_AFTER": str(settings.auth_backoff_after),
    }
    if settings.encryption_keys:  # the same keys as this process: both read the stored secrets
        env["FRONTDESK_ENCRYPTION_KEYS"] = settings.encryption_keys.get_secret_value()
    if settings.database_admin_url:
        env["FRONTDESK_DATABASE_ADMIN_URL"] = settings.database_admin_url
    if settings.admin_token:
        env["FRONTDESK_ADMIN_TOKEN"] = settings.admin_token
    if settings.redis_url:
        env["FRONTDESK_REDIS_URL"] = settings.redis_url
    if settings.openai_api_key:
        env["OPENAI_API_KEY"] = settings.openai_api_key.get_secret_value()
    if settings.openai_base_url:
        env["OPENAI_BASE_URL"] = settings.openai_base_url
    return env


@contextmanager
def live_server(settings: Settings, **extra_env: str) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDESK_", "OPENAI_"))}
    env.update(settings_env(settings), **extra_env)
    # its log goes to a file: a pipe nobody reads fills up (64 KiB) and then blocks the server
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("live server did not start")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
