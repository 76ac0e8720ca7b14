"""Tenant lifecycle. Runs in an admin-scoped session (platform operations)."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.auth.key_cache import KeyResolver
from frontdesk.billing import plans
from frontdesk.billing import service as billing
from frontdesk.db.tenancy import of_tenant
from frontdesk.jobs.enqueue import after_commit
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import NotFound
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey, BillingAccount, Membership, StripeEvent, Tenant, User
from frontdesk.tenants.schemas import TenantCreate, TenantUpdate


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "tenant"


async def _free_slug(session: AsyncSession, wanted: str) -> str:
    slug = wanted
    while await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        slug = f"{wanted[:60]}-{secrets.token_hex(3)}"
    return slug


async def create_tenant(session: AsyncSession, data: TenantCreate) -> Tenant:
    tenant = Tenant(
        name=data.name,
        email=data.email.lower(),
        slug=await _free_slug(session, data.slug or slugify(data.name)),
        plan=data.plan,
    )
    session.add(tenant)
    await session.flush()
    if data.plan != plans.FREE:  # a plan given at creation is the platform's override
        session.add(
            BillingAccount(tenant_id=tenant.id, plan_override=data.plan, override_note="plan set at creation")
        )
        await session.flush()
    return tenant


async def list_tenants(session: AsyncSession, params: PageParams, q: str | None) -> tuple[list[Tenant], int]:
    query = select(Tenant)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Tenant.name).like(like), Tenant.email.like(like), Tenant.slug.like(like))
        )
    return await paginate(session, query.order_by(Tenant.created_at.desc()), params)


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


async def update_business(
    session: AsyncSession, tenant_id: uuid.UUID, *, name: str | None, email: str | None
) -> Tenant:
    """What a workspace's own people may change of it: its name and contact email."""
    tenant = await get_tenant(session, tenant_id)
    if name is not None:
        tenant.name = name
    if email is not None:
        tenant.email = email.lower()
    return tenant


async def update_tenant(
    session: AsyncSession, cache: Cache, tenant_id: uuid.UUID, data: TenantUpdate, *, actor: str
) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    if data.name is not None:
        tenant.name = data.name
    if data.email is not None:
        tenant.email = data.email.lower()
    if data.plan is not None:  # one way to set a plan by hand: the billing override
        account = await billing.load_account(session, tenant_id)
        await billing.set_override(
            session,
            cache,
            tenant_id,
            plan_override=data.plan,
            comped=bool(account and account.comped),
            note=account.override_note if account else None,
            actor=actor,
        )
    await session.flush()
    return tenant


async def set_suspended(
    session: AsyncSession, keys: KeyResolver, cache: Cache, tenant_id: uuid.UUID, *, suspended: bool
) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    tenant.suspended_at = (tenant.suspended_at or utcnow()) if suspended else None
    await session.flush()
    await _invalidate_keys_after_commit(session, keys, tenant_id, revoked=False)
    marker = suspended_marker(tenant_id)

    async def mark() -> None:  # signed-in users' tokens stop (or work again) at once
        if suspended:
            await cache.set(marker, b"1", 10 * 365 * 86400.0)
        else:
            await cache.delete(marker)

    after_commit(session, mark)
    return tenant


def suspended_marker(tenant_id: uuid.UUID) -> str:
    """Cache marker of a suspended tenant, checked on every user request."""
    return f"tenant:suspended:{tenant_id}"


DELETED_MARK_SECONDS = 3600.0  # longer than an access token lives


async def delete_tenant(session: AsyncSession, keys: KeyResolver, cache: Cache, tenant_id: uuid.UUID) -> None:
    """Deletes the tenant and every row it owns: its tables by cascade (``tenant_id`` … ON
    DELETE CASCADE), the Stripe events about it (kept otherwise, without a tenant), and the
    people who were members of this tenant only (platform staff excepted), with their
    sessions and tokens. Its keys stop at once, and so do access tokens already issued for it
    (they are refused like a suspended tenant's until they expire)."""
    tenant = await get_tenant(session, tenant_id)
    await _invalidate_keys_after_commit(session, keys, tenant_id, revoked=True)

    async def shut_out() -> None:
        await cache.set(suspended_marker(tenant_id), b"1", DELETED_MARK_SECONDS)

    after_commit(session, shut_out)
    other = aliased(Membership)
    elsewhere = exists().where(other.user_id == User.id, other.tenant_id != tenant_id)
    only_here = list(
        (
            await session.scalars(
                select(User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(of_tenant(Membership.tenant_id, tenant_id), User.platform_role.is_(None), ~elsewhere)
            )
        ).all()
    )
    await session.execute(
        delete(StripeEvent)
        .where(of_tenant(StripeEvent.tenant_id, tenant_id))
        .execution_options(synchronize_session=False)
    )
    await session.delete(tenant)
    await session.flush()
    if only_here:
        await session.execute(
            delete(User).where(User.id.in_(only_here)).execution_options(synchronize_session=False)
        )


async def _invalidate_keys_after_commit(
    session: AsyncSession, keys: KeyResolver, tenant_id: uuid.UUID, *, revoked: bool
) -> None:
    digests = list(
        (await session.scalars(select(ApiKey.key_hash).where(of_tenant(ApiKey.tenant_id, tenant_id)))).all()
    )

    async def invalidate() -> None:
        await keys.invalidate(digests, revoked=revoked)

    after_commit(session, invalidate)
