"""The process's shared services, built once at start-up (app lifespan, worker, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from taskiq import AsyncBroker

from frontdesk.auth.key_cache import KeyResolver
from frontdesk.billing import plans
from frontdesk.billing.gateway import StripeGateway
from frontdesk.channels.crisp.client import CrispClient
from frontdesk.chat.engine import ChatEngine
from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.jobs.broker import install_broker, make_broker
from frontdesk.jobs.context import JobContext, install_job_context
from frontdesk.kit.cache import Cache, MemoryCache, RedisCache
from frontdesk.kit.mail import LogMailer, Mailer, SmtpMailer
from frontdesk.kit.ratelimit import RateLimiter
from frontdesk.llm.openai_provider import close_clients
from frontdesk.privacy.encryption import Keyring, install_keyring

_current: Runtime | None = None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    redis: Redis | None
    keys: KeyResolver
    broker: AsyncBroker
    chat: ChatEngine
    crisp: CrispClient
    mailer: Mailer
    stripe: StripeGateway
    limits: RateLimiter  # rate limits outside the chat pipeline (auth endpoints)
    previous_broker: AsyncBroker | None = None
    previous_runtime: Runtime | None = None
    previous_keyring: Keyring | None = None
    previous_job_context: JobContext | None = None

    @classmethod
    async def start(cls, settings: Settings, *, worker: bool = False) -> Runtime:
        global _current
        plans.install(settings.plans_file)
        previous_keyring = install_keyring(Keyring.from_settings(settings))  # stored secrets
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        cache: Cache = RedisCache(redis) if redis is not None else MemoryCache()
        db = Database(settings)
        local_ttl = 1.0 if redis is not None else settings.api_key_cache_seconds
        keys = KeyResolver(
            db,
            cache if redis is not None else None,
            local_ttl=local_ttl,
            shared_ttl=settings.api_key_cache_seconds,
        )
        broker = make_broker(settings)
        broker.is_worker_process = worker
        try:
            await broker.startup()
        except RedisConnectionError:
            if worker:
                raise
            # A web process still serves (and /readyz reports Redis down); jobs wait for Redis.
            structlog.get_logger().warning("jobs.broker_unavailable", redis=settings.redis_url)
        chat = ChatEngine(settings, db, cache)
        crisp = CrispClient(settings.crisp_api_url)
        mailer = make_mailer(settings)
        stripe = StripeGateway(settings)
        limits = RateLimiter(settings.redis_url)
        runtime = cls(
            settings,
            db,
            cache,
            redis,
            keys,
            broker,
            chat,
            crisp,
            mailer,
            stripe,
            limits,
            install_broker(broker),
            _current,
            previous_keyring,
            install_job_context(JobContext(db, cache, settings)),
        )
        _current = runtime
        return runtime

    async def close(self) -> None:
        global _current
        await self.broker.shutdown()
        install_broker(self.previous_broker)
        install_keyring(self.previous_keyring)
        install_job_context(self.previous_job_context)
        await self.crisp.aclose()
        await self.stripe.aclose()
        await close_clients()  # the LLM and embedding endpoints' connections
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()
        if _current is self:
            _current = self.previous_runtime


def make_mailer(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        return LogMailer(show_body=settings.env == "development")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(
        settings.smtp_host, settings.smtp_port, settings.mail_from, settings.smtp_user, password
    )


def current_runtime() -> Runtime:
    """For background jobs, which run outside a request."""
    if _current is None:
        raise RuntimeError("Frontdesk runtime not started")
    return _current
