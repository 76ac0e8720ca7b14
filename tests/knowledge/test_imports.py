"""Knowledge from a website and from files (issue 13): a fake business site on loopback, reached
through the outbound guard (loopback allowed for the fake's port only, as an operator would
allow an internal host), and real PDF/DOCX/CSV files made here."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.knowledge import imports as import_service
from frontdesk.knowledge import tasks
from frontdesk.knowledge.sources import files as file_sources
from frontdesk.knowledge.sources import website as website_source
from frontdesk.models import KnowledgeImport
from frontdesk.runtime import Runtime
from tests import factories
from tests.fakes.website import FOOTER, NAV, FakeWebsite, default_pages, html_page


@pytest.fixture(scope="module")
def site() -> Iterator[FakeWebsite]:
    with FakeWebsite() as fake:
        yield fake


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def platform(settings: Settings, allow: list[str]) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    application = create_app(settings.model_copy(update={"outbound_allow": allow}))
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client, application.state.runtime


@pytest.fixture
async def web(
    settings: Settings, runtime: Runtime, site: FakeWebsite, closed_port: int
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    # ``runtime`` (the suite's app) cleans the tenants up after the test
    async with platform(settings, [f"127.0.0.1:{site.port}", f"127.0.0.1:{closed_port}"]) as pair:
        site.pages = default_pages()
        site.hits.clear()
        yield pair


async def finished(client: httpx.AsyncClient, headers: dict[str, str], import_id: str) -> dict[str, Any]:
    """The import once its job has finished (bounded wait; no timing is asserted)."""
    for _ in range(600):
        r = await client.get(f"/api/v1/knowledge/imports/{import_id}", headers=headers)
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return r.json()  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"import still {r.json()['status']}: {r.json()}")


async def start_import(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/knowledge/imports", headers=headers, json=body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    return await finished(client, headers, r.json()["id"])


async def documents(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = (await client.get("/api/v1/knowledge?limit=100", headers=headers)).json()["items"]
    out = {}
    for item in items:
        out[item["name"]] = (await client.get(f"/api/v1/knowledge/{item['id']}", headers=headers)).json()
    return out


def reasons(job: dict[str, Any]) -> dict[str, str]:
    return {e["item"].split("/", 3)[-1]: e["reason"] for e in job["errors"]}


async def test_a_website_becomes_documents_of_its_main_text(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    job = await start_import(client, tenant.headers, url=site.base_url + "/")
    assert job["status"] == "done", job
    docs = await documents(client, tenant.headers)
    assert set(docs) == {"Welcome to Alpha Bikes", "Opening hours", "Parking"}
    hours = docs["Opening hours"]["content"]
    assert "Monday to Friday from 9:00 to 18:00" in hours
    assert all(NAV not in d["content"] and FOOTER not in d["content"] for d in docs.values())
    # robots.txt disallows /private/: never requested, reported
    assert "/private/secret" not in site.hits
    why = reasons(job)
    assert "robots.txt" in why["private/secret"] and "robots.txt disallows" in why["staff"]
    assert why["big"].startswith("page larger than 4 MiB")
    assert "not an HTML page" in why["brochure.pdf"]
    for hop in ("go/private", "go/metadata", "go/loopback"):
        assert "refused by the outbound guard" in why[hop], (hop, why[hop])
    # the off-site link is neither fetched nor reported; the redirect to /hours is not a duplicate
    assert not any("elsewhere" in e["item"] for e in job["errors"])
    assert "/old-hours" in site.hits and len([n for n in docs if n == "Opening hours"]) == 1
    assert job["pages_indexed"] == 3 and job["pages_fetched"] == 3 and job["pages_unchanged"] == 0
    assert job["pages_failed"] == len(job["errors"]) == 7
    assert job["pages_found"] >= job["pages_fetched"] + job["pages_failed"]
    assert job["documents"] == 3 and job["finished_at"] is not None
    # the chat answers from the imported page
    r = await client.post(
        "/api/v1/chat",
        headers=tenant.headers,
        json={"session_id": "v1", "message": "opening hours on saturday?"},
    )
    assert "10:00" in r.json()["reply"], r.json()


async def test_a_resync_rewrites_only_the_changed_page(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    first = await start_import(client, tenant.headers, url=site.base_url + "/sitemap.xml")
    assert (first["status"], first["pages_indexed"], first["pages_found"]) == ("done", 2, 2), first
    before = await documents(client, tenant.headers)
    site.pages["/parking"] = site.pages["/parking"].replace("twenty bikes", "forty bikes")
    r = await client.post(f"/api/v1/knowledge/imports/{first['id']}/sync", headers=tenant.headers)
    assert r.status_code == 202, r.text
    again = await finished(client, tenant.headers, first["id"])
    assert (again["status"], again["pages_indexed"], again["pages_unchanged"]) == ("done", 1, 1), again
    after = await documents(client, tenant.headers)
    assert set(after) == set(before) == {"Opening hours", "Parking"}  # updated in place, no duplicate
    assert "forty bikes" in after["Parking"]["content"] and after["Parking"]["version"] == 2
    assert after["Opening hours"] == before["Opening hours"]


async def test_a_sitemap_index_and_the_page_limit(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    job = await start_import(client, tenant.headers, url=site.base_url + "/sitemap_index.xml")
    assert (job["status"], job["pages_indexed"]) == ("done", 2), job
    site.hits.clear()
    job = await start_import(client, tenant.headers, url=site.base_url + "/catalog", max_pages=4)
    assert job["status"] == "done" and job["pages_fetched"] + job["pages_failed"] == 4, job
    assert job["pages_found"] == 4
    assert len([h for h in site.hits if h != "/robots.txt"]) == 4  # the catalogue and three pages it links
    # /hours and /parking were imported from the sitemap: one document per page, left alone
    assert (job["pages_indexed"], job["pages_unchanged"]) == (2, 2), job
    listed = (await client.get("/api/v1/knowledge", headers=tenant.headers)).json()
    assert listed["total"] == 4
    # the plan's limit (free: 50 pages) bounds what a tenant may ask for, and the URL is checked
    r = await client.post(
        "/api/v1/knowledge/imports", headers=tenant.headers, json={"url": site.base_url, "max_pages": 5000}
    )
    assert r.status_code == 422 and "50 pages" in r.json()["detail"]
    for url in (
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/",
        "file:///etc/passwd",
        "http://localhost/",
    ):
        r = await client.post("/api/v1/knowledge/imports", headers=tenant.headers, json={"url": url})
        assert r.status_code == 422, (url, r.text)


async def test_the_plans_document_limit_ends_a_crawl_with_the_reason(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")  # free plan: 20 documents
    site.catalog_size = 40
    try:
        job = await start_import(client, tenant.headers, url=site.base_url + "/catalog", max_pages=40)
    finally:
        site.catalog_size = 12
    assert job["status"] == "done" and job["pages_indexed"] == 20, job
    assert "20 knowledge documents" in job["errors"][-1]["reason"], job["errors"]
    assert (await client.get("/api/v1/knowledge", headers=tenant.headers)).json()["total"] == 20


async def test_an_unreachable_site_or_a_start_redirected_inside_fails_with_the_reason(
    web, site: FakeWebsite, closed_port: int
) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    job = await start_import(client, tenant.headers, url=f"http://127.0.0.1:{closed_port}/")
    assert job["status"] == "failed" and "cannot be reached" in job["errors"][0]["reason"], job
    job = await start_import(client, tenant.headers, url=site.base_url + "/go/start")
    assert job["status"] == "failed", job
    assert "refused by the outbound guard" in job["errors"][0]["reason"]
    assert "10.0.0.1 is not a public address" in job["errors"][0]["reason"]
    job = await start_import(client, tenant.headers, url="https://unresolvable.invalid/")
    assert job["status"] == "failed" and "does not resolve" in job["errors"][0]["reason"], job
    assert await documents(client, tenant.headers) == {}
    listed = (await client.get("/api/v1/knowledge/imports", headers=tenant.headers)).json()
    assert listed["total"] == 3 and {i["status"] for i in listed["items"]} == {"failed"}


async def test_a_site_gone_down_fails_its_resync_and_keeps_the_documents(
    settings: Settings, runtime: Runtime
) -> None:
    with FakeWebsite() as own_site:
        async with platform(settings, [f"127.0.0.1:{own_site.port}"]) as (client, app_runtime):
            tenant = await factories.tenant_with_key(app_runtime, name="Alpha Bikes")
            job = await start_import(client, tenant.headers, url=own_site.base_url + "/sitemap.xml")
            assert job["pages_indexed"] == 2
            before = await documents(client, tenant.headers)
            own_site.stop()
            r = await client.post(f"/api/v1/knowledge/imports/{job['id']}/sync", headers=tenant.headers)
            assert r.status_code == 202
            again = await finished(client, tenant.headers, job["id"])
            assert again["status"] == "failed" and "cannot be reached" in again["errors"][0]["reason"]
            assert await documents(client, tenant.headers) == before


async def test_deleting_an_import_keeps_or_removes_its_documents(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    kept = await start_import(client, tenant.headers, url=site.base_url + "/sitemap.xml")
    r = await client.delete(f"/api/v1/knowledge/imports/{kept['id']}", headers=tenant.headers)
    assert r.status_code == 204
    assert set(await documents(client, tenant.headers)) == {"Opening hours", "Parking"}
    gone = await start_import(client, tenant.headers, url=site.base_url + "/catalog/1", max_pages=1)
    assert gone["pages_indexed"] == 1
    r = await client.delete(
        f"/api/v1/knowledge/imports/{gone['id']}?delete_documents=true", headers=tenant.headers
    )
    assert r.status_code == 204
    assert set(await documents(client, tenant.headers)) == {"Opening hours", "Parking"}
    assert (
        await client.get(f"/api/v1/knowledge/imports/{gone['id']}", headers=tenant.headers)
    ).status_code == 404


async def test_one_tenants_slow_import_does_not_hold_anothers(web, site: FakeWebsite) -> None:
    client, runtime = web
    slow = await factories.tenant_with_key(runtime, name="Slow Shop")
    quick = await factories.tenant_with_key(runtime, name="Quick Shop")
    site.release.clear()
    r = await client.post(
        "/api/v1/knowledge/imports", headers=slow.headers, json={"url": site.base_url + "/slow"}
    )
    assert r.status_code == 202
    slow_id = r.json()["id"]
    for _ in range(400):  # the slow import is waiting for its first page
        if "/slow" in site.hits:
            break
        await asyncio.sleep(0.05)
    try:
        job = await start_import(client, quick.headers, url=site.base_url + "/sitemap.xml")
        assert (job["status"], job["pages_indexed"]) == ("done", 2)
        pending = (await client.get(f"/api/v1/knowledge/imports/{slow_id}", headers=slow.headers)).json()
        assert pending["status"] == "running" and pending["pages_fetched"] == 0
    finally:
        site.release.set()
    done = await finished(client, slow.headers, slow_id)
    assert done["status"] == "done" and done["pages_indexed"] >= 1


async def test_a_scheduled_resync_runs_when_due(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    job = await start_import(client, tenant.headers, url=site.base_url + "/sitemap.xml", resync_hours=24)
    assert job["next_sync_at"] is not None and job["pages_indexed"] == 2
    assert await tasks.sync_due_imports() == 0  # not due yet
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        row = await session.get(KnowledgeImport, uuid.UUID(job["id"]))
        assert row is not None
        row.next_sync_at = utcnow()
    site.pages["/hours"] = site.pages["/hours"].replace("10:00 to 14:00", "10:00 to 16:00")
    # 1, or 0 when the app's own periodic tick queued it first: either way it runs again
    assert await tasks.sync_due_imports() in (0, 1)
    for _ in range(600):
        again = await finished(client, tenant.headers, job["id"])
        if again["started_at"] != job["started_at"]:
            break
        await asyncio.sleep(0.05)
    assert (again["pages_indexed"], again["pages_unchanged"]) == (1, 1), again
    assert again["started_at"] > job["started_at"] and again["next_sync_at"] > job["next_sync_at"]


async def test_an_import_whose_job_was_lost_is_sent_again(web, site: FakeWebsite) -> None:
    """Queued with the in-process queue, then the process restarted: the sweep sends it again."""
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        row = KnowledgeImport(
            kind="website",
            source=site.base_url + "/sitemap.xml",
            status="queued",
            queued_at=utcnow() - timedelta(minutes=30),
            max_pages=10,
            errors=[],
        )
        session.add(row)
    assert await tasks.sync_due_imports() in (0, 1)  # 0: the app's own periodic tick took it first
    job = await finished(client, tenant.headers, str(row.id))
    assert (job["status"], job["pages_indexed"], job["next_sync_at"]) == ("done", 2, None), job


async def test_a_duplicate_job_of_a_finished_import_crawls_nothing(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    job = await start_import(client, tenant.headers, url=site.base_url + "/sitemap.xml")
    assert job["status"] == "done"
    site.hits.clear()
    outcome = await import_service.run_import(
        runtime.db, runtime.cache, runtime.settings.outbound, tenant.id, uuid.UUID(job["id"])
    )
    assert outcome == "skipped" and site.hits == []
    again = (await client.get(f"/api/v1/knowledge/imports/{job['id']}", headers=tenant.headers)).json()
    assert (again["status"], again["started_at"], again["pages_indexed"]) == ("done", job["started_at"], 2)


async def test_scheduled_resyncs_respect_the_tenants_active_limit(web, site: FakeWebsite) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    r = await client.post(
        "/api/v1/knowledge/imports",
        headers=tenant.headers,
        json={"url": site.base_url + "/sitemap.xml", "resync_hours": 1},
    )
    assert r.status_code == 422 and "resync_hours" in r.text, r.text
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        for number in range(6):
            session.add(
                KnowledgeImport(
                    kind="website",
                    source=f"{site.base_url}/catalog/{number}",
                    status="done",
                    max_pages=1,
                    resync_hours=24,
                    next_sync_at=utcnow() - timedelta(minutes=1),
                    errors=[],
                )
            )
    due = await import_service.due_imports(runtime.db)  # (the app's own tick may have swept first)
    assert len([d for d in due if d[0] == tenant.id]) <= import_service.MAX_ACTIVE
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        rows = (await session.scalars(select(KnowledgeImport))).all()
        started = [r for r in rows if r.status != "done" or r.started_at is not None]
        assert len(started) == import_service.MAX_ACTIVE, [(r.status, r.started_at) for r in rows]


async def test_runs_whose_worker_died_do_not_hold_the_tenants_slots(web, site: FakeWebsite) -> None:
    """Three runs left "running" by a crashed worker long ago: a due re-sync still goes ahead."""
    _client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    long_ago = utcnow() - import_service.STALE_RUN - timedelta(minutes=5)
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        for number in range(import_service.MAX_ACTIVE):
            session.add(
                KnowledgeImport(
                    kind="website",
                    source=f"{site.base_url}/dead/{number}",
                    status="running",
                    max_pages=1,
                    started_at=long_ago,
                    errors=[],
                )
            )
        due_row = KnowledgeImport(
            kind="website",
            source=f"{site.base_url}/sitemap.xml",
            status="done",
            max_pages=5,
            resync_hours=24,
            next_sync_at=utcnow() - timedelta(minutes=1),
            errors=[],
        )
        session.add(due_row)
        await session.flush()
        due_id = due_row.id
    due = await import_service.due_imports(runtime.db)
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        row = await session.get(KnowledgeImport, due_id)
        assert row is not None
        # queued by this sweep (or by the app's own tick just before), never postponed
        assert (tenant.id, due_id) in due or row.status != "done", (row.status, row.next_sync_at)
        assert row.next_sync_at is None or row.next_sync_at > utcnow() + timedelta(hours=1)


async def test_a_page_that_never_finishes_and_the_run_deadline(web, site: FakeWebsite, monkeypatch) -> None:
    client, runtime = web
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    monkeypatch.setattr(website_source, "PAGE_DEADLINE", 0.5)
    job = await start_import(client, tenant.headers, url=site.base_url + "/trickle")
    assert job["status"] == "failed" and "the page took too long" in job["errors"][0]["reason"], job
    monkeypatch.setattr(import_service, "MAX_RUN_SECONDS", 0)
    site.hits.clear()
    job = await start_import(client, tenant.headers, url=site.base_url + "/sitemap.xml")
    assert job["pages_fetched"] == 0 and "stopped after" in job["errors"][-1]["reason"], job
    assert set(site.hits) <= {"/robots.txt", "/sitemap.xml"}  # no page after the deadline


# --- files -----------------------------------------------------------------------------------------


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a real text layer (Helvetica), built by hand."""
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    content = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({line}) Tj T*" for line in escaped) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def scanned_pdf() -> bytes:
    """Pages without a text layer, as a scanner makes them (here: blank pages)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_file() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Repairs", level=1)
    document.add_paragraph("A puncture repair costs 12 euros and takes about thirty minutes.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Service", "Price"
    table.cell(1, 0).text, table.cell(1, 1).text = "Brake tune-up", "25 euros"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, prefix: str = "/api/v1"
) -> httpx.Response:
    return await client.post(f"{prefix}/knowledge/files", headers=headers, files={"file": (name, data)})


async def test_files_become_documents(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    h = tenant.headers
    pdf = text_pdf(["Price list", "A city bike rents for 15 euros a day (helmet included)."])
    r = await upload(client, h, "prices.pdf", pdf)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "file" and r.json()["status"] == "done" and len(r.json()["document_ids"]) == 1
    r = await upload(client, h, "repairs.docx", docx_file())
    assert r.status_code == 201, r.text
    csv = "Question;Answer\nDo you deliver?;Yes, within 10 km of the shop, for 5 euros.\nCan I pay by card?;Yes, every card.\n"
    r = await upload(
        client, h, "loose.csv", b"question,answer\nDo you rent tandems?,Yes, two, 40 euros a day.\n"
    )
    assert r.status_code == 201, r.text
    r = await upload(client, h, "faq.csv", csv.encode())
    assert r.status_code == 201, r.text
    r = await upload(client, h, "notes.md", b"# Rentals\n\nChild seats are available for 3 euros a day.\n")
    assert r.status_code == 201, r.text
    about = html_page(
        "About us",
        [
            "We repair vintage frames too, by appointment, every Tuesday and Thursday afternoon.",
            "Bring the bike in and we give you a quote before any work starts.",
        ],
    )
    r = await upload(client, h, "about.html", about.encode())
    assert r.status_code == 201, r.text
    docs = await documents(client, h)
    assert "15 euros a day" in docs["prices.pdf"]["content"]
    assert (
        "# Repairs" in docs["repairs.docx"]["content"]
        and "| Brake tune-up | 25 euros |" in docs["repairs.docx"]["content"]
    )
    assert docs["faq.csv"]["content"].startswith("Q: Do you deliver?\nA: Yes, within 10 km")
    assert docs["faq.csv"]["chunks"] == 2
    assert docs["loose.csv"]["content"] == "Q: Do you rent tandems?\nA: Yes, two, 40 euros a day."
    assert "Child seats" in docs["notes.md"]["content"]
    assert "vintage frames" in docs["about.html"]["content"] and NAV not in docs["about.html"]["content"]
    imports = (await client.get("/api/v1/knowledge/imports", headers=h)).json()
    assert imports["total"] == 6 and all(i["documents"] == 1 for i in imports["items"])
    r = await client.post("/api/v1/chat", headers=h, json={"session_id": "v", "message": "Do you deliver?"})
    assert "10 km" in r.json()["reply"], r.json()


async def test_bad_files_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    h = tenant.headers
    cases = [
        (
            "broken.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer <<>>\n%%EOF",
            422,
            "not a readable PDF",
        ),
        ("fake.pdf", b"MZ\x90\x00 this is a program", 422, "not a PDF"),
        ("scan.pdf", scanned_pdf(), 422, "no text found (scanned PDF?"),
        ("broken.docx", b"PK\x03\x04 not really a zip", 422, "not a readable DOCX"),
        ("program.exe", b"MZ\x90\x00", 415, "not supported"),
        ("half.csv", b"question,answer\nDo you deliver?,\n", 422, "row 2"),
        ("empty.txt", b"", 422, "empty"),
    ]
    for name, data, status, words in cases:
        r = await upload(client, h, name, data)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert words in r.json()["detail"], (name, r.json())
        assert r.headers["content-type"].startswith("application/problem+json")
    # 50 MB: refused by size, before anything reads it
    r = await upload(client, h, "huge.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024))
    assert r.status_code == 413, r.text
    assert (await client.get("/api/v1/knowledge", headers=h)).json()["total"] == 0
    assert (await client.get("/api/v1/knowledge/imports", headers=h)).json()["total"] == 0
    # the app's 1 MiB body limit still holds everywhere else
    r = await client.post(
        "/api/v1/knowledge", headers=h, json={"name": "x", "content": "y" * (2 * 1024 * 1024)}
    )
    assert r.status_code == 413


async def test_file_reading_has_its_own_bounded_pool(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    alpha = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    beta = await factories.tenant_with_key(runtime, name="Beta Bikes")
    gate, entered = threading.Event(), threading.Event()
    threads: list[str] = []
    real = file_sources.extract

    def held(name: str, data: bytes) -> file_sources.Extracted:
        threads.append(threading.current_thread().name)
        entered.set()
        gate.wait(30)
        return real(name, data)

    monkeypatch.setattr(file_sources, "extract", held)
    monkeypatch.setattr(file_sources, "MAX_EXTRACTING", 1)
    monkeypatch.setattr(file_sources, "EXTRACT_WAIT", 0.0)
    first = asyncio.create_task(upload(client, alpha.headers, "notes.md", b"# Hours\n\nNine to five.\n"))
    try:
        await asyncio.to_thread(entered.wait, 30)
        r = await upload(client, alpha.headers, "more.md", b"# More\n\nText.\n")  # same tenant
        assert r.status_code == 429 and r.headers["retry-after"] and "still being read" in r.json()["detail"]
        r = await upload(client, beta.headers, "other.md", b"# Other\n\nText.\n")  # the process is full
        assert r.status_code == 503 and r.headers["retry-after"], r.text
    finally:
        gate.set()
    r = await first
    assert r.status_code == 201, r.text
    assert threads and all(name.startswith("extract") for name in threads)  # not the shared pool
    # a file that takes too long: 422, and its slot is held until the thread ends
    gate.clear()
    entered.clear()
    monkeypatch.setattr(file_sources, "EXTRACT_TIMEOUT", 0.2)
    try:
        r = await upload(client, beta.headers, "stuck.md", b"# Stuck\n\nText.\n")
        assert r.status_code == 422 and "took too long to read" in r.json()["detail"], r.text
        r = await upload(client, alpha.headers, "next.md", b"# Next\n\nText.\n")
        assert r.status_code == 503, r.text
    finally:
        gate.set()
    for _ in range(200):  # the thread ends, the slot is free again
        if not file_sources._running:
            break
        await asyncio.sleep(0.05)
    monkeypatch.setattr(file_sources, "EXTRACT_TIMEOUT", 60.0)
    r = await upload(client, alpha.headers, "next.md", b"# Next\n\nText.\n")
    assert r.status_code == 201, r.text
    assert (await client.get("/api/v1/knowledge", headers=beta.headers)).json()["total"] == 0


async def test_dashboard_users_import_through_the_customer_api(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Alpha Owner")
    r = await upload(
        client, owner.headers, "faq.csv", b"question,answer\nOpen on Sunday?,No.\n", prefix="/api/v1/customer"
    )
    assert r.status_code == 201, r.text
    listed = (await client.get("/api/v1/customer/knowledge/imports", headers=owner.headers)).json()
    assert [i["source"] for i in listed["items"]] == ["faq.csv"]
    viewer = await factories.join(client, runtime, owner, "viewer")
    assert (await client.get("/api/v1/customer/knowledge/imports", headers=viewer.headers)).status_code == 200
    r = await upload(client, viewer.headers, "faq.csv", b"question,answer\nq,a\n", prefix="/api/v1/customer")
    assert r.status_code == 403
