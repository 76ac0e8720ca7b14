"""What the chat pipeline needs to know about a tenant, built once per config generation."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import structlog

from frontdesk.billing import service as billing
from frontdesk.billing.plans import Plan, plan_for
from frontdesk.billing.standing import Standing
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.kit.cache import Cache
from frontdesk.kit.tenant_cache import TenantCache
from frontdesk.kit.time import utcnow
from frontdesk.models import Tenant
from frontdesk.nlu.intents import IntentClassifier, intents_from_stored_config
from frontdesk.privacy.redaction import CustomPattern, usable_custom_patterns
from frontdesk.tenants import bot_config
from frontdesk.tenants.bot_config import BotConfigIn

log = structlog.get_logger()

MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 5_000


@dataclass(frozen=True)
class ChatProfile:
    tenant_id: uuid.UUID
    tenant_name: str
    plan: Plan
    standing: Standing  # dunning: may the bot use the LLM, or answer at all
    period_start: datetime  # the billing period the quota counts
    config: BotConfigIn
    classifier: IntentClassifier
    pii_patterns: tuple[CustomPattern, ...]
    handoff_keywords: re.Pattern[str] | None
    generation: int

    @property
    def business_name(self) -> str:
        return self.config.business_name or self.tenant_name


@lru_cache(maxsize=512)
def _classifier(intents_json: str) -> IntentClassifier:
    """One classifier per distinct intent configuration, shared by the tenants that have it
    (most keep the built-in intents): ~640 objects each that the GC need not walk 120 times."""
    intents, skipped = intents_from_stored_config(json.loads(intents_json))
    if skipped:
        log.warning("profile.intent_patterns_skipped", skipped=skipped)
    return IntentClassifier(intents)


def _pii_patterns(tenant_id: uuid.UUID, config: BotConfigIn) -> tuple[CustomPattern, ...]:
    patterns = [CustomPattern(p.name, p.pattern) for p in config.pii.custom_patterns]
    usable = usable_custom_patterns(patterns)
    if len(usable) < len(patterns):
        skipped = [p.name for p in patterns if p not in usable]
        log.warning("profile.pii_patterns_skipped", tenant_id=str(tenant_id), skipped=skipped)
    return usable


class ProfileCache:
    """Each tenant's profile, rebuilt when its configuration generation moves or after
    ``MAX_AGE_SECONDS`` (``kit.tenant_cache``: one build per tenant at a time, LRU by count)."""

    def __init__(self, db: Database, cache: Cache) -> None:
        self.db = db
        self.cache = cache
        self._profiles: TenantCache[int, ChatProfile] = TenantCache(
            size_of=lambda _: 1, max_size=MAX_ENTRIES, max_entries=MAX_ENTRIES, max_age=MAX_AGE_SECONDS
        )

    @property
    def builds(self) -> int:
        return self._profiles.builds

    async def get(self, tenant_id: uuid.UUID) -> ChatProfile:
        async def read_tag() -> int:
            return await generations.current(self.cache, tenant_id, generations.CONFIG)

        async def build(generation: int) -> ChatProfile:
            return await self._build(tenant_id, generation)

        return (await self._profiles.get(tenant_id, read_tag, build))[1]

    async def _build(self, tenant_id: uuid.UUID, generation: int) -> ChatProfile:
        async with unit_of_work(self.db, tenant_id=tenant_id, read_only=True) as session:
            tenant = await session.get(Tenant, tenant_id)
            config, _ = await bot_config.load(session)
            account = await billing.load_account(session, tenant_id)
        if tenant is None:
            raise LookupError(f"tenant {tenant_id} is gone")
        now = utcnow()
        plan = plan_for(tenant.plan)
        return ChatProfile(
            tenant_id=tenant_id,
            tenant_name=tenant.name,
            plan=plan,
            standing=billing.standing_of(account, plan, now),
            period_start=billing.usage_period(account, now)[0],
            config=config,
            classifier=_classifier(
                json.dumps([i.model_dump(exclude_none=True) for i in config.intents], sort_keys=True)
            ),
            pii_patterns=_pii_patterns(tenant_id, config),
            handoff_keywords=bot_config.normalize_keywords(config.handoff.keywords),
            generation=generation,
        )
