"""Knowledge imports: a tenant's website crawled into documents (one per page, re-synced on
demand and on a schedule) and files turned into documents, with progress a person can watch.

The API side (``create_website_import``, ``sync_now``, ``store_file`` …) takes the caller's
session and never commits; the crawl runs in a job (``run_import``, declared in
``knowledge/tasks.py``) after the commit. The job fetches with no transaction open and writes
each page in its own short transaction through ``knowledge.service`` (so every hook on document
writes applies), together with the import's progress counters. A failing page is recorded in ``errors`` and the crawl goes on; a site that
cannot be reached at all ends the import as ``failed`` with the reason. Imports of different
tenants run side by side: there is no global lock, and one import fetches one page at a time.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Literal

import structlog
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.billing import service as billing
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.jobs.enqueue import enqueue_after_commit
from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import Conflict, FrontdeskError, NotFound, Unprocessable
from frontdesk.kit.outbound import BlockedURL, OutboundPolicy, guarded_client
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.schemas import InputModel
from frontdesk.kit.time import utcnow
from frontdesk.knowledge import service as documents
from frontdesk.knowledge.schemas import DocumentCreate, DocumentUpdate, FaqPair
from frontdesk.knowledge.sources import website
from frontdesk.knowledge.sources.files import Extracted
from frontdesk.models import KnowledgeBase, KnowledgeImport

log = structlog.get_logger()

MAX_ERRORS = 100  # errors kept per import run (the counters keep counting)
MAX_IMPORTS = 100  # imports a tenant keeps
MAX_ACTIVE = 3  # imports of one tenant queued or running at once
MAX_RESYNC_HOURS = 24 * 90
MIN_RESYNC_HOURS = 24  # a scheduled re-sync at most once a day
STALE_RUN = timedelta(hours=2)  # a run that started this long ago and never finished is over
MAX_RUN_SECONDS = 90 * 60  # a run stops itself before that (the pages read so far are kept)
LOST_JOB = timedelta(minutes=10)  # queued this long and not started: the job was lost, send again
PAGE_TIMEOUT = 15.0
DUE_BATCH = 100

Status = Literal["queued", "running", "done", "failed"]


class ImportCreate(InputModel):
    url: str = Field(min_length=1, max_length=2000, description="The site's start page or its sitemap.xml")
    max_pages: int | None = Field(
        default=None, ge=1, le=100_000, description="At most this many pages (default and cap: the plan's)"
    )
    resync_hours: int | None = Field(
        default=None,
        ge=MIN_RESYNC_HOURS,
        le=MAX_RESYNC_HOURS,
        description=f"Re-sync every this many hours, {MIN_RESYNC_HOURS} to {MAX_RESYNC_HOURS} (none: on demand)",
    )


class ImportIssue(BaseModel):
    item: str = Field(description="The page's URL or the file's name")
    reason: str


class ImportOut(BaseModel):
    id: uuid.UUID
    kind: Literal["website", "file"]
    source: str
    status: Status
    pages_found: int
    pages_fetched: int
    pages_indexed: int
    pages_unchanged: int
    pages_failed: int
    errors: list[ImportIssue]
    max_pages: int
    resync_hours: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    next_sync_at: datetime | None
    documents: int = Field(default=0, description="Documents this import keeps up to date")

    @classmethod
    def of(cls, row: KnowledgeImport, documents: int = 0) -> ImportOut:
        return ImportOut(
            id=row.id,
            kind=row.kind,
            source=row.source,
            status=row.status,
            pages_found=row.pages_found,
            pages_fetched=row.pages_fetched,
            pages_indexed=row.pages_indexed,
            pages_unchanged=row.pages_unchanged,
            pages_failed=row.pages_failed,
            errors=[
                ImportIssue(item=e.get("item", ""), reason=e.get("reason", "")) for e in row.errors or []
            ],
            max_pages=row.max_pages,
            resync_hours=row.resync_hours,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            next_sync_at=row.next_sync_at,
            documents=documents,
        )


class FileImportOut(ImportOut):
    document_ids: list[uuid.UUID]


# --- API side (caller's session, no commit) --------------------------------------------------------


async def create_website_import(
    session: AsyncSession, policy: OutboundPolicy, data: ImportCreate
) -> KnowledgeImport:
    url = website.normalize(data.url)
    if len(url) > website.MAX_URL_CHARS:
        raise Unprocessable(f"url: at most {website.MAX_URL_CHARS} characters")
    try:
        policy.check_url(url)
    except BlockedURL as blocked:
        raise Unprocessable(f"url: {blocked}") from None
    plan = await billing.tenant_plan(session)
    if data.max_pages is not None and data.max_pages > plan.max_import_pages:
        raise Unprocessable(
            f"max_pages: the {plan.title} plan imports at most {plan.max_import_pages} pages per site."
        )
    if int(await session.scalar(select(func.count()).select_from(KnowledgeImport)) or 0) >= MAX_IMPORTS:
        raise Conflict(f"A workspace keeps at most {MAX_IMPORTS} imports; delete one first.")
    await _check_active(session)
    row = KnowledgeImport(
        kind="website",
        source=url,
        status="queued",
        queued_at=utcnow(),
        max_pages=data.max_pages or plan.max_import_pages,
        resync_hours=data.resync_hours,
        errors=[],
    )
    session.add(row)
    await session.flush()
    _enqueue_after_commit(session, row)
    return row


async def list_imports(session: AsyncSession, params: PageParams) -> tuple[list[KnowledgeImport], int]:
    return await paginate(
        session,
        select(KnowledgeImport).order_by(KnowledgeImport.created_at.desc(), KnowledgeImport.id),
        params,
    )


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> KnowledgeImport:
    row = await session.get(KnowledgeImport, import_id)
    if row is None:
        raise NotFound("No such import.")
    return row


async def document_counts(session: AsyncSession, import_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not import_ids:
        return {}
    rows = await session.execute(
        select(KnowledgeBase.import_id, func.count())
        .where(KnowledgeBase.import_id.in_(import_ids))
        .group_by(KnowledgeBase.import_id)
    )
    return {import_id: int(count) for import_id, count in rows.all() if import_id is not None}


async def sync_now(session: AsyncSession, import_id: uuid.UUID) -> KnowledgeImport:
    """Queue a re-sync of a website import (a no-op while one is queued or running)."""
    row = await get_import(session, import_id)
    if row.kind != "website":
        raise Conflict("Only website imports re-sync; upload the file again instead.")
    if row.status in ("queued", "running") and not _stale(row) and not _lost(row):
        return row
    if row.status in ("done", "failed"):
        await _check_active(session)
    row.status, row.queued_at = "queued", utcnow()
    await session.flush()
    _enqueue_after_commit(session, row)
    return row


async def delete_import(
    session: AsyncSession, cache: Cache, import_id: uuid.UUID, *, delete_documents: bool
) -> int:
    """Remove the import; its documents too when asked (else they stay, no longer synced).
    Returns the number of documents deleted."""
    row = await get_import(session, import_id)
    deleted: list[uuid.UUID] = []
    if delete_documents:
        deleted = list(
            await session.scalars(select(KnowledgeBase.id).where(KnowledgeBase.import_id == row.id))
        )
        for document_id in deleted:
            await documents.delete_document(session, cache, document_id)
    # the documents kept lose their import through the foreign key (ON DELETE SET NULL)
    await session.delete(row)
    await session.flush()
    return len(deleted)


async def store_file(
    session: AsyncSession, cache: Cache, name: str, extracted: Extracted
) -> tuple[KnowledgeImport, list[KnowledgeBase]]:
    """Store an extracted file as document(s), all or nothing (the caller's transaction)."""
    name = " ".join(PurePath(name.replace("\\", "/")).name.split())[:200] or "upload"
    row = KnowledgeImport(
        kind="file", source=name, status="running", max_pages=1, errors=[], started_at=utcnow()
    )
    session.add(row)
    await session.flush()
    stored: list[KnowledgeBase] = []
    if extracted.faq is not None:
        pairs = [FaqPair(question=q, answer=a) for q, a in extracted.faq]
        doc = await documents.create_document(session, cache, DocumentCreate(name=name, faq=pairs))
        stored.append(doc)
    else:
        for index, part in enumerate(extracted.parts):
            title = name if len(extracted.parts) == 1 else f"{name[:185]} (part {index + 1})"
            stored.append(
                await documents.create_document(session, cache, DocumentCreate(name=title, content=part))
            )
    for doc in stored:
        doc.import_id, doc.source_url, doc.content_hash = row.id, name, _hash(doc.content)
    row.pages_found = row.pages_fetched = row.pages_indexed = len(stored)
    row.status, row.finished_at = "done", utcnow()
    await session.flush()
    return row, stored


async def _check_active(session: AsyncSession) -> None:
    active = await session.scalar(
        select(func.count()).select_from(KnowledgeImport).where(_counts_as_active())
    )
    if int(active or 0) >= MAX_ACTIVE:
        raise Conflict(f"{MAX_ACTIVE} imports are already queued or running; wait for one to finish.")


def _counts_as_active() -> ColumnElement[bool]:
    """Queued, or running and not stale: a run whose worker died never holds a tenant's slot."""
    return (KnowledgeImport.status == "queued") | (
        (KnowledgeImport.status == "running") & (KnowledgeImport.started_at >= utcnow() - STALE_RUN)
    )


def _lost(row: KnowledgeImport) -> bool:
    return row.status == "queued" and (row.queued_at is None or row.queued_at < utcnow() - LOST_JOB)


def _stale(row: KnowledgeImport) -> bool:
    return row.status == "running" and row.started_at is not None and row.started_at < utcnow() - STALE_RUN


def _enqueue_after_commit(session: AsyncSession, row: KnowledgeImport) -> None:
    enqueue_after_commit(session, "frontdesk.knowledge.run_import", str(row.tenant_id), str(row.id))


def _next_sync(row: KnowledgeImport) -> datetime | None:
    if not row.resync_hours:
        return None
    return utcnow() + timedelta(hours=max(row.resync_hours, MIN_RESYNC_HOURS))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- the job ---------------------------------------------------------------------------------------


async def run_import(
    db: Database, cache: Cache, policy: OutboundPolicy, tenant_id: uuid.UUID, import_id: uuid.UUID
) -> str:
    """Crawl a website import and write its pages; returns the final status (or "skipped")."""
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        now = utcnow()
        claimed = await session.execute(
            update(KnowledgeImport)
            .where(
                KnowledgeImport.id == import_id,
                KnowledgeImport.kind == "website",
                or_(  # a duplicate job of a finished run finds nothing to claim
                    KnowledgeImport.status == "queued",
                    (KnowledgeImport.status == "running") & (KnowledgeImport.started_at < now - STALE_RUN),
                ),
            )
            .values(
                status="running",
                started_at=now,
                finished_at=None,
                pages_found=0,
                pages_fetched=0,
                pages_indexed=0,
                pages_unchanged=0,
                pages_failed=0,
                errors=[],
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            return "skipped"  # deleted, or another run has it
        row = await session.get(KnowledgeImport, import_id)
        assert row is not None
        plan = await billing.tenant_plan(session)  # the plan may have changed since it was saved
        start, plan_pages = row.source, min(row.max_pages, plan.max_import_pages)
    status: Status = "done"
    async with guarded_client(policy, timeout=PAGE_TIMEOUT) as client:
        # the deadline is checked before each fetch, and each fetch has its own (PAGE_DEADLINE)
        deadline = time.monotonic() + MAX_RUN_SECONDS
        crawl = website.crawl(client, policy, start, max_pages=plan_pages, deadline=deadline)
        try:
            async for event in crawl.pages():
                outcome = await _record(db, cache, tenant_id, import_id, event, crawl.found)
                if outcome == "gone":
                    return "deleted"
                if outcome == "stop":
                    break
            if crawl.stopped:
                reason = f"stopped after {MAX_RUN_SECONDS // 60} minutes; the pages read are kept"
                await _progress(db, tenant_id, import_id, error=(start, reason))
        except website.SiteError as error:
            status = "failed"
            await _progress(db, tenant_id, import_id, found=crawl.found, error=(start, str(error)))
        except Exception:
            log.exception("knowledge.import_failed", import_id=str(import_id))
            status = "failed"
            await _progress(db, tenant_id, import_id, error=(start, "internal error while importing"))
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        row = await session.get(KnowledgeImport, import_id)
        if row is None:
            return "deleted"
        row.status, row.finished_at = status, utcnow()
        row.next_sync_at = _next_sync(row)
        log.info(
            "knowledge.import_finished",
            import_id=str(import_id),
            status=status,
            indexed=row.pages_indexed,
            unchanged=row.pages_unchanged,
            failed=row.pages_failed,
        )
    return status


async def _record(
    db: Database,
    cache: Cache,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    event: website.Page | website.PageError,
    found: int,
) -> str:
    """Write one crawl event (a page's document, or its error) with the progress counters."""
    if isinstance(event, website.PageError):
        return await _progress(db, tenant_id, import_id, found=found, error=(event.url, event.reason))
    if len(event.url) > website.MAX_URL_CHARS:
        reason = f"the page's address is longer than {website.MAX_URL_CHARS} characters"
        return await _progress(db, tenant_id, import_id, found=found, fetched=True, error=(event.url, reason))
    try:
        async with unit_of_work(db, tenant_id=tenant_id) as session:
            row = await session.get(KnowledgeImport, import_id)
            if row is None:
                return "gone"
            result = await _store_page(session, cache, row, event)
            row.pages_found = max(row.pages_found, found)
            row.pages_fetched += 1
            if result == "unchanged":
                row.pages_unchanged += 1
            else:
                row.pages_indexed += 1
        return "ok"
    except ValidationError as error:  # a page the document schema refuses: that page only
        reason = f"cannot be stored: {error.errors()[0].get('msg', 'invalid')}"
        return await _progress(db, tenant_id, import_id, found=found, fetched=True, error=(event.url, reason))
    except FrontdeskError as error:  # a plan or size limit: recorded; a full knowledge base ends the crawl
        limit = error.status in (402, 413)
        outcome = await _progress(
            db, tenant_id, import_id, found=found, fetched=True, error=(event.url, error.detail)
        )
        return "stop" if limit and outcome == "ok" else outcome


async def _store_page(session: AsyncSession, cache: Cache, row: KnowledgeImport, page: website.Page) -> str:
    content = page.text if page.text.lstrip().startswith("#") else f"# {page.title}\n\n{page.text}"
    digest = _hash(content)
    # one document per page: this import's, or another import's of the same URL (taken over)
    existing = await session.scalar(
        select(KnowledgeBase)
        .where(KnowledgeBase.source_url == page.url, KnowledgeBase.content_hash.is_not(None))
        .order_by((KnowledgeBase.import_id == row.id).desc(), KnowledgeBase.updated_at.desc())
        .limit(1)
    )
    if existing is not None:
        existing.import_id = row.id
        if existing.content_hash == digest:
            return "unchanged"
        doc = await documents.update_document(
            session, cache, existing.id, DocumentUpdate(name=page.title or None, content=content)
        )
    else:
        doc = await documents.create_document(
            session, cache, DocumentCreate(name=page.title or page.url[:200], content=content)
        )
        doc.import_id, doc.source_url = row.id, page.url
    doc.content_hash = digest
    await session.flush()
    return "indexed"


async def _progress(
    db: Database,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    *,
    found: int = 0,
    fetched: bool = False,
    error: tuple[str, str] | None = None,
) -> str:
    async with unit_of_work(db, tenant_id=tenant_id) as session:
        row = await session.get(KnowledgeImport, import_id)
        if row is None:
            return "gone"
        row.pages_found = max(row.pages_found, found)
        if fetched:
            row.pages_fetched += 1
        if error is not None:
            row.pages_failed += 1
            if len(row.errors or []) < MAX_ERRORS:
                row.errors = [*(row.errors or []), {"item": error[0][:2000], "reason": error[1][:500]}]
    return "ok"


async def due_imports(db: Database) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Website imports whose scheduled re-sync is due, or whose job was lost, marked queued;
    (tenant_id, import_id). A tenant gets at most ``MAX_ACTIVE`` imports queued or running: a
    due re-sync beyond that waits for a later sweep (a lost job is already counted, so it is
    always sent again)."""
    now = utcnow()
    async with unit_of_work(db, admin=("system:jobs", "due knowledge imports")) as session:
        rows = (
            await session.scalars(
                select(KnowledgeImport)
                .where(
                    KnowledgeImport.kind == "website",
                    or_(
                        (KnowledgeImport.next_sync_at <= now)
                        & KnowledgeImport.status.in_(("done", "failed", "queued")),
                        # asked for, never started: the job was lost (a restart of the in-process queue)
                        (KnowledgeImport.status == "queued") & (KnowledgeImport.queued_at < now - LOST_JOB),
                    ),
                )
                .order_by(KnowledgeImport.queued_at)
                .limit(DUE_BATCH)
            )
        ).all()
        tenants = {row.tenant_id for row in rows}
        active: dict[uuid.UUID, int] = {}
        if tenants:
            counted = await session.execute(
                select(KnowledgeImport.tenant_id, func.count())
                .where(
                    KnowledgeImport.tenant_id.in_(tenants),
                    _counts_as_active(),
                )
                .group_by(KnowledgeImport.tenant_id)
            )
            active = {tenant_id: int(count) for tenant_id, count in counted.all()}
        due: list[tuple[uuid.UUID, uuid.UUID]] = []
        for row in rows:
            if row.status != "queued":  # a new run for this tenant: only within its limit
                if active.get(row.tenant_id, 0) >= MAX_ACTIVE:
                    row.next_sync_at = now + LOST_JOB  # postponed: off the next sweeps for a while
                    continue
                active[row.tenant_id] = active.get(row.tenant_id, 0) + 1
            row.status, row.queued_at = "queued", now
            if row.resync_hours:  # the run sets the next one; this only keeps the row off the next sweep
                row.next_sync_at = _next_sync(row)
            due.append((row.tenant_id, row.id))
    return due
