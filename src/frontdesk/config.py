"""Settings, read from the environment (prefix ``FRONTDESK_``) once per process."""

from __future__ import annotations

import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

import structlog
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from frontdesk.billing import plans

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
    # Crisp's REST API (tests aim it at a fake on loopback) and this deployment's public URL,
    # used for the web hook URL a tenant pastes into Crisp (default: the request's own base URL).
    crisp_api_url: str = "https://api.crisp.chat"
    public_url: str | None = None
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

    @field_validator("plans_file")
    @classmethod
    def _plans_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            plans.load(value)  # a PlanFileError (ValueError) names the plan and field
        return value

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
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migration_url(self) -> str:
        return self.database_admin_url or self.database_url


def _persisted_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    structlog.get_logger().warning(
        "secret_key.generated", path=str(path), hint="set FRONTDESK_SECRET_KEY in production"
    )
    return key


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
