"""Connecting Crisp: proof of ownership through Crisp's API, with no transaction held.

A Crisp website belongs to whoever can show Crisp's answer for it, not to whoever typed its
id first. ``connect`` reads what it needs (plan, stored key) in a short transaction, asks
Crisp with the tenant's own plugin credentials (``GET /v1/website/{id}``, which Crisp
answers only for a plugin token subscribed to that website), then saves in a second short
transaction — taking the website over from another tenant if one had it. Nothing is
saved when Crisp says no or cannot be reached; the key never appears in an error or a log.
"""

from __future__ import annotations

import uuid

import structlog

from frontdesk.channels.crisp import service
from frontdesk.channels.crisp.client import CrispClient, CrispError
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.errors import FrontdeskError, ServiceUnavailable

log = structlog.get_logger()


class CrispNotConfirmed(FrontdeskError):
    status, code, title = 422, "crisp_not_confirmed", "Crisp did not confirm these credentials"


class CrispUnavailable(ServiceUnavailable):
    code = "crisp_unavailable"


async def connect(
    db: Database,
    crisp: CrispClient,
    tenant_id: uuid.UUID,
    secret_key: str,
    *,
    actor: str,
    website_id: str,
    identifier: str,
    key: str | None,
    signing_secret: str | None,
) -> None:
    """Create or update the tenant's Crisp connection once Crisp confirms the credentials."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        key = await service.key_to_verify(session, key=key, signing_secret=signing_secret)
    try:
        await crisp.get_website(website_id=website_id, identifier=identifier, key=key)
    except CrispError as error:
        log.warning(
            "crisp.connect_refused" if not error.retry else "crisp.connect_unavailable",
            tenant_id=str(tenant_id),
            website_id=website_id,
            error=str(error),
        )
        if error.retry:
            raise CrispUnavailable(
                "Crisp could not be reached to confirm these credentials; nothing was changed. "
                "Try again in a minute.",
                headers={"Retry-After": "60"},
            ) from None
        raise CrispNotConfirmed(
            "Crisp did not confirm these credentials for this website: check the website ID and "
            "that the plugin token (identifier and key) belongs to a plugin installed on it. "
            "Nothing was changed."
        ) from None
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        await service.save_verified(
            session,
            secret_key,
            actor=actor,
            website_id=website_id,
            identifier=identifier,
            key=key,
            signing_secret=signing_secret,
        )
