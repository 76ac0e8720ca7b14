"""``GET /widget.js``, ``GET /api/v1/widget/config`` (publishable key) and the development demo."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep
from frontdesk.auth.permissions import CHAT_WRITE
from frontdesk.channels.widget import demo
from frontdesk.kit.errors import NotFound

router = APIRouter(tags=["widget"])
ChatWrite = Annotated[AuthContext, Depends(Authorize(CHAT_WRITE))]
WIDGET_FILE = Path(__file__).resolve().parents[4] / "widget" / "dist" / "widget.js"
CACHE_SECONDS = 300  # a new build reaches pages within minutes; the ETag makes revalidation cheap


class WidgetConfig(BaseModel):
    bot_name: str
    business_name: str
    greeting: str | None
    color: str
    avatar_url: str | None
    position: str
    show_sources: bool
    placeholder: str | None
    branding: bool = Field(description='Show "Powered by Frontdesk"')


@router.get("/api/v1/widget/config", response_model=WidgetConfig)
async def widget_config(auth: ChatWrite, runtime: RuntimeDep) -> WidgetConfig:
    """What the widget shows: names, greeting and branding (any key that may chat)."""
    profile = await runtime.chat.profiles.get(auth.tenant_id)
    config = profile.config
    return WidgetConfig(
        bot_name=config.bot_name,
        business_name=profile.business_name,
        greeting=config.greeting,
        color=config.widget.color,
        avatar_url=config.widget.avatar_url,
        position=config.widget.position,
        show_sources=config.widget.show_sources,
        placeholder=config.widget.placeholder,
        branding=not (config.widget.hide_branding and profile.plan.remove_branding),
    )


_built: tuple[float, bytes, str] | None = None


def _widget_script() -> tuple[bytes, str]:
    """The built script and its ETag, re-read when the file changes."""
    global _built
    try:
        mtime = WIDGET_FILE.stat().st_mtime
    except OSError:
        raise NotFound("The widget is not built: run `make widget` (needs Node.js).") from None
    if _built is None or _built[0] != mtime:
        body = WIDGET_FILE.read_bytes()
        _built = (mtime, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return _built[1], _built[2]


@router.get("/widget.js", include_in_schema=False)
async def widget_js(request: Request) -> Response:
    body, etag = _widget_script()
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",  # a public script, loaded from tenants' sites
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/demo", include_in_schema=False, response_class=HTMLResponse)
async def demo_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Development only: the widget on a page, for the demo tenant."""
    settings = runtime.settings
    if settings.env != "development":
        raise NotFound()
    origin = str(request.base_url).rstrip("/")
    key = await demo.demo_key(runtime.db, runtime.cache, settings.var_dir, origin)
    return HTMLResponse(demo.page(key), headers={"Content-Security-Policy": demo.POLICY})
