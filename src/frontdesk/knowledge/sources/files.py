"""Text out of uploaded files: PDF (pypdf), DOCX (python-docx), HTML (trafilatura), Markdown,
plain text, and CSV files of question/answer pairs (which become an FAQ document).

``extract(name, data)`` is CPU work; the API calls it through ``extract_bounded``, which runs it
on this module's own small thread pool (never the event loop's default pool, which password
hashing and index builds share), at most ``MAX_EXTRACTING`` files at once per process and
``MAX_EXTRACTING_PER_TENANT`` per tenant, and answers 422 after ``EXTRACT_TIMEOUT`` seconds. The
work itself is bounded too (a thread cannot be stopped): a DOCX's ``word/document.xml`` is capped,
paragraphs and PDF pages stop being read once the text passes ``MAX_TEXT_CHARS``, and a CSV is
refused at its 501st row without reading the rest. ``extract`` either returns what to store or
raises a ``FrontdeskError`` a person can act on (413 too large, 415 unsupported, 422 corrupt or
without text, 429/503 busy) — nothing is stored for a file that fails.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePath

from frontdesk.kit.errors import FrontdeskError, PayloadTooLarge, ServiceUnavailable
from frontdesk.kit.ratelimit import RateLimited
from frontdesk.knowledge.schemas import MAX_CONTENT_CHARS, MAX_FAQ_PAIRS

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 2_000
MAX_DOCX_UNZIPPED = 100 * 1024 * 1024  # a DOCX is a zip: refuse one that inflates past this
MAX_FAQ_ROWS = MAX_FAQ_PAIRS
PART_CHARS = MAX_CONTENT_CHARS  # longer text is stored in parts
MAX_PARTS = 10
MAX_TEXT_CHARS = MAX_PARTS * PART_CHARS  # what one upload may hold: reading stops past it
MAX_DOCX_XML = 8 * 1024 * 1024  # word/document.xml, uncompressed (a 2M-character text fits)
MAX_PDF_CONTENT = 64 * 1024 * 1024  # page content streams parsed, all pages together (decoded)
EXTRACT_WORKERS = 2  # threads of the extraction pool
MAX_EXTRACTING = EXTRACT_WORKERS  # files extracted at once per process (more would only queue)
MAX_EXTRACTING_PER_TENANT = 1  # a tenant's second upload at once gets 429
EXTRACT_WAIT = 5.0  # seconds an upload waits for a free slot before 503 + Retry-After
EXTRACT_TIMEOUT = 60.0  # seconds; then 422 "took too long to read"
RETRY_AFTER = "10"
EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
}
SUPPORTED = "PDF, DOCX, HTML, Markdown (.md), plain text (.txt) or a CSV of question/answer pairs"


class UnsupportedFile(FrontdeskError):
    status, code, title = 415, "unsupported_file", "Unsupported file type"


class UnreadableFile(FrontdeskError):
    status, code, title = 422, "unreadable_file", "The file cannot be read"


_executor = ThreadPoolExecutor(max_workers=EXTRACT_WORKERS, thread_name_prefix="extract")
_slots_lock = threading.Lock()  # done-callbacks release slots from the worker threads
_running = 0
_running_by_tenant: dict[str, int] = {}


def _take_slot(tenant: str) -> bool | None:
    """True: taken; False: the process is full; None: the tenant already has its uploads running."""
    global _running
    with _slots_lock:
        if _running_by_tenant.get(tenant, 0) >= MAX_EXTRACTING_PER_TENANT:
            return None
        if _running >= MAX_EXTRACTING:
            return False
        _running += 1
        _running_by_tenant[tenant] = _running_by_tenant.get(tenant, 0) + 1
        return True


def _release_slot(tenant: str) -> None:
    global _running
    with _slots_lock:
        _running -= 1
        left = _running_by_tenant.get(tenant, 1) - 1
        if left > 0:
            _running_by_tenant[tenant] = left
        else:
            _running_by_tenant.pop(tenant, None)


async def extract_bounded(name: str, data: bytes, tenant: str) -> Extracted:
    """``extract`` on the extraction pool, within the per-process and per-tenant limits and
    ``EXTRACT_TIMEOUT``. A slot is held until the thread really ends (also after a timeout), so
    a file still being read keeps counting against the limits."""
    waited = 0.0
    while True:
        taken = _take_slot(tenant)
        if taken:
            break
        if taken is None:
            raise RateLimited(
                "Another file of this workspace is still being read; try again shortly.",
                headers={"Retry-After": RETRY_AFTER},
            )
        if waited >= EXTRACT_WAIT:
            raise ServiceUnavailable(
                "Too many files are being read right now; try again shortly.",
                headers={"Retry-After": RETRY_AFTER},
            )
        await asyncio.sleep(0.1)
        waited += 0.1
    try:
        future: Future[Extracted] = _executor.submit(extract, name, data)
    except BaseException:
        _release_slot(tenant)
        raise
    future.add_done_callback(lambda _: _release_slot(tenant))
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), EXTRACT_TIMEOUT)
    except TimeoutError:
        raise UnreadableFile(
            f"{name!r}: the file took too long to read (more than {EXTRACT_TIMEOUT:.0f} seconds)."
        ) from None


@dataclass(frozen=True)
class Extracted:
    """What a file becomes: text parts (one document each) or FAQ pairs (one document)."""

    kind: str
    parts: list[str]
    faq: list[tuple[str, str]] | None = None


def kind_of(name: str) -> str:
    kind = EXTENSIONS.get(PurePath(name).suffix.lower())
    if kind is None:
        raise UnsupportedFile(f"{name!r}: this file type is not supported; upload {SUPPORTED}.")
    return kind


def check_size(name: str, data: bytes) -> None:
    """413 for a file over ``MAX_FILE_BYTES``."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"{name!r} is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MiB a file may be."
        )


def extract(name: str, data: bytes) -> Extracted:
    check_size(name, data)
    kind = kind_of(name)
    if not data:
        raise UnreadableFile(f"{name!r} is empty.")
    if kind == "csv":
        return Extracted(kind, [], faq=_csv_pairs(name, data))
    text = {
        "pdf": _pdf_text,
        "docx": _docx_text,
        "html": _html_text,
        "markdown": _plain_text,
        "text": _plain_text,
    }[kind](name, data)
    text = _tidy(text)
    if not text:
        raise UnreadableFile(f"{name!r}: no text found.")
    return Extracted(kind, split_parts(name, text))


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5] == b"%PDF-":
        raise UnreadableFile(f"{name!r} is not a PDF file (it does not start with %PDF-).")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(f"{name!r} is password-protected; upload an unprotected copy.")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise UnreadableFile(f"{name!r} has {len(pages)} pages; at most {MAX_PDF_PAGES} are read.")
        texts: list[str] = []
        chars = content = 0
        for page in pages:
            contents = page.get_contents()
            content += len(contents.get_data()) if contents is not None else 0
            if content > MAX_PDF_CONTENT:
                raise PayloadTooLarge(
                    f"{name!r}: its pages hold more than {MAX_PDF_CONTENT // (1024 * 1024)} MiB of "
                    "content to read; split it."
                )
            texts.append(page.extract_text() or "")
            chars += len(texts[-1])
            if chars > MAX_TEXT_CHARS:
                raise _too_much_text(name)
    except FrontdeskError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise UnreadableFile(f"{name!r} is not a readable PDF (corrupt or truncated).") from None
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text.strip():
        raise UnreadableFile(
            f"{name!r}: no text found (scanned PDF? Its pages are images; run OCR on it or upload "
            "a PDF with a text layer)."
        )
    return text


def _docx_text(name: str, data: bytes) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNZIPPED:
                raise UnreadableFile(
                    f"{name!r} inflates to more than {MAX_DOCX_UNZIPPED // (1024 * 1024)} MiB."
                )
            infos = archive.infolist()
            # a repeated name would let a small first copy pass the check while the reader takes the last
            if len({info.filename for info in infos}) != len(infos):
                raise UnreadableFile(f"{name!r} is not a readable DOCX file (repeated parts).")
            # every XML part, not only word/document.xml: the body may live under another name
            if any(
                info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_DOCX_XML for info in infos
            ):
                raise UnreadableFile(
                    f"{name!r}: its document body inflates to more than "
                    f"{MAX_DOCX_XML // (1024 * 1024)} MiB; split it or save it without embedded clutter."
                )
    except zipfile.BadZipFile:
        raise UnreadableFile(f"{name!r} is not a readable DOCX file (not a zip package).") from None
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise UnreadableFile(f"{name!r} is not a readable DOCX file ({type(error).__name__}).") from None
    except Exception:  # lxml and python-docx raise many kinds on malformed packages
        raise UnreadableFile(f"{name!r} is not a readable DOCX file.") from None
    lines: list[str] = []
    chars = 0
    styles: dict[str | None, str] = {}  # style id → name, looked up once each
    body = document.element.body
    for block in body.iterchildren():
        if chars > MAX_TEXT_CHARS:
            raise _too_much_text(name)
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            from docx.text.paragraph import Paragraph

            para = Paragraph(block, document)
            text = para.text.strip()
            if not text:
                continue
            chars += len(text) + 2
            style_id = block.style
            if style_id not in styles:
                styles[style_id] = (para.style.name if para.style is not None else "") or ""
            style = styles[style_id]
            match = re.match(r"Heading (\d)", style)
            if match:
                lines.append("#" * min(int(match.group(1)), 6) + " " + text)
            elif style == "Title":
                lines.append("# " + text)
            else:
                lines.append(text)
        elif tag == "tbl":
            from docx.table import Table

            table = Table(block, document)
            rows = []
            for row in table.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                rows.append("| " + " | ".join(cells) + " |")
                chars += len(rows[-1]) + 1
                if chars > MAX_TEXT_CHARS:
                    raise _too_much_text(name)
            if rows:
                width = rows[0].count("|") - 1
                rows.insert(1, "|" + "---|" * width)
                lines.append("\n".join(rows))
    return "\n\n".join(lines)


def _too_much_text(name: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"{name!r} holds more than {MAX_TEXT_CHARS:,} characters of text; split it.")


def _html_text(name: str, data: bytes) -> str:
    import trafilatura

    html = _decode(name, data)
    text = trafilatura.extract(html, output_format="markdown", include_tables=True, include_links=False)
    if not text:
        raise UnreadableFile(f"{name!r}: no main text found in the HTML.")
    return text


def _plain_text(name: str, data: bytes) -> str:
    return _decode(name, data)


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedFile(f"{name!r} is a binary file, not text; upload {SUPPORTED}.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


_QUESTION = {"question", "questions", "q", "frage", "pregunta", "faq"}
_ANSWER = {"answer", "answers", "a", "antwort", "réponse", "reponse", "respuesta"}


def _csv_pairs(name: str, data: bytes) -> list[tuple[str, str]]:
    text = _decode(name, data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    delimiter = getattr(dialect, "delimiter", ",")
    pairs: list[tuple[str, str]] = []
    q_col, a_col, width = 0, 1, 2
    first = True
    # row by row: a file of many short rows is refused at row MAX_FAQ_ROWS + 1, the rest unread
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            if not any(c.strip() for c in row):
                continue
            if first:
                first = False
                header = [c.strip().lower() for c in row]
                q_named = next((i for i, c in enumerate(header) if c in _QUESTION), None)
                a_named = next((i for i, c in enumerate(header) if c in _ANSWER), None)
                if q_named is not None and a_named is not None:
                    q_col, a_col, width = q_named, a_named, len(header)
                    continue
                if len(row) < 2:
                    raise UnreadableFile(
                        f"{name!r}: a CSV needs two columns, question and answer (a header row "
                        "'question,answer' helps)."
                    )
            if len(pairs) >= MAX_FAQ_ROWS:
                raise UnreadableFile(
                    f"{name!r} has more than {MAX_FAQ_ROWS} pairs; one file holds at most {MAX_FAQ_ROWS}."
                )
            question = row[q_col].strip() if len(row) > q_col else ""
            answer = row[a_col].strip() if len(row) > a_col else ""
            if a_col == width - 1 and len(row) > width:  # an unquoted comma in the last column
                answer = delimiter.join(row[a_col:]).strip()
            if not question or not answer:
                raise UnreadableFile(f"{name!r}, row {number}: a question and an answer are both needed.")
            if len(question) > 2_000 or len(answer) > 10_000:
                raise UnreadableFile(
                    f"{name!r}, row {number}: too long (question ≤ 2,000, answer ≤ 10,000 characters)."
                )
            pairs.append((question, answer))
    except csv.Error as error:
        raise UnreadableFile(f"{name!r} is not a readable CSV file ({error}).") from None
    if first:
        raise UnreadableFile(f"{name!r}: no rows.")
    if not pairs:
        raise UnreadableFile(f"{name!r}: no question/answer rows.")
    return pairs


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_parts(name: str, text: str) -> list[str]:
    """The text in pieces of at most ``PART_CHARS``, cut at paragraph breaks where possible."""
    parts: list[str] = []
    while len(text) > PART_CHARS:
        cut = text.rfind("\n\n", 0, PART_CHARS)
        if cut < PART_CHARS // 2:
            cut = text.rfind("\n", 0, PART_CHARS)
        if cut < PART_CHARS // 2:
            cut = PART_CHARS
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    if len(parts) > MAX_PARTS:
        raise _too_much_text(name)
    return parts
