"""A small business website on loopback for the knowledge import: pages with navigation and
footers around their main text, robots.txt, sitemaps, redirects (inside the site, and to
addresses the outbound guard must refuse), a 10 MB page, a PDF link and an off-site link.

``pages`` maps a path to its HTML; tests change it to see what a re-sync picks up. ``hits``
lists the paths requested, in order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

NAV = "NAVMENU-7741"
FOOTER = "FOOTERTEXT-9902"
BIG_BYTES = 10 * 1024 * 1024


def html_page(title: str, paragraphs: list[str], links: list[str] = ()) -> str:  # type: ignore[assignment]
    nav = " ".join(f'<a href="{href}">{href}</a>' for href in ["/", "/hours", "/parking", *links])
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} | Alpha Bikes</title></head><body>"
        f"<header><nav>{NAV} {nav}</nav></header>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        f"<footer><p>{FOOTER} Alpha Bikes, 12 Harbour Street. All rights reserved.</p></footer>"
        "</body></html>"
    )


def default_pages() -> dict[str, str]:
    return {
        "/": html_page(
            "Welcome to Alpha Bikes",
            [
                "Alpha Bikes sells, rents and repairs bicycles in the harbour district since 1998.",
                "Our workshop services city bikes, road bikes and e-bikes of every brand.",
            ],
            [
                "/private/secret",
                "https://elsewhere.example/offsite",
                "/big",
                "/brochure.pdf",
                "/go/private",
                "/go/metadata",
                "/go/loopback",
                "/old-hours",
                "/staff",
                "#top",
                "mailto:shop@alpha.example",
            ],
        ),
        "/hours": html_page(
            "Opening hours",
            [
                "The shop is open Monday to Friday from 9:00 to 18:00.",
                "On Saturday we open from 10:00 to 14:00; we are closed on Sunday and public holidays.",
            ],
        ),
        "/parking": html_page(
            "Parking",
            [
                "Free customer parking is available behind the shop, entrance from Dock Lane.",
                "Bicycle racks for twenty bikes are in front of the shop.",
            ],
        ),
        "/private/secret": html_page("Secret", ["Staff only: the alarm code is 0000."]),
    }


class FakeWebsite(LoopbackServer):
    name = "fake-website"

    def __init__(self) -> None:
        super().__init__()
        self.pages = default_pages()
        self.hits: list[str] = []
        self.catalog_size = 12
        self.release = threading.Event()  # /slow answers once this is set

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> Starlette:
        async def robots(request: Request) -> Response:
            self.hits.append("/robots.txt")
            return PlainTextResponse(
                f"User-agent: *\nDisallow: /private/\n\nSitemap: {self.base_url}/sitemap.xml\n"
            )

        async def sitemap(request: Request) -> Response:
            self.hits.append(request.url.path)
            urls = "".join(f"<url><loc>{self.base_url}{p}</loc></url>" for p in ("/hours", "/parking"))
            xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return Response(xml, media_type="application/xml")

        async def sitemap_index(request: Request) -> Response:
            self.hits.append(request.url.path)
            xml = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{self.base_url}/sitemap.xml</loc></sitemap></sitemapindex>"
            )
            return Response(xml, media_type="application/xml")

        async def big(request: Request) -> Response:
            self.hits.append("/big")

            async def body() -> AsyncIterator[bytes]:
                yield b"<html><body><main><p>"
                chunk = b"x" * (1024 * 1024)
                for _ in range(BIG_BYTES // len(chunk)):
                    yield chunk
                yield b"</p></main></body></html>"

            return StreamingResponse(body(), media_type="text/html")

        async def slow(request: Request) -> Response:
            self.hits.append("/slow")
            await asyncio.to_thread(self.release.wait, 60)
            return Response(
                html_page("Slow page", ["This page took its time to answer."]), media_type="text/html"
            )

        async def trickle(request: Request) -> Response:
            """A page that sends a few bytes at a time, never finishing (gives up after ~30 s)."""
            self.hits.append("/trickle")

            async def body() -> AsyncIterator[bytes]:
                yield b"<html><body><main><p>"
                for _ in range(600):
                    await asyncio.sleep(0.05)
                    yield b"slow words "
                yield b"</p></main></body></html>"

            return StreamingResponse(body(), media_type="text/html")

        async def brochure(request: Request) -> Response:
            self.hits.append("/brochure.pdf")
            return Response(b"%PDF-1.4 not really", media_type="application/pdf")

        async def go(request: Request) -> Response:
            where = request.path_params["where"]
            self.hits.append(f"/go/{where}")
            target = {
                "private": "http://10.0.0.1/admin",
                "metadata": "http://169.254.169.254/latest/meta-data/",
                "loopback": f"http://127.0.0.1:{self.port + 1}/",
                "start": "http://10.0.0.1/",
            }[where]
            return RedirectResponse(target, status_code=302)

        async def catalog(request: Request) -> Response:
            self.hits.append(request.url.path)
            number = request.path_params.get("number")
            if number is None:
                links = [f"/catalog/{n}" for n in range(1, self.catalog_size + 1)]
                return Response(
                    html_page("Catalogue", ["Every bicycle we sell, with its price and sizes."], links),
                    media_type="text/html",
                )
            return Response(
                html_page(
                    f"Bike model {number}",
                    [
                        f"Model {number} is a city bike with {number} gears, sold for {100 + int(number)} euros."
                    ],
                    [f"/catalog/{int(number) + 100}"],
                ),
                media_type="text/html",
            )

        async def page(request: Request) -> Response:
            path = request.url.path
            self.hits.append(path)
            if path == "/old-hours":
                return RedirectResponse("/hours", status_code=301)
            if path == "/staff":
                return RedirectResponse("/private/secret", status_code=302)
            if path not in self.pages:
                return PlainTextResponse("not found", status_code=404)
            return Response(self.pages[path], media_type="text/html")

        return Starlette(
            routes=[
                Route("/robots.txt", robots),
                Route("/sitemap.xml", sitemap),
                Route("/sitemap_index.xml", sitemap_index),
                Route("/big", big),
                Route("/brochure.pdf", brochure),
                Route("/slow", slow),
                Route("/trickle", trickle),
                Route("/go/{where}", go),
                Route("/catalog", catalog),
                Route("/catalog/{number}", catalog),
                Route("/{path:path}", page),
            ]
        )
