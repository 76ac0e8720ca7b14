"""The bot configuration a tenant controls: one JSON document (config_type "bot")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import Unprocessable
from frontdesk.kit.outbound import BlockedURL, OutboundPolicy
from frontdesk.kit.schemas import InputModel
from frontdesk.models import TenantConfiguration
from frontdesk.nlu.intents import ACTIONS, intents_from_config
from frontdesk.privacy.encryption import decrypt, encrypt
from frontdesk.privacy.redaction import CustomPattern, compile_custom_patterns

_API_KEY = re.compile(r"[!-~]*")  # printable ASCII, no spaces; empty removes the key

CONFIG_TYPE = "bot"
LANGUAGE = r"^[a-z]{2}$"


class IntentConfig(InputModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    keywords: list[str] = Field(default_factory=list, max_length=200)
    patterns: list[str] = Field(default_factory=list, max_length=50)
    examples: list[str] = Field(default_factory=list, max_length=200)
    action: str | None = Field(default=None, description=f"one of {sorted(ACTIONS)}")


def _from_database(info: ValidationInfo) -> bool:
    """Validating a document read back from the database (``parse``), not a request.

    Its tenant regexes were accepted when saved; if the rules have tightened since (RE2 refuses
    lookaround and possessive repeats that Python's ``re`` took), the bot keeps running without
    those patterns (``chat.profile`` skips them) and the next save answers 422 naming them.
    """
    return bool(info.context and info.context.get("stored"))


class PatternConfig(InputModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    pattern: str = Field(min_length=1, max_length=200)


class PiiPolicy(InputModel):
    store: Literal["redacted", "raw"] = Field(
        default="redacted",
        description="What is stored of visitor messages; the LLM always gets them redacted",
    )
    default_region: str = Field(default="US", pattern=r"^[A-Z]{2}$", description="For phone numbers")
    custom_patterns: list[PatternConfig] = Field(
        default_factory=list, max_length=50, description="Tenant regexes (RE2 syntax)"
    )

    @field_validator("custom_patterns")
    @classmethod
    def _patterns(cls, value: list[PatternConfig], info: ValidationInfo) -> list[PatternConfig]:
        if not _from_database(info):
            compile_custom_patterns([CustomPattern(p.name, p.pattern) for p in value])  # ValueError → 422
        return value


class HandoffRules(InputModel):
    keywords: list[str] = Field(default_factory=list, max_length=100, description="Words that hand over")
    intents: list[str] = Field(default_factory=list, max_length=50, description="Intents that hand over")


class LlmSettings(InputModel):
    model: str = Field(default="gpt-4o-mini", min_length=1, max_length=100)
    temperature: float = Field(default=0.3, ge=0, le=2)
    max_tokens: int = Field(default=400, ge=16, le=4000)
    history_turns: int = Field(default=10, ge=0, le=50)
    base_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    api_key: SecretStr | None = Field(
        default=None, max_length=500, description='Write-only; send "" to remove'
    )
    classify_intents: bool = Field(
        default=False, description="Ask the LLM to pick the intent when the rules are unsure (one more call)"
    )

    @field_validator("api_key")
    @classmethod
    def _header_safe(cls, value: SecretStr | None) -> SecretStr | None:
        """The key goes into an HTTP header: printable ASCII, no spaces (checked when saved, so a
        stored key can never fail every request that sends it)."""
        if value is not None and not _API_KEY.fullmatch(value.get_secret_value()):
            raise ValueError("must be printable ASCII without spaces (as API keys are)")
        return value


class WidgetSettings(InputModel):
    """How the website widget looks (``GET /api/v1/widget/config`` serves it to the page)."""

    color: str = Field(default="#2563eb", pattern=r"^#[0-9a-fA-F]{6}$", description="Brand colour, #rrggbb")
    avatar_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    position: Literal["right", "left"] = "right"
    show_sources: bool = Field(default=True, description="Show which documents an answer came from")
    placeholder: str | None = Field(default=None, max_length=100, description="Input hint")
    hide_branding: bool = Field(
        default=False, description='Hide "Powered by Frontdesk" (on plans that allow removing branding)'
    )


class PrivacySettings(InputModel):
    retention_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Delete visitor messages and leads older than this many days (empty: keep them)",
    )


class KnowledgeSettings(InputModel):
    embeddings: Literal["embedded", "openai"] = Field(
        default="embedded",
        description=(
            "Embeddings for semantic search: 'embedded' (built-in model, no network) or 'openai' "
            "(text-embedding-3-small through the LLM endpoint's key: the tenant's own, or the "
            "deployment's). Changing it re-embeds the knowledge in the background."
        ),
    )


class BotConfigIn(InputModel):
    business_name: str = Field(default="", max_length=200)
    bot_name: str = Field(default="Assistant", min_length=1, max_length=80)
    greeting: str | None = Field(default=None, max_length=500)
    tone: str = Field(default="friendly and professional", max_length=200)
    instructions: str = Field(default="", max_length=4000)
    system_prompt: str | None = Field(
        default=None, max_length=8000, description="Template; placeholders {business_name} {knowledge} …"
    )
    language: str | None = Field(default=None, pattern=LANGUAGE, description="Pin replies to this language")
    default_language: str = Field(
        default="en", pattern=LANGUAGE, description="When a message is too short to tell"
    )
    booking_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    intents: list[IntentConfig] = Field(default_factory=list, max_length=50)
    pii: PiiPolicy = Field(default_factory=PiiPolicy)
    handoff: HandoffRules = Field(default_factory=HandoffRules)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    session_per_minute: int | None = Field(default=None, ge=1, le=600, description="Stricter than the plan")
    widget: WidgetSettings = Field(default_factory=WidgetSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)

    @field_validator("intents")
    @classmethod
    def _intents(cls, value: list[IntentConfig], info: ValidationInfo) -> list[IntentConfig]:
        if not _from_database(info):
            intents_from_config([i.model_dump(exclude_none=True) for i in value])  # ValueError → 422
        return value


class LlmSettingsOut(BaseModel):
    model: str
    temperature: float
    max_tokens: int
    history_turns: int
    base_url: str | None
    classify_intents: bool
    api_key_set: bool


class BotConfigOut(BaseModel):
    business_name: str
    bot_name: str
    greeting: str | None
    tone: str
    instructions: str
    system_prompt: str | None
    language: str | None
    default_language: str
    booking_url: str | None
    intents: list[dict[str, Any]]
    pii: dict[str, Any]
    handoff: dict[str, Any]
    llm: LlmSettingsOut
    session_per_minute: int | None
    widget: dict[str, Any]
    privacy: dict[str, Any]
    knowledge: dict[str, Any]
    updated_at: datetime | None


def _stored(config: BotConfigIn) -> dict[str, Any]:
    """The document to store: the LLM key encrypted (privacy.encryption)."""
    data = config.model_dump(mode="json", exclude={"llm"})
    data["llm"] = config.llm.model_dump(mode="json", exclude={"api_key"})
    data["llm"]["api_key"] = encrypt(config.llm.api_key.get_secret_value()) if config.llm.api_key else None
    return data


def parse(data: dict[str, Any] | None) -> BotConfigIn:
    """The stored document as a config (defaults for anything missing, the LLM key decrypted)."""
    data = data or {}
    llm = data.get("llm")
    if isinstance(llm, dict) and llm.get("api_key"):
        data = {**data, "llm": {**llm, "api_key": decrypt(llm["api_key"])}}
    return BotConfigIn.model_validate(data, context={"stored": True})


def public(config: BotConfigIn, updated_at: datetime | None) -> BotConfigOut:
    data = config.model_dump(mode="json", exclude={"llm"})
    llm = config.llm.model_dump(mode="json", exclude={"api_key"})
    return BotConfigOut(
        **data, llm=LlmSettingsOut(**llm, api_key_set=bool(config.llm.api_key)), updated_at=updated_at
    )


async def load(session: AsyncSession) -> tuple[BotConfigIn, datetime | None]:
    row = await session.scalar(
        select(TenantConfiguration).where(TenantConfiguration.config_type == CONFIG_TYPE)
    )
    return (parse(row.config_data), row.updated_at) if row else (parse(None), None)


async def save(
    session: AsyncSession, new: BotConfigIn, *, api_key_sent: bool
) -> tuple[BotConfigIn, datetime]:
    """Replace the configuration; the LLM key is kept unless the request sent one ("" removes it)
    or moved it to another base URL."""
    row = await session.scalar(
        select(TenantConfiguration).where(TenantConfiguration.config_type == CONFIG_TYPE)
    )
    if not api_key_sent and row is not None:
        stored = parse(row.config_data).llm
        # the write-only key stays with its endpoint: sending it to a new base URL takes the key
        # itself (whoever may edit the config must not be able to read the key out that way)
        kept = stored.api_key if stored.base_url == new.llm.base_url or not new.llm.base_url else None
        new = new.model_copy(update={"llm": new.llm.model_copy(update={"api_key": kept})})
    elif new.llm.api_key is not None and not new.llm.api_key.get_secret_value():
        new = new.model_copy(update={"llm": new.llm.model_copy(update={"api_key": None})})
    if row is None:
        row = TenantConfiguration(config_type=CONFIG_TYPE, config_data=_stored(new))
        session.add(row)
    else:
        row.config_data = _stored(new)
    await session.flush()
    return new, row.updated_at


def check_endpoint(config: BotConfigIn, outbound: OutboundPolicy) -> None:
    """A tenant's own LLM endpoint must pass the outbound guard and come with the tenant's own
    key: the deployment's key only ever goes to the deployment's endpoint."""
    if not config.llm.base_url:
        return
    try:
        outbound.check_url(config.llm.base_url)
    except BlockedURL as blocked:
        raise Unprocessable(
            f"llm.base_url: {blocked}", extra={"errors": [{"field": "llm.base_url", "message": str(blocked)}]}
        ) from None
    if config.llm.api_key is None:
        message = "a custom base_url needs the endpoint's own api_key"
        raise Unprocessable(
            f"llm.api_key: {message}", extra={"errors": [{"field": "llm.api_key", "message": message}]}
        )


def check_embeddings(config: BotConfigIn, deployment_key: bool) -> None:
    """``knowledge.embeddings: openai`` needs a key: the tenant's, or the deployment's."""
    if config.knowledge.embeddings != "openai" or config.llm.api_key is not None:
        return
    if deployment_key and not config.llm.base_url:
        return
    message = "'openai' embeddings need an LLM api_key (this deployment has none to lend)"
    raise Unprocessable(
        f"knowledge.embeddings: {message}",
        extra={"errors": [{"field": "knowledge.embeddings", "message": message}]},
    )


def normalize_keywords(words: list[str]) -> re.Pattern[str] | None:
    cleaned = [re.escape(w.strip().lower()) for w in words if w.strip()]
    return re.compile(r"\b(?:" + "|".join(cleaned) + r")\b", re.IGNORECASE) if cleaned else None
