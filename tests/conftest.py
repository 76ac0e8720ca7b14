"""Test setup: one database per run (SQLite file, or a fresh PostgreSQL database that the
app reaches as the non-superuser role ``frontdesk_app``), one app per session, tenants
deleted after each test.

Choose the backend with FRONTDESK_TEST_DB=sqlite|postgres (``make test`` runs both).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.db import migrate
from frontdesk.db.rls import APP_ROLE
from frontdesk.db.session import unit_of_work
from frontdesk.db.tenancy import admin_scope_key
from frontdesk.kit.mail import MemoryMailer
from frontdesk.models import Tenant
from frontdesk.runtime import Runtime
from tests import factories

BACKEND = os.environ.get("FRONTDESK_TEST_DB", "sqlite")
PG_ADMIN = os.environ.get(
    "FRONTDESK_TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ADMIN_TOKEN = "test-admin-token-" + "x" * 24
SECRET_KEY = "s" * 40


def pg_url(database: str, user: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return base.replace("postgres@", f"{user}@", 1) + f"/{database}"


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """{"app": URL the app uses, "owner": URL migrations use}."""
    if BACKEND == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate.upgrade(url)
        yield {"app": url, "owner": url}
        return
    import asyncio

    name = f"frontdesk_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    owner = pg_url(name, "postgres")
    migrate.upgrade(owner)
    migrate.setup_roles_sync(owner, admin_scope_key=admin_scope_key(SECRET_KEY))
    try:
        yield {"app": pg_url(name, APP_ROLE), "owner": owner}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(urls: dict[str, str], tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": urls["app"],
        "database_admin_url": urls["owner"],
        "admin_token": ADMIN_TOKEN,
        "secret_key": SECRET_KEY,
        "var_dir": tmp,
        "log_json": True,
        "gc_freeze": False,
        "auth_per_minute": 100_000,  # the suite signs up and in far faster than a person; one test lowers it
        "auth_backoff_after": 100_000,  # every test signs in from 127.0.0.1; the backoff tests lower it
        "crisp_api_url": "http://127.0.0.1:9",  # nothing listens: background sweeps fail fast, offline  # a full collection per app start would cost minutes over the suite
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_urls, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        application.state.runtime.mailer = MemoryMailer()  # tests read the emails sent
        yield application


@pytest.fixture(scope="session")
def runtime(app: object) -> Runtime:
    return app.state.runtime  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(autouse=True)
async def _clean_tenants(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "runtime" not in request.fixturenames:
        return
    runtime: Runtime = request.getfixturevalue("runtime")
    for attempt in range(3):
        try:
            async with unit_of_work(runtime.db, admin=("tests", "cleanup")) as session:
                await session.execute(delete(Tenant))
            return
        except DBAPIError:  # a background job (Crisp sweep) writing the same rows: deadlock, retry
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
async def tenant_a(runtime: Runtime) -> factories.TenantWithKey:
    return await factories.tenant_with_key(runtime, name="Alpha Bikes")


@pytest.fixture
async def tenant_b(runtime: Runtime) -> factories.TenantWithKey:
    return await factories.tenant_with_key(runtime, name="Beta Bakery")


def pytest_report_header() -> str:
    return f"frontdesk test database: {BACKEND}"


def new_uuid() -> str:
    return str(uuid.uuid4())


@contextlib.asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A separate app (own runtime) with other settings, and a client for it."""
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as c,
    ):
        yield c
