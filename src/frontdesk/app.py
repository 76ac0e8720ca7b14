"""create_app(): routers, middleware, error handlers, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id

from frontdesk import web
from frontdesk.auth import account_router, audit_router, keys_router, team_router
from frontdesk.auth import router as auth_router
from frontdesk.billing import router as billing_router
from frontdesk.channels.crisp import router as crisp_router
from frontdesk.channels.widget import router as widget_router
from frontdesk.channels.widget.cors import WidgetCorsMiddleware
from frontdesk.chat import conversations_router
from frontdesk.chat import router as chat_router
from frontdesk.config import Settings, get_settings
from frontdesk.jobs import (
    periodic,
    registry,  # noqa: F401  (registers every task with the broker)
)
from frontdesk.kit import gc_tuning
from frontdesk.kit.browser import BrowserHeadersMiddleware
from frontdesk.kit.errors import install_error_handlers
from frontdesk.kit.guards import HostGuard, NulGuard, StrictJsonGuard
from frontdesk.knowledge import gaps_router, imports_router
from frontdesk.knowledge import router as knowledge_router
from frontdesk.leads import router as leads_router
from frontdesk.nlu.language import get_detector
from frontdesk.observability import health
from frontdesk.observability.logging import configure_logging
from frontdesk.observability.metrics import MetricsMiddleware, metrics_endpoint
from frontdesk.observability.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from frontdesk.privacy.redaction import redact
from frontdesk.runtime import Runtime
from frontdesk.tenants import business_router, config_router
from frontdesk.tenants import router as tenants_router
from frontdesk.visitor_data import router as privacy_router
from frontdesk.webhooks import router as webhooks_router


def warm_up() -> None:
    """Load what the first chat message would otherwise load (language models, phone metadata),
    so that it is frozen out of the cyclic GC with the rest of start-up (kit/gc_tuning.py)."""
    get_detector()
    redact("warm-up: +33 6 12 34 56 78, +1 415 555 0100, +49 30 1234567", custom_patterns=())


def _customer_operation_id(route: APIRoute) -> str:
    return "customer_" + generate_unique_id(route)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        if settings.gc_freeze:
            warm_up()
            gc_tuning.freeze_startup_objects()
        # Embedded default (no Redis): this process is also the worker and the scheduler.
        stop = asyncio.Event()
        background = asyncio.create_task(
            periodic.run_forever(runtime, run_schedule=settings.redis_url is None, stop=stop)
        )
        try:
            yield
        finally:
            stop.set()
            await background
            await runtime.keys.flush_last_used()
            await runtime.close()

    app = FastAPI(
        title="Frontdesk API",
        version="0.1.0",
        description="Multi-tenant AI chatbot platform. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(tenants_router.admin)
    app.include_router(conversations_router.support)
    app.include_router(keys_router.admin)
    app.include_router(tenants_router.me)
    app.include_router(tenants_router.platform)
    app.include_router(audit_router.platform)
    app.include_router(auth_router.router)
    app.include_router(chat_router.router)
    # one service, two front doors: API keys at /api/v1/…, the dashboard's users at /api/v1/customer/…
    for shared in (
        config_router.router,
        imports_router.router,  # before the documents' /knowledge/{document_id}
        gaps_router.router,  # before knowledge_router: /knowledge/gaps is not a /knowledge/{document_id}
        knowledge_router.router,
        conversations_router.router,
        leads_router.router,
        privacy_router.router,
    ):
        app.include_router(shared, prefix="/api/v1")
        app.include_router(
            shared, prefix="/api/v1/customer", generate_unique_id_function=_customer_operation_id
        )
    # only people (the dashboard), at /api/v1/customer/…: each domain its own
    for people_only in (
        business_router.router,
        account_router.router,
        keys_router.router,
        team_router.router,
        audit_router.router,
    ):
        app.include_router(people_only)
    app.include_router(billing_router.customer)
    app.include_router(billing_router.stripe_hooks)
    app.include_router(billing_router.admin)
    app.include_router(webhooks_router.router)
    app.include_router(crisp_router.router)
    app.include_router(widget_router.router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.include_router(web.router)  # last: the dashboard takes whatever no route above took
    app.add_middleware(StrictJsonGuard)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        route_limits=dict.fromkeys(imports_router.UPLOAD_PATHS, imports_router.UPLOAD_BODY_BYTES),
    )
    app.add_middleware(WidgetCorsMiddleware)
    app.add_middleware(NulGuard)
    app.add_middleware(HostGuard, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(BrowserHeadersMiddleware, hsts=settings.env == "production")
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app
