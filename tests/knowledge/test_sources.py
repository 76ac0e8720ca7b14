"""The crawler's and the extractors' own rules, without a server: what counts as the same site,
which links are followed, sitemaps (no external entities), CSV headers and file types."""

from __future__ import annotations

import warnings

import pytest

from frontdesk.kit.errors import FrontdeskError
from frontdesk.knowledge.sources import files, website


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://alpha.example/", "https://alpha.example/hours", True),
        ("https://alpha.example/", "http://alpha.example/hours", True),  # http → https, same host
        ("https://alpha.example/", "https://www.alpha.example/", True),
        ("https://alpha.example/", "https://shop.alpha.example/", False),
        ("https://alpha.example/", "https://alpha.example.evil.test/", False),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8001/", False),  # another port is another site
        ("https://alpha.example/", "https://alpha.example:443/x", True),
        ("https://alpha.example/", "ftp://alpha.example/x", False),
    ],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert website.same_site(a, b) is same


def test_links_are_absolute_without_fragments_or_assets() -> None:
    html = """<html><head><base href="/shop/"></head><body>
    <a href="bikes">Bikes</a> <a href="/hours#today">Hours</a> <a href="/hours">Again</a>
    <a href="mailto:x@alpha.example">Mail</a> <a href="javascript:alert(1)">JS</a>
    <a href="/logo.png">Logo</a> <a href="https://other.example/page">Other</a></body></html>"""
    assert website.extract_links(html, "https://alpha.example/index") == [
        "https://alpha.example/shop/bikes",
        "https://alpha.example/hours",
        "https://other.example/page",  # kept here; the crawl drops it as off-site
    ]


def test_a_sitemap_resolves_no_entities() -> None:
    evil = b"""<?xml version="1.0"?>
    <!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/&secret;</loc></url>
    <url><loc>https://a.example/hours</loc></url></urlset>"""
    kind, locs = website.parse_sitemap(evil)
    assert kind == "urlset" and "root:" not in "".join(locs)
    assert "https://a.example/hours" in locs
    assert website.parse_sitemap(b"<html>not a sitemap</html>") == (None, [])
    assert website.parse_sitemap(b"\x00garbage") == (None, [])


def test_csv_with_or_without_a_header() -> None:
    with_header = files.extract("faq.csv", b"answer,question\nNine to five.,When are you open?\n")
    assert with_header.faq == [("When are you open?", "Nine to five.")]  # columns found by name
    without = files.extract("faq.csv", b"When are you open?,Nine to five.\nDo you deliver?,Yes.\n")
    assert without.faq == [("When are you open?", "Nine to five."), ("Do you deliver?", "Yes.")]
    tabs = files.extract("faq.csv", "Frage\tAntwort\nÖffnungszeiten?\tNeun bis fünf.\n".encode())
    assert tabs.faq == [("Öffnungszeiten?", "Neun bis fünf.")]


def test_long_text_is_stored_in_parts_and_types_are_checked() -> None:
    text = ("A paragraph about bikes. " * 40 + "\n\n") * 400  # ~400k characters
    parts = files.extract("catalogue.txt", text.encode()).parts
    assert len(parts) == 3 and all(len(p) <= files.PART_CHARS for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())  # nothing lost at the cuts
    for name, data, status in (
        ("sheet.xlsx", b"PK\x03\x04", 415),
        ("binary.txt", b"\x00\x01\x02", 415),
        ("big.txt", b"x" * (files.MAX_FILE_BYTES + 1), 413),
    ):
        with pytest.raises(FrontdeskError) as refused:
            files.extract(name, data)
        assert refused.value.status == status, name


# --- bombs: each ends with a clear refusal after bounded work ---------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _docx_with_body(body: bytes) -> bytes:
    import io

    from docx import Document

    # a real package from python-docx, its document.xml replaced
    out = io.BytesIO()
    Document().save(out)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    ns = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    entries["word/document.xml"] = b"<w:document " + ns + b"><w:body>" + body + b"</w:body></w:document>"
    return _zip(entries)


def test_a_docx_of_many_tiny_paragraphs_is_refused_by_its_inflated_size() -> None:
    data = _docx_with_body(b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 300_000)
    assert len(data) < 100_000  # tiny on the wire
    with pytest.raises(FrontdeskError) as refused:
        files.extract("bomb.docx", data)
    assert refused.value.status == 422 and "document body inflates" in refused.value.detail


def test_a_docx_hiding_a_large_body_behind_a_small_copy_is_refused() -> None:
    """Two parts named word/document.xml: a small first copy checked, a huge last one read."""
    import io
    import zipfile

    small = _docx_with_body(b"<w:p><w:r><w:t>hello</w:t></w:r></w:p>")
    with zipfile.ZipFile(io.BytesIO(small)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, as it should
        for name, data in parts:
            archive.writestr(name, data)
        archive.writestr("word/document.xml", b"<w:p/>" * 1_500_000)  # 9 MB of empty paragraphs
    with pytest.raises(FrontdeskError) as refused:
        files.extract("sneaky.docx", out.getvalue())
    assert refused.value.status == 422 and "repeated parts" in refused.value.detail


def test_a_docx_past_the_text_budget_stops_being_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from docx.text import paragraph

    read: list[int] = []
    original = paragraph.Paragraph.__init__

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(paragraph.Paragraph, "__init__", counted)
    text = b"word " * 1_000  # 5,000 characters a paragraph
    data = _docx_with_body((b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>") * 700)  # 3.5M in all
    with pytest.raises(FrontdeskError) as refused:
        files.extract("long.docx", data)
    assert refused.value.status == 413 and "2,000,000 characters" in refused.value.detail
    assert len(read) <= files.MAX_TEXT_CHARS // 5_000 + 2  # ~400 paragraphs read, not 700


def _pdf_sharing_one_stream(pages: int, text: str) -> bytes:
    import zlib

    content = zlib.compress(("BT /F1 12 Tf 72 720 Td " + f"({text}) Tj " * 200 + "ET").encode(), 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        f"<< /Length {len(content)} /Filter /FlateDecode >>",
    ]
    page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 {f} 0 R >> >> >>"
    objects += [page.format(f=4 + pages) for _ in range(pages)]
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        raw = body.encode()
        if number == 3:
            raw += b"\nstream\n" + content + b"\nendstream"
        out += f"{number} 0 obj\n".encode() + raw + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_a_pdf_of_many_pages_sharing_one_stream_stops_at_the_text_budget(monkeypatch) -> None:
    import pypdf

    read: list[int] = []
    original = pypdf.PageObject.extract_text

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counted)
    data = _pdf_sharing_one_stream(1_500, "x" * 200)  # 40k characters a page, 60M in all
    assert len(data) < 300_000
    with pytest.raises(FrontdeskError) as refused:
        files.extract("bomb.pdf", data)
    assert refused.value.status == 413 and "characters of text" in refused.value.detail
    assert len(read) <= files.MAX_TEXT_CHARS // 40_000 + 1  # ~51 pages read, not 1,500


def test_a_csv_of_many_rows_is_refused_at_the_first_row_past_the_limit(monkeypatch) -> None:
    import csv

    seen = 0
    reader = csv.reader

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal seen
        for row in reader(*args, **kwargs):
            seen += 1
            yield row

    monkeypatch.setattr(files.csv, "reader", counting)
    data = b"ab,cd\n" * (files.MAX_FILE_BYTES // 6)  # 20 MB, 3.5M rows
    with pytest.raises(FrontdeskError) as refused:
        files.extract("many.csv", data)
    assert refused.value.status == 422 and "at most 500" in refused.value.detail
    assert seen == files.MAX_FAQ_ROWS + 1  # never all rows


@pytest.mark.parametrize(
    "charset",
    ["idna", "punycode", "rot13", "base64", "zlib", "no-such-codec", "utf-16", "utf-16le", "utf-32"],
)
def test_a_page_naming_a_non_text_codec_is_read_as_utf8(charset: str) -> None:
    body = f'<html><head><meta charset="{charset}"><title>Hours</title></head><body><main>'
    body += "<p>We are open from nine to five, Monday to Friday — café included.</p>" * 3
    body += "</main></body></html>"
    got = website.Fetched("https://a.example/hours", "text/html", body.encode())
    result = website._page_of(got)
    assert not isinstance(result, website.PageError), result
    assert "café included" in result[0].text


def test_an_unexpected_failure_on_a_page_is_that_pages_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> str:
        raise RecursionError("deeply nested markup")

    monkeypatch.setattr(website.trafilatura, "extract", explode)
    got = website.Fetched("https://a.example/odd", "text/html", b"<html><body><p>x</p></body></html>")
    result = website._page_of(got)
    assert isinstance(result, website.PageError) and "cannot be read (RecursionError)" in result.reason


def test_robots_txt_is_read_up_to_500_kib_and_a_bounded_number_of_lines() -> None:
    head = b"User-agent: *\nDisallow: /private/\n"
    padded = head + b"# padding\n" * (600 * 1024 // 10) + b"Disallow: /hours\n"
    parser = website.parse_robots("https://a.example/robots.txt", padded)
    assert not parser.can_fetch(website.ROBOTS_AGENT, "https://a.example/private/x")
    assert parser.can_fetch(website.ROBOTS_AGENT, "https://a.example/hours")  # past 500 KiB: ignored
    many = b"User-agent: *\n" + b"".join(b"Disallow: /p%d\n" % i for i in range(20_000))
    parser = website.parse_robots("https://a.example/robots.txt", many)
    assert not parser.can_fetch(website.ROBOTS_AGENT, "https://a.example/p10")
    rules = sum(len(entry.rulelines) for entry in [*parser.entries, parser.default_entry] if entry)
    assert rules < website.MAX_ROBOTS_LINES


def test_a_page_declaring_latin1_in_its_header_only_is_read_in_latin1() -> None:
    body = "<html><head><title>Prix</title></head><body><main>"
    body += "<p>Le café crème coûte 2,50 € au comptoir, à emporter ou à déguster sur place.</p>" * 3
    body += "</main></body></html>"
    got = website.Fetched("https://a.example/prix", "text/html", body.encode("cp1252"), "windows-1252")
    result = website._page_of(got)
    assert not isinstance(result, website.PageError), result
    assert "café crème coûte 2,50 €" in result[0].text
