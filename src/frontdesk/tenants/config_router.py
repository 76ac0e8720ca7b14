"""A tenant's bot configuration (secret keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from frontdesk.auth import audit
from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import CONFIG_READ, CONFIG_WRITE
from frontdesk.jobs.enqueue import after_commit, enqueue_after_commit
from frontdesk.kit import generations
from frontdesk.knowledge.embeddings import model_for
from frontdesk.tenants import bot_config
from frontdesk.tenants.bot_config import BotConfigIn, BotConfigOut

router = APIRouter(prefix="/config", tags=["config"])
ConfigRead = Annotated[AuthContext, Depends(Authorize(CONFIG_READ))]
ConfigWrite = Annotated[AuthContext, Depends(Authorize(CONFIG_WRITE))]


@router.get("", response_model=BotConfigOut)
async def get_config(auth: ConfigRead, session: TenantSession) -> BotConfigOut:
    config, updated_at = await bot_config.load(session)
    return bot_config.public(config, updated_at)


@router.put("", response_model=BotConfigOut)
async def put_config(
    auth: ConfigWrite, session: TenantSession, runtime: RuntimeDep, data: BotConfigIn
) -> BotConfigOut:
    """Replace the configuration. The LLM API key is write-only: omit it to keep the stored one."""
    api_key_sent = "llm" in data.model_fields_set and "api_key" in data.llm.model_fields_set
    before, _ = await bot_config.load(session)
    config, updated_at = await bot_config.save(session, data, api_key_sent=api_key_sent)
    bot_config.check_endpoint(config, runtime.settings.outbound)  # raising rolls the save back
    bot_config.check_embeddings(config, deployment_key=runtime.settings.openai_api_key is not None)
    if model_for(config, runtime.settings) != model_for(before, runtime.settings):
        enqueue_after_commit(
            session, "frontdesk.knowledge.reembed_tenant", str(auth.tenant_id)
        )  # vectors never mix models
    audit.record(session, actor=auth.principal, action="config.update", llm_key_changed=api_key_sent)

    async def bump() -> None:
        await generations.bump(runtime.cache, auth.tenant_id, generations.CONFIG)

    after_commit(session, bump)
    return bot_config.public(config, updated_at)
