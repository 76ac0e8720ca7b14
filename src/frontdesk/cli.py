"""The `frontdesk` command."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from taskiq.api import run_receiver_task

from frontdesk.auth import service as key_service
from frontdesk.auth import users
from frontdesk.auth.permissions import PLATFORM_ROLES
from frontdesk.auth.schemas import ApiKeyCreate, ApiKeyOut
from frontdesk.config import Settings, exit_on_bad_config, new_encryption_key
from frontdesk.db import migrate as db_migrate
from frontdesk.db.session import unit_of_work
from frontdesk.db.tenancy import admin_scope_key
from frontdesk.jobs import (
    periodic,
    registry,  # noqa: F401  (registers every task with the broker)
)
from frontdesk.kit.errors import FrontdeskError, NotFound
from frontdesk.kit.pagination import PageParams
from frontdesk.models import ApiKey
from frontdesk.observability.logging import configure_logging
from frontdesk.privacy.encryption import Keyring
from frontdesk.privacy.rotation import Progress, rotate
from frontdesk.runtime import Runtime
from frontdesk.tenants import service
from frontdesk.tenants.schemas import TenantCreate, TenantOut

app = typer.Typer(help="Frontdesk: multi-tenant AI chatbot platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
tenants_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="keys")
admin_app = typer.Typer(help="Platform users (staff).", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
secrets_app = typer.Typer(
    help="Encryption of stored secrets (FRONTDESK_ENCRYPTION_KEYS).", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")

T = TypeVar("T")


def _settings() -> Settings:
    settings = exit_on_bad_config()
    configure_logging(settings.log_level, json=settings.log_json)
    return settings


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(runtime)`` with the process runtime started and closed around it."""

    async def main() -> T:
        runtime = await Runtime.start(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


def _keyring(settings: Settings) -> Keyring:
    return Keyring.from_settings(settings)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
) -> None:
    """Run the API (migrates the embedded SQLite database first)."""
    settings = _settings()
    if settings.is_sqlite:
        db_migrate.upgrade(settings.migration_url, keyring=_keyring(settings))
    if workers > 1 and not settings.redis_url:
        # Without Redis, processes can't tell each other about revoked keys: keep caches short.
        os.environ.setdefault("FRONTDESK_API_KEY_CACHE_SECONDS", "1")
    typer.echo(f"Frontdesk listening on http://{host}:{port}  (health: /healthz, API docs: /docs)")
    typer.echo("Create a tenant:  frontdesk tenants create --name 'Acme' --email owner@acme.test")
    typer.echo("Create its key:   frontdesk keys create --tenant <tenant id>")
    uvicorn.run(
        "frontdesk.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    settings = _settings()
    db_migrate.upgrade(settings.migration_url, keyring=_keyring(settings))
    asyncio.run(
        db_migrate.install_admin_scope_key(settings.migration_url, admin_scope_key(settings.secret_key))
    )
    typer.echo("database is up to date")


@db_app.command("setup-roles")
def setup_roles(
    role: Annotated[str, typer.Option(help="Application role to create")] = "frontdesk_app",
    password: Annotated[
        str | None, typer.Option(envvar="FRONTDESK_APP_ROLE_PASSWORD", help="Its password")
    ] = None,
) -> None:
    """Create the PostgreSQL role the app connects as (no superuser, no BYPASSRLS) and grant it DML;
    record the admin-scope key derived from FRONTDESK_SECRET_KEY (the app's own).

    Run it with FRONTDESK_DATABASE_ADMIN_URL (or FRONTDESK_DATABASE_URL) pointing at the owner role.
    """
    settings = _settings()
    try:
        db_migrate.setup_roles_sync(
            settings.migration_url,
            admin_scope_key=admin_scope_key(settings.secret_key),
            role=role,
            password=password,
        )
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"role {role} ready: connect the app with it in FRONTDESK_DATABASE_URL")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    db_migrate.check(_settings().migration_url)
    typer.echo("models and migrations agree")


@tenants_app.command("create")
def tenants_create(
    name: Annotated[str, typer.Option(help="Business name")],
    email: Annotated[str, typer.Option(help="Contact email")],
    plan: Annotated[str, typer.Option(help="free | starter | pro | enterprise")] = "free",
) -> None:
    """Create a tenant and print it as JSON."""

    try:
        data = TenantCreate.model_validate({"name": name, "email": email, "plan": plan})
    except ValidationError as error:
        typer.echo(f"invalid tenant: {error.errors()[0]['loc'][0]}: {error.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None

    async def work(runtime: Any) -> dict[str, Any]:
        async with unit_of_work(runtime.db, admin=("cli", "tenants create")) as session:
            return TenantOut.model_validate(await service.create_tenant(session, data)).model_dump(
                mode="json"
            )

    _echo_json(_run(_settings(), work))


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters"),
    ],
    role: Annotated[str, typer.Option(help="admin, or support (read-only, audited)")] = "admin",
    name: Annotated[str, typer.Option(help="Display name")] = "",
) -> None:
    """Create a platform user who signs in to the admin API and console."""
    if role not in PLATFORM_ROLES:
        typer.echo(f"invalid role {role!r}: use one of {', '.join(PLATFORM_ROLES)}", err=True)
        raise typer.Exit(2)

    async def work(runtime: Any) -> dict[str, Any]:
        user = await users.create_platform_user(
            runtime.db, email=email, password=password, role=role, name=name
        )
        return {"id": str(user.id), "email": user.email, "platform_role": user.platform_role}

    try:
        _echo_json(_run(_settings(), work))
    except FrontdeskError as error:
        typer.echo(f"cannot create the platform user: {error.detail}", err=True)
        raise typer.Exit(2) from None


@tenants_app.command("list")
def tenants_list(
    q: Annotated[str | None, typer.Option(help="Search")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 100,
) -> None:
    """List tenants as JSON."""

    async def work(runtime: Any) -> list[dict[str, Any]]:
        async with unit_of_work(runtime.db, admin=("cli", "tenants list")) as session:
            rows, _ = await service.list_tenants(session, PageParams(page=1, limit=limit), q)
            return [TenantOut.model_validate(t).model_dump(mode="json") for t in rows]

    _echo_json(_run(_settings(), work))


@keys_app.command("create")
def keys_create(
    tenant: Annotated[uuid.UUID, typer.Option(help="Tenant id")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
    type: Annotated[str, typer.Option(help="secret | publishable")] = "secret",
    origin: Annotated[
        list[str] | None, typer.Option(help="Allowed origin (publishable keys); repeatable")
    ] = None,
) -> None:
    """Create an API key and print it once."""

    try:
        data = ApiKeyCreate.model_validate({"name": name, "type": type, "allowed_origins": origin or []})
    except ValidationError as error:
        typer.echo(f"invalid key: {error.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None

    async def work(runtime: Any) -> dict[str, Any]:
        async with unit_of_work(runtime.db, admin=("cli", "keys create")) as check:
            await service.get_tenant(check, tenant)
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            key, plaintext = await key_service.create_key(session, data)
            return {**ApiKeyOut.model_validate(key).model_dump(mode="json"), "key": plaintext}

    try:
        created = _run(_settings(), work)
    except NotFound as error:
        typer.echo(error.detail, err=True)
        raise typer.Exit(1) from None
    _echo_json(created)
    typer.echo("Store this key now: it is not shown again.", err=True)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[uuid.UUID, typer.Argument(help="Key id")]) -> None:
    """Revoke an API key."""

    async def work(runtime: Any) -> bool:
        async with unit_of_work(runtime.db, admin=("cli", "keys revoke")) as lookup:
            tenant_id = await lookup.scalar(select(ApiKey.tenant_id).where(ApiKey.id == key_id))
        if tenant_id is None:
            return False
        async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
            await key_service.revoke_key(session, runtime.keys, key_id)
        return True

    if not _run(_settings(), work):
        typer.echo("no such key", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@secrets_app.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new encryption key (put it first in FRONTDESK_ENCRYPTION_KEYS)."""
    typer.echo(new_encryption_key())


@secrets_app.command("rotate")
def secrets_rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 200,
) -> None:
    """Re-encrypt every stored secret with the newest key of FRONTDESK_ENCRYPTION_KEYS.

    Runs while the app serves (one short transaction per batch) and may be run again. When it
    succeeds, the older keys can be dropped from FRONTDESK_ENCRYPTION_KEYS.
    """
    settings = _settings()
    keyring = Keyring.from_settings(settings)
    typer.echo(f"re-encrypting with key {keyring.newest} (configured: {', '.join(keyring.key_ids)})")

    def report(progress: Progress) -> None:
        typer.echo(f"  {progress.table}: {progress.rows} rows read, {progress.rotated} values re-encrypted")

    async def work(runtime: Any) -> list[Progress]:
        return await rotate(runtime.db, keyring, batch_size=batch_size, on_batch=report)

    results = _run(settings, work)
    unreadable = [line for progress in results for line in progress.unreadable]
    for line in unreadable:
        typer.echo(f"cannot decrypt {line}", err=True)
    if unreadable:
        typer.echo(f"{len(unreadable)} secrets were not re-encrypted: keep the old keys", err=True)
        raise typer.Exit(1)
    rotated = sum(progress.rotated for progress in results)
    typer.echo(f"done: {rotated} values re-encrypted; every stored secret is under key {keyring.newest}")


@app.command()
def worker() -> None:
    """Run background jobs and the periodic schedule (the Redis broker; in-process without Redis)."""

    settings = _settings()

    async def main() -> None:
        runtime = await Runtime.start(settings, worker=True)
        typer.echo("worker started" + ("" if settings.redis_url else " (no Redis: in-process jobs only)"))
        try:
            await asyncio.gather(
                run_receiver_task(runtime.broker, run_startup=False),
                periodic.run_forever(runtime, run_schedule=True, stop=asyncio.Event()),
            )
        finally:
            await runtime.close()

    asyncio.run(main())


def main() -> None:
    app()
