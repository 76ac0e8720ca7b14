"""Settings, read from the environment (prefix ``FRONTDESK_``) once per process."""

from __future__ import annotations

import base64
import binascii
import secrets
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import structlog
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from frontdesk.billing import plans
from frontdesk.kit.outbound import AllowRule, OutboundPolicy

VAR_DIR = Path("var")


class ConfigError(RuntimeError):
    """Bad configuration; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "development"
    database_url: str = Field(default="", description="SQLAlchemy async URL of the primary database")
    database_read_url: str | None = None
    # Owner connection for migrations and role setup on PostgreSQL (defaults to database_url).
    database_admin_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1, le=200)
    redis_url: str | None = None
    secret_key: str = ""
    # Keys that encrypt stored secrets (tenant LLM keys, Crisp credentials …): comma-separated,
    # newest first, each 32 bytes in URL-safe base64 (`frontdesk secrets generate-key`).
    encryption_keys: SecretStr | None = None
    admin_token: str | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    api_key_cache_seconds: float = Field(default=300.0, gt=0)
    # sign-in, sign-up, password reset and invitation attempts per client address and minute
    auth_per_minute: int = Field(default=20, ge=1, le=100_000)
    # failed password checks from one client address before each further one waits (doubling, up to 15 min)
    auth_backoff_after: int = Field(default=5, ge=1, le=100_000)
    # The LLM: the ecosystem's own variable names; tenants may override both in their bot config.
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    # URLs a tenant sets (its LLM endpoint …) may not reach private, loopback or metadata
    # addresses; this comma-separated list of hosts, addresses or networks (an optional :port
    # narrows a rule) is reachable anyway: an on-premises LLM, or the test fakes on loopback.
    outbound_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Crisp's REST API (tests aim it at a fake on loopback) and this deployment's public URL,
    # used for the web hook URL a tenant pastes into Crisp (default: the request's own base URL).
    crisp_api_url: str = "https://api.crisp.chat"
    public_url: str | None = None
    # Host names the server answers to (Host header), besides FRONTDESK_PUBLIC_URL's (and, in
    # development, 127.0.0.1, localhost and testserver): comma-separated, `*.example.com` allowed.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Outgoing email (password resets, invitations): printed to the log unless SMTP is set.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Frontdesk <no-reply@frontdesk.local>"
    # Billing: Stripe's own variable names for the secrets; the API URL is configurable so that
    # tests (and stripe-mock users) aim the official SDK elsewhere. No key: billing is off.
    stripe_api_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr | None = Field(default=None, validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_url: str = "https://api.stripe.com"
    # The plans (limits, prices, Stripe price ids): billing/plans.toml unless this names another file.
    plans_file: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Warm up lazy models and freeze startup objects out of the cyclic GC (kit/gc_tuning.py).
    gc_freeze: bool = True
    var_dir: Path = VAR_DIR

    def public_base(self, request_base_url: str) -> str:
        """Base of links we hand out (emails, web hook URLs): the configured public URL, else the
        request's own (development only: production requires FRONTDESK_PUBLIC_URL)."""
        return (self.public_url or request_base_url).rstrip("/")

    @property
    def trusted_hosts(self) -> list[str]:
        """Every Host header the server answers to; others get 400 (no links built from a forged Host)."""
        hosts = ["127.0.0.1", "localhost", "testserver"] if self.env == "development" else []
        if self.public_url:
            hosts.append(urlsplit(self.public_url).hostname or "")
        return list(dict.fromkeys(h for h in [*hosts, *self.allowed_hosts] if h))

    @field_validator("allowed_hosts", "outbound_allow", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip().lower() for h in value.split(",") if h.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value and not (value.startswith(("http://", "https://")) and urlsplit(value).hostname):
            raise ValueError("must be an http(s):// URL with a host name")
        return value or None

    @field_validator("database_url", "database_read_url", "database_admin_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if not value:
            return value
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:/// URL")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _encryption_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        decode_encryption_keys(value.get_secret_value())  # ValueError names the key by position
        return value

    @field_validator("plans_file")
    @classmethod
    def _plans_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            plans.load(value)  # a PlanFileError (ValueError) names the plan and field
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_rules(cls, value: list[str]) -> list[str]:
        for rule in value:
            AllowRule.parse(rule)  # ValueError names the rule
        return value

    @property
    def outbound(self) -> OutboundPolicy:
        """The guard for tenant-influenced URLs: https only in production, plus the allow-list."""
        return OutboundPolicy.build(require_https=self.env == "production", allow=self.outbound_allow)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value or None

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'frontdesk.db'}"
        if self.env == "production" and not self.public_url:
            # emailed links (password reset, invitations) must not take their host from a request
            raise ValueError("FRONTDESK_PUBLIC_URL is required when FRONTDESK_ENV=production")
        if not self.secret_key:
            if self.env == "production":
                raise ValueError("FRONTDESK_SECRET_KEY is required when FRONTDESK_ENV=production")
            self.secret_key = _persisted_secret(self.var_dir)
        elif len(self.secret_key) < 32:
            raise ValueError("FRONTDESK_SECRET_KEY must be at least 32 characters")
        if self.encryption_keys is None:
            if self.env == "production":
                raise ValueError("FRONTDESK_ENCRYPTION_KEYS is required when FRONTDESK_ENV=production")
            self.encryption_keys = SecretStr(
                _persisted_secret(
                    self.var_dir, "encryption_key", new_encryption_key, "FRONTDESK_ENCRYPTION_KEYS"
                )
            )
        return self

    @property
    def encryption_key_bytes(self) -> list[bytes]:
        """The encryption keys, newest first (encrypt with the first, decrypt with any)."""
        assert self.encryption_keys is not None  # set by _defaults
        return decode_encryption_keys(self.encryption_keys.get_secret_value())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migration_url(self) -> str:
        return self.database_admin_url or self.database_url


def _persisted_secret(
    var_dir: Path,
    name: str = "secret_key",
    generate: Callable[[], str] = lambda: secrets.token_urlsafe(48),
    variable: str = "FRONTDESK_SECRET_KEY",
) -> str:
    """Development only: a generated secret kept in ``var_dir/name`` (mode 600) across restarts."""
    path = var_dir / name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = generate()
    path.write_text(key)
    path.chmod(0o600)
    structlog.get_logger().warning(f"{name}.generated", path=str(path), hint=f"set {variable} in production")
    return key


def new_encryption_key() -> str:
    """A fresh key for FRONTDESK_ENCRYPTION_KEYS: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def decode_encryption_keys(value: str) -> list[bytes]:
    """``"k1,k2"`` → the raw keys, newest first; ValueError (naming the key's position, never
    its value) unless each is 32 bytes in URL-safe (or standard) base64 and none repeats."""
    parts = [part.strip() for part in value.split(",")]
    keys: list[bytes] = []
    for number, part in enumerate(parts, start=1):
        try:
            key = base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ValueError(
                f"key {number} of {len(parts)} is not 32 bytes in URL-safe base64 "
                "(make one with `frontdesk secrets generate-key`)"
            )
        if key in keys:
            raise ValueError(f"key {number} of {len(parts)} repeats an earlier key")
        keys.append(key)
    return keys


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = str(first["loc"][0]) if first["loc"] else ""
    if loc.startswith(("OPENAI_", "STRIPE_")):  # the ecosystem's own names
        name = loc
    else:
        name = f"FRONTDESK_{loc.upper()}" if loc else "configuration"
    message = first["msg"].removeprefix("Value error, ")
    if message.startswith("FRONTDESK_"):
        return f"invalid configuration: {message}"
    return f"invalid configuration: {name}: {message}"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def exit_on_bad_config() -> Settings:
    """For entry points: print the one-line reason and exit 2 instead of a traceback."""
    try:
        return get_settings()
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        raise SystemExit(2) from None
