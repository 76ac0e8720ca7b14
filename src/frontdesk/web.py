"""The dashboard: the static export of ``dashboard/`` (Next.js), served at ``/`` by the API
process, after every API route. ``/api/…`` never falls through to it (unknown API paths stay
problem+json 404s)."""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.convertors import Convertor, register_url_convertor

from frontdesk.kit.browser import page_policy
from frontdesk.kit.errors import NotFound


class _PageConvertor(Convertor[str]):
    """Any path except the API's: unknown /api/… paths (any method) stay problem+json 404s."""

    regex = r"(?!api(?:/|$)).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("page", _PageConvertor())
DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboard" / "out"
IMMUTABLE = "public, max-age=31536000, immutable"  # Next.js puts content hashes in these names
router = APIRouter(include_in_schema=False)


def _file_for(path: str) -> Path | None:
    root = DASHBOARD_DIR.resolve()
    candidate = (root / path.lstrip("/")).resolve()
    if candidate != root and root not in candidate.parents:
        return None  # ../ tricks
    if candidate.is_dir():
        candidate = candidate / "index.html"
    elif not candidate.suffix and (candidate.parent / f"{candidate.name}.html").is_file():
        candidate = candidate.parent / f"{candidate.name}.html"
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=256)
def _policy(path: Path, mtime_ns: int) -> str:
    return page_policy(path.read_bytes())


def _html_headers(found: Path) -> dict[str, str]:
    """A page's CSP allows exactly its own inline scripts (hashed once per file version)."""
    return {"Content-Security-Policy": _policy(found, found.stat().st_mtime_ns)}


def _not_found() -> Response:
    missing = DASHBOARD_DIR / "404.html"
    if not missing.is_file():
        return Response(status_code=404)
    return FileResponse(missing, status_code=404, media_type="text/html", headers=_html_headers(missing))


@router.api_route("/{path:page}", methods=["GET", "HEAD"])
async def dashboard(path: str, request: Request) -> Response:
    if not (DASHBOARD_DIR / "index.html").is_file():
        raise NotFound("The dashboard is not built: run `make dashboard` (needs Node.js).")
    if path.startswith(("/", "\\")) or "\\" in path:
        # `//evil.example/x` would redirect to `//evil.example/x/`: another site (open redirect)
        return _not_found()
    if path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        # trailingSlash export: /app → /app/ (keeps relative links and the query string)
        query = f"?{request.url.query}" if request.url.query else ""
        location = quote(f"/{path}/", safe="/:@!$&'()*+,;=-._~")  # no tab, CR or backslash tricks
        return Response(status_code=308, headers={"Location": f"{location}{query}"})
    found = _file_for(path)
    if found is None:
        return _not_found()
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    cache = IMMUTABLE if "/_next/static/" in f"/{path}" else "no-cache"
    headers = {"Cache-Control": cache, **(_html_headers(found) if media_type == "text/html" else {})}
    return FileResponse(found, media_type=media_type, headers=headers)
