"""The crawler's and the extractors' own rules, without a server: what counts as the same site,
which links are followed, sitemaps (no external entities), CSV headers and file types."""

from __future__ import annotations

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
