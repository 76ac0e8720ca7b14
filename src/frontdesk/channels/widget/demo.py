"""The development demo: a tenant with sample knowledge and a publishable key for this origin.

The key is shown once when created, so it is kept in ``var/demo-widget.json`` (development
only) and replaced when the page is opened from another origin.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from frontdesk.auth import service as key_service
from frontdesk.auth.schemas import ApiKeyCreate
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.kit.cache import Cache
from frontdesk.knowledge import service as knowledge
from frontdesk.knowledge.schemas import DocumentCreate
from frontdesk.models import Tenant
from frontdesk.tenants import bot_config
from frontdesk.tenants import service as tenants
from frontdesk.tenants.bot_config import BotConfigIn
from frontdesk.tenants.schemas import TenantCreate

SLUG = "demo"
# a tenant's page as the widget sees it: our script only, the page's own <style>
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
STATE_FILE = "demo-widget.json"
SAMPLE = """# Opening hours
Demo Bikes is open Monday to Friday 9:00-18:00 and Saturday 10:00-14:00.

# Repairs
A standard service costs 49 euros and takes two days. Puncture repairs are done while you wait.

# Delivery
We deliver new bikes within 3 days in the city, free above 500 euros.
"""


def _read_state(var_dir: Path) -> dict[str, str]:
    try:
        state = json.loads((var_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(var_dir: Path, state: dict[str, str]) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / STATE_FILE).write_text(json.dumps(state))


async def demo_key(db: Database, cache: Cache, var_dir: Path, origin: str) -> str:
    """The demo tenant's publishable key for ``origin`` (tenant and key created on first use)."""
    state = _read_state(var_dir)
    async with unit_of_work(db, admin=("system:demo", "demo widget tenant")) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        created = tenant is None
        if tenant is None:
            tenant = await tenants.create_tenant(
                session, TenantCreate(name="Demo Bikes", email="demo@example.com", slug=SLUG, plan="pro")
            )
        tenant_id = tenant.id
    if state.get("tenant_id") == str(tenant_id) and state.get("origin") == origin and state.get("key"):
        return str(state["key"])
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        if created:
            await knowledge.create_document(
                session, cache, DocumentCreate(name="Demo Bikes FAQ", content=SAMPLE)
            )
            config = BotConfigIn(
                business_name="Demo Bikes", bot_name="Demo assistant", greeting="Hi! Ask me about Demo Bikes."
            )
            await bot_config.save(session, config, api_key_sent=False)
        _, key = await key_service.create_key(
            session, ApiKeyCreate(name=f"demo widget {origin}", type="publishable", allowed_origins=[origin])
        )
    _write_state(var_dir, {"tenant_id": str(tenant_id), "origin": origin, "key": key})
    return key


def page(key: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Frontdesk widget demo</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}</style>
</head>
<body>
<h1>Demo Bikes</h1>
<p>This page embeds the Frontdesk widget for the demo tenant, the way a customer's site does:</p>
<pre><code>&lt;script src="/widget.js" data-key="{key[:12]}…" async&gt;&lt;/script&gt;</code></pre>
<p>Open the chat bubble and ask "When are you open on Saturday?" or "How much is a service?".</p>
<script src="/widget.js" data-key="{key}" async></script>
</body>
</html>
"""
