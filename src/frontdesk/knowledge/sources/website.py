"""A polite, bounded crawler for a tenant's own website.

Every request goes through the outbound guard (``kit.outbound.guarded_client``), which refuses
private, loopback, link-local and metadata addresses after resolving the name and never
follows a redirect itself: redirects are followed here, at most ``MAX_REDIRECTS`` hops, each
hop checked again. The crawl starts from a page (following same-site links, breadth first) or
from a sitemap (``sitemap.xml``, sitemap indexes too), obeys the site's ``robots.txt``, stops
at ``max_pages`` pages, fetches one page at a time with a per-page timeout, and reduces each
HTML page to its main text with trafilatura (navigation, headers and footers dropped).

The crawler yields one event per page: a ``Page`` (its URL, title and text) or a ``PageError``
(its URL and a reason a person can act on). A page that fails never ends the crawl; only a
start that cannot be fetched at all raises ``SiteError``.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from frontdesk.kit.outbound import MAX_RESPONSE_BYTES, BlockedURL, OutboundPolicy

USER_AGENT = "FrontdeskBot/1.0 (+knowledge import; respects robots.txt)"
REQUEST_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
ROBOTS_AGENT = "FrontdeskBot"
MAX_REDIRECTS = 5
MAX_PAGE_BYTES = MAX_RESPONSE_BYTES  # what the guard lets through
MAX_PAGE_CHARS = 199_000  # under a document's limit (200,000), leaving room for the title heading
MAX_SITEMAPS = 20  # child sitemaps read from one sitemap index
MAX_CRAWL_DELAY = 5.0  # seconds; a robots.txt asking for more gets this
MAX_URL_CHARS = 2000
MAX_ROBOTS_BYTES = 500 * 1024  # Google's limit: what follows is ignored
MAX_ROBOTS_LINES = 5_000  # robots.txt lines considered (each URL is checked against every rule)
PAGE_DEADLINE = 30.0  # seconds one fetch may take in all (redirects and a trickled body included)
HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = ("application/xml", "text/xml")
SKIPPED_EXTENSIONS = re.compile(
    r"\.(?:png|jpe?g|gif|webp|svg|ico|css|js|json|zip|gz|tgz|rar|7z|mp3|mp4|avi|mov|webm|woff2?|ttf|eot|exe|dmg|iso)$",
    re.IGNORECASE,
)


class SiteError(Exception):
    """The site cannot be crawled at all (unreachable start, refused address); the message says why."""


class FetchError(Exception):
    """One URL could not be fetched; the message is the reason shown in the import's errors.
    ``kind``: "http" (``status`` set), "blocked", "unreachable", "timeout", "too_large", "other"."""

    def __init__(self, reason: str, kind: str = "other", status: int | None = None) -> None:
        super().__init__(reason)
        self.kind, self.status = kind, status


class _Stop:
    """The crawl's time budget ran out."""


_STOP = _Stop()
DISALLOWED = "disallowed by the site's robots.txt"


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str


@dataclass(frozen=True)
class PageError:
    url: str
    reason: str


@dataclass
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes
    charset: str | None = None  # the Content-Type header's, when it names one


@dataclass
class Crawl:
    """Progress a caller can read while iterating ``pages()``: URLs found so far (bounded)."""

    client: httpx.AsyncClient
    policy: OutboundPolicy
    start: str
    max_pages: int
    found: int = 0
    deadline: float | None = None  # time.monotonic() after which no further page is fetched
    stopped: bool = False  # the deadline ended the crawl
    _robots: RobotFileParser | None = field(default=None, repr=False)
    _delay: float = 0.0

    async def pages(self) -> AsyncIterator[Page | PageError]:
        start = normalize(self.start)
        try:
            self.policy.check_url(start)
        except BlockedURL as blocked:
            raise SiteError(f"the address is refused: {blocked}") from None
        await self._read_robots(start)
        if _looks_like_sitemap(start):
            async for event in self._from_sitemap(start):
                yield event
            return
        async for event in self._from_links(start):
            yield event

    # --- robots.txt ------------------------------------------------------------------------------

    async def _read_robots(self, start: str) -> None:
        parts = urlsplit(start)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        parser = RobotFileParser(robots_url)
        try:
            fetched = await self._fetch_page(robots_url, page=False)
        except FetchError as error:
            if error.kind == "http" and error.status is not None and error.status < 500:
                parser.parse([])  # no robots.txt: everything allowed
            elif error.kind in ("blocked", "unreachable", "timeout"):
                raise SiteError(f"{start} cannot be reached: {error}") from None
            else:  # 5xx and the like: robots.txt's rules say assume nothing is allowed
                parser.parse(["User-agent: *", "Disallow: /"])
            self._robots = parser
            return
        parser = await asyncio.to_thread(parse_robots, robots_url, fetched.body)
        delay = parser.crawl_delay(ROBOTS_AGENT)
        self._delay = min(float(delay), MAX_CRAWL_DELAY) if delay else 0.0
        self._robots = parser

    def _out_of_time(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = True
        return self.stopped

    async def _fetch_page(self, url: str, *, page: bool = True) -> Fetched:
        """One URL, within ``PAGE_DEADLINE`` in all; a page's redirects are checked against
        robots.txt (robots.txt's and sitemaps' are not, as before)."""
        try:
            async with asyncio.timeout(PAGE_DEADLINE):
                return await fetch(self.client, self.policy, url, allowed=self.allowed if page else None)
        except TimeoutError:
            raise FetchError(
                f"the page took too long (more than {PAGE_DEADLINE:.0f} seconds)", "timeout"
            ) from None

    def allowed(self, url: str) -> bool:
        return self._robots is None or self._robots.can_fetch(ROBOTS_AGENT, url)

    # --- link crawl -----------------------------------------------------------------------------

    async def _from_links(self, start: str) -> AsyncIterator[Page | PageError]:
        queue: deque[str] = deque([start])
        seen = {start}
        done: set[str] = set()  # final URLs read (after redirects)
        self.found = 1
        fetched_pages = 0
        first = True
        while queue and fetched_pages < self.max_pages:
            url = queue.popleft()
            if not self.allowed(url):
                yield PageError(url, DISALLOWED)
                first = False
                continue
            try:
                result = await self._read(url, start, done, wait=not first)
            except FetchError as error:
                if first:
                    raise SiteError(f"{url} cannot be fetched: {error}") from None
                result = PageError(url, str(error))
            first = False
            if isinstance(result, _Stop):
                return
            fetched_pages += 1
            if not isinstance(result, tuple):
                if result is not None:
                    yield result
                continue
            page, links = result
            for link in links:
                if link in seen or link in done or not same_site(start, link) or len(seen) >= self.max_pages:
                    continue
                seen.add(link)
                queue.append(link)
            self.found = len(seen)
            yield page

    async def _read(
        self, url: str, site: str, done: set[str], *, wait: bool
    ) -> tuple[Page, list[str]] | PageError | _Stop | None:
        """One page robots.txt allows: the polite delay, the time budget (``_STOP``), the fetch
        (raises ``FetchError``), a redirect off the site (an error) or to a page already read
        (None), then its text and links. ``done`` collects the final URLs read."""
        if wait and self._delay:
            await asyncio.sleep(self._delay)
        if self._out_of_time():
            return _STOP
        got = await self._fetch_page(url)
        if not same_site(site, got.url):
            return PageError(url, f"redirects off the site (to {_short(got.url)})")
        final = normalize(got.url)
        if final in done:
            return None
        done.add(final)
        return await asyncio.to_thread(_page_of, got)

    # --- sitemap --------------------------------------------------------------------------------

    async def _from_sitemap(self, sitemap_url: str) -> AsyncIterator[Page | PageError]:
        try:
            got = await self._fetch_page(sitemap_url, page=False)
        except FetchError as error:
            raise SiteError(f"the sitemap {sitemap_url} cannot be fetched: {error}") from None
        kind, locs = await asyncio.to_thread(parse_sitemap, got.body)
        if kind is None:
            raise SiteError(f"{sitemap_url} is not a sitemap (no <urlset> or <sitemapindex>)")
        urls: list[str] = []
        if kind == "sitemapindex":
            for child in locs[:MAX_SITEMAPS]:
                if len(urls) >= self.max_pages:
                    break
                if not same_site(sitemap_url, child):
                    continue
                if self._out_of_time():
                    return
                try:
                    child_got = await self._fetch_page(child, page=False)
                except FetchError as error:
                    yield PageError(child, f"sitemap: {error}")
                    continue
                child_kind, child_locs = await asyncio.to_thread(parse_sitemap, child_got.body)
                if child_kind == "urlset":
                    urls.extend(child_locs)
        else:
            urls = locs
        wanted: dict[str, None] = {}  # ordered, unique
        for url in urls:
            url = normalize(urljoin(sitemap_url, url))
            if len(url) <= MAX_URL_CHARS and same_site(sitemap_url, url):
                wanted[url] = None
            if len(wanted) >= self.max_pages:
                break
        self.found = len(wanted)
        done: set[str] = set()
        for index, url in enumerate(wanted):
            if not self.allowed(url):
                yield PageError(url, DISALLOWED)
                continue
            try:
                result = await self._read(url, sitemap_url, done, wait=index > 0)
            except FetchError as error:
                result = PageError(url, str(error))
            if isinstance(result, _Stop):
                return
            if result is not None:
                yield result if isinstance(result, PageError) else result[0]


# --- fetching -------------------------------------------------------------------------------------


async def fetch(
    client: httpx.AsyncClient,
    policy: OutboundPolicy,
    url: str,
    *,
    allowed: Callable[[str], bool] | None = None,
) -> Fetched:
    """GET ``url`` through the guard, following at most ``MAX_REDIRECTS`` redirects (each hop
    checked, and against robots.txt when ``allowed`` is given), the body capped at
    ``MAX_PAGE_BYTES``. Raises ``FetchError`` with the reason."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        if hop and allowed is not None and not allowed(current):
            raise FetchError(f"redirects to {_short(current)}, which robots.txt disallows", "robots")
        try:
            parsed = policy.check_url(current)
            # the transport resolves and checks again (and pins the address); asking here first
            # tells a name that does not resolve from one the guard refuses
            await policy.resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
        except BlockedURL as blocked:
            if "does not resolve" in str(blocked):
                raise FetchError("unreachable: the host name does not resolve", "unreachable") from None
            raise FetchError(f"refused by the outbound guard: {blocked}", "blocked") from None
        try:
            async with client.stream("GET", current, headers=REQUEST_HEADERS) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchError(f"HTTP {response.status_code} without a Location")
                    current = urldefrag(urljoin(current, location))[0]
                    continue
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code}", "http", response.status_code)
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > MAX_PAGE_BYTES:
                    raise FetchError(
                        f"page larger than {_mib(MAX_PAGE_BYTES)} ({_mib(int(length))})", "too_large"
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > MAX_PAGE_BYTES:
                        raise FetchError(f"page larger than {_mib(MAX_PAGE_BYTES)}", "too_large")
                    chunks.append(chunk)
                body = _decode_body(response, b"".join(chunks))
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return Fetched(str(response.url), content_type, body, response.charset_encoding)
        except FetchError:
            raise
        except httpx.ReadError as error:
            if "larger than" in str(error):
                raise FetchError(f"page larger than {_mib(MAX_PAGE_BYTES)}", "too_large") from None
            raise FetchError("the connection broke while reading the page") from None
        except httpx.ConnectError as error:
            if "refused" in str(error) and "outbound" in str(error):
                raise FetchError(
                    "refused by the outbound guard: the host is not a public address", "blocked"
                ) from None
            raise FetchError("unreachable (the connection failed)", "unreachable") from None
        except httpx.TimeoutException:
            raise FetchError("timed out", "timeout") from None
        except httpx.HTTPError as error:
            raise FetchError(f"HTTP error ({type(error).__name__})") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _decode_body(response: httpx.Response, raw: bytes) -> bytes:
    """The raw bytes, decompressed as the server encoded them (bounded: 4x the page limit)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip", "deflate"):
        import zlib

        wbits = 47 if encoding != "deflate" else 15
        decompressor = zlib.decompressobj(wbits)
        try:
            out = decompressor.decompress(raw, MAX_PAGE_BYTES + 1)
        except zlib.error:
            raise FetchError("the page's compressed body is corrupt") from None
        if len(out) > MAX_PAGE_BYTES or decompressor.unconsumed_tail:
            raise FetchError(f"page larger than {_mib(MAX_PAGE_BYTES)} (uncompressed)", "too_large")
        return out
    raise FetchError(f"unsupported content encoding {encoding!r}")


# --- pages ----------------------------------------------------------------------------------------


def _page_of(got: Fetched) -> tuple[Page, list[str]] | PageError:
    """The page's main text and its links, or why there is none (runs in a thread: CPU work).
    Never raises: an odd page is that page's error, never the end of the crawl."""
    try:
        return _read_page(got)
    except Exception as error:  # trafilatura/lxml on hostile markup, codecs, …
        return PageError(got.url, f"the page cannot be read ({type(error).__name__})")


def _read_page(got: Fetched) -> tuple[Page, list[str]] | PageError:
    if got.content_type and got.content_type not in HTML_TYPES:
        return PageError(got.url, f"not an HTML page ({got.content_type}): skipped")
    html = got.body.decode(_charset(got.body, got.charset), "replace")
    links = extract_links(html, got.url)
    text = trafilatura.extract(
        html, output_format="markdown", include_tables=True, include_links=False, include_images=False
    )
    if not text or not text.strip():
        return PageError(got.url, "no main text found on the page")
    metadata = trafilatura.extract_metadata(html)
    title = (metadata.title if metadata is not None and metadata.title else "") or _path_title(got.url)
    text = text.replace("\x00", "").strip()
    title = title.replace("\x00", "")
    if len(text) > MAX_PAGE_CHARS:
        text = text[:MAX_PAGE_CHARS].rsplit("\n", 1)[0]
    return Page(got.url, " ".join(title.split())[:200], text), links


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)


def _charset(body: bytes, declared: str | None = None) -> str:
    """The page's character set: a byte-order mark, else the Content-Type header's, else its
    ``<meta>``'s, else UTF-8. Only character sets count: not idna/punycode (they raise on
    ordinary text), rot13, base64, zlib …; and a ``<meta>`` naming UTF-16 or UTF-32 means
    UTF-8 (a page that can declare itself in a meta is ASCII-compatible, as the HTML standard
    says)."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if declared and (codec := _text_codec(declared)):
        return codec
    match = _META_CHARSET.search(body[:4096])
    if match and (codec := _text_codec(match.group(1).decode("ascii", "ignore"))):
        return "utf-8" if codec.startswith(("utf-16", "utf-32")) else codec
    return "utf-8"


def _text_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name.strip().lower())
    except (LookupError, UnicodeError):
        return None
    if getattr(info, "_is_text_encoding", True) and info.name not in _NOT_CHARSETS:
        return info.name
    return None


_NOT_CHARSETS = {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined"}


def parse_robots(url: str, body: bytes) -> RobotFileParser:
    """robots.txt's rules from its first ``MAX_ROBOTS_BYTES`` (the rest is ignored, as Google
    does) and at most ``MAX_ROBOTS_LINES`` lines (CPU work: call it in a thread)."""
    parser = RobotFileParser(url)
    lines = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").splitlines()
    parser.parse(lines[:MAX_ROBOTS_LINES])
    return parser


def extract_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) links of the page, without fragments, in document order."""
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    base_hrefs = tree.xpath("//base/@href")
    if base_hrefs:
        base = urljoin(base_url, str(base_hrefs[0]).strip())
    links: list[str] = []
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "#", "data:")):
            continue
        url = normalize(urljoin(base, href))
        if not url.startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS:
            continue
        if SKIPPED_EXTENSIONS.search(urlsplit(url).path):
            continue
        links.append(url)
    return list(dict.fromkeys(links))


def parse_sitemap(body: bytes) -> tuple[str | None, list[str]]:
    """("urlset" | "sitemapindex" | None, the <loc> URLs)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None, []
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        return None, []
    locs = [
        (el.text or "").strip()
        for el in root.iter()
        if isinstance(el.tag, str) and etree.QName(el).localname == "loc" and (el.text or "").strip()
    ]
    return tag, locs


# --- URLs -----------------------------------------------------------------------------------------


def normalize(url: str) -> str:
    """Without fragment; scheme and host lower-case; an empty path is '/'."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    port = parts.port
    if port in (80, 443):
        port = None
    return host, port


def same_site(a: str, b: str) -> bool:
    """Same host (``www.`` or not, http or https) and, when one is given, the same port."""
    return urlsplit(b).scheme in ("http", "https") and _site_key(a) == _site_key(b)


def _looks_like_sitemap(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(".xml") and "sitemap" in path


def _path_title(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "…"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def crawl(
    client: httpx.AsyncClient,
    policy: OutboundPolicy,
    start: str,
    *,
    max_pages: int,
    deadline: float | None = None,
) -> Crawl:
    return Crawl(client=client, policy=policy, start=start, max_pages=max_pages, deadline=deadline)
