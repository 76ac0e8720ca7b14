"""Admit: may this turn run, and with which model? Rate limits, the plan's channels, the
tenant's standing (dunning) and the message quota; the turn's LLM, if it may use one."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from frontdesk.billing import service as billing
from frontdesk.chat.limits import ChatLimiter, QuotaCounter
from frontdesk.chat.profile import ChatProfile, ProfileCache
from frontdesk.chat.turn import MAX_MESSAGE_CHARS, ChatInput
from frontdesk.config import Settings
from frontdesk.kit.time import utcnow
from frontdesk.llm.endpoint import endpoint_for
from frontdesk.llm.openai_provider import OpenAIProvider


@dataclass(frozen=True)
class Admitted:
    profile: ChatProfile
    message: str  # the visitor's message, cut to MAX_MESSAGE_CHARS
    llm: OpenAIProvider | None  # None: the offline responder answers (no key, or knowledge-base only)
    started: float  # perf_counter() when the turn came in: the reply's latency counts from it


async def admit(
    tenant_id: uuid.UUID,
    inp: ChatInput,
    *,
    settings: Settings,
    profiles: ProfileCache,
    limiter: ChatLimiter,
    quota: QuotaCounter,
) -> Admitted:
    """Raises (429, 402, 403) when the turn may not run; nothing is stored before this passes."""
    started = time.perf_counter()
    profile = await profiles.get(tenant_id)
    await limiter.check(
        tenant_id,
        f"{inp.channel}:{inp.session_id}",
        profile.plan,
        profile.config.session_per_minute,
        inp.visitor_ip,
    )
    billing.check_plan_channel(profile.plan, inp.channel)
    # dunning: a suspended bot answers 402; "offline" answers from the knowledge base only
    offline_only = profile.standing.check(utcnow()) == "offline"
    await quota.check(tenant_id, profile.plan, profile.period_start, profile.generation)
    return Admitted(
        profile=profile,
        message=inp.message[:MAX_MESSAGE_CHARS],
        llm=None if offline_only else _llm(settings, profile),
        started=started,
    )


def _llm(settings: Settings, profile: ChatProfile) -> OpenAIProvider | None:
    """The tenant's LLM, or None when there is no key to use."""
    llm = profile.config.llm
    endpoint = endpoint_for(llm.api_key, llm.base_url, settings)
    if endpoint is None:
        return None
    return OpenAIProvider(
        endpoint.api_key,
        endpoint.base_url,
        timeout_s=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        breaker_scope=str(profile.tenant_id),
        outbound=endpoint.outbound,
    )
