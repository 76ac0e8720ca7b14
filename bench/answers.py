"""Answer-quality benchmark: does the answering fact reach the LLM, and does the offline bot say it?

    PYTHONPATH=src .venv/bin/python bench/answers.py [--split dev|heldout|all] [--json]
        [--business NAME ...] [--limit N] [--configs offline,llm] [--show-misses]

Runs the real product in-process (the app with its lifespan, on a fresh SQLite database with the
migrations applied), once per configuration:

- ``offline``: no LLM key; the offline responder answers from the retrieved knowledge;
- ``llm``: the deployment LLM pointed at the fake OpenAI server (``tests/fakes/openai_server.py``),
  which records every request: the system prompt it received holds the knowledge that reached it.

For every business in ``bench/data/answers/<business>/`` it creates a tenant (secret key), uploads
``faq.md`` (as FAQ pairs) and ``catalogue.md`` (as content) through ``POST /api/v1/knowledge``,
waits until the documents are indexed (when the document API reports it), and asks every question
through ``POST /api/v1/chat`` with a fresh ``session_id``.

Metrics, per configuration, split (dev, heldout, all) and kind:
- context recall (llm): share of questions whose every required fact is in the knowledge block of
  the system prompt the LLM received;
- offline answer rate (offline): share of questions whose offline reply states every required fact;
- knowledge per turn (llm): mean characters of that knowledge block, and tokens ≈ chars / 4;
- retrieval latency: the tenant's retriever alone (``KnowledgeRetriever``), p50/p99 after warm-up.

A fact is a list of acceptable spellings; it is present when one of them occurs in the text after
case and accent folding and whitespace collapse. Thresholds (issue 13) are printed as PASS/FAIL
lines; the exit status is non-zero only on errors. ``bench/data/answers/README.md`` describes
the data set and the rule: tune on dev, report heldout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib.util
import inspect
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes
if importlib.util.find_spec("frontdesk") is None:  # PYTHONPATH=src not set: this checkout's
    sys.path.insert(0, str(ROOT / "src"))

from frontdesk.app import create_app  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.db import migrate  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402

DATA = ROOT / "bench" / "data" / "answers"
ADMIN_TOKEN = "bench-admin-token-" + "x" * 24
SECRET_KEY = "b" * 40
ENCRYPTION_KEY = base64.urlsafe_b64encode(b"bench-encryption-key-32-bytes!!!").decode()  # stored secrets
CONFIGS = ("offline", "llm")
SPLITS = ("dev", "heldout", "all")
KINDS = ("paraphrase", "typo", "fragment", "compound", "crosslingual", "direct")
CHARS_PER_TOKEN = 4
INDEX_WAIT_SECONDS = 180.0
THRESHOLDS = {"context_recall": 0.95, "offline_answer_rate": 0.85, "knowledge_tokens": 1500}
_FAQ_PAIR = re.compile(r"^Q:\s*(.+?)\s*\nA:\s*(.+?)\s*$", re.DOTALL)


# -- data ------------------------------------------------------------------------------------


@dataclass
class Question:
    id: str
    question: str
    facts: list[list[str]]
    split: str
    lang: str
    kind: str
    business: str
    translation: str | None = None  # crosslingual: the question in the knowledge's language


@dataclass
class Business:
    name: str
    faq: list[dict[str, str]]
    catalogue: str
    questions: list[Question]

    @property
    def display_name(self) -> str:
        """The business's name: the catalogue's title up to a dash ("Riverside Cycle Works")."""
        title = next((line[2:] for line in self.catalogue.splitlines() if line.startswith("# ")), self.name)
        return re.split(r"\s+[—–-]\s+", title, maxsplit=1)[0].strip()

    @property
    def knowledge(self) -> str:
        pairs = "\n\n".join(f"Q: {p['question']}\nA: {p['answer']}" for p in self.faq)
        return pairs + "\n\n" + self.catalogue


def parse_faq(text: str) -> list[dict[str, str]]:
    """``Q: …`` / ``A: …`` blocks separated by blank lines."""
    pairs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        match = _FAQ_PAIR.match(block.strip())
        if not match:
            raise ValueError(f"not a Q:/A: pair: {block[:80]!r}")
        pairs.append({"question": match.group(1), "answer": " ".join(match.group(2).split())})
    return pairs


def load(data: Path = DATA, businesses: Iterable[str] = ()) -> list[Business]:
    wanted = set(businesses)
    out = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if wanted and folder.name not in wanted:
            continue
        questions = [
            Question(**json.loads(line), business=folder.name)
            for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()
            if line.strip()
        ]
        out.append(
            Business(
                folder.name,
                parse_faq((folder / "faq.md").read_text("utf-8")),
                (folder / "catalogue.md").read_text("utf-8"),
                questions,
            )
        )
    if wanted - {b.name for b in out}:
        raise SystemExit(f"unknown business: {', '.join(sorted(wanted - {b.name for b in out}))}")
    return out


def fold(text: str) -> str:
    """Case and accent folding, curly apostrophes straightened, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def has_facts(text: str, facts: list[list[str]]) -> bool:
    folded = fold(text)
    return all(any(fold(alt) in folded for alt in alternatives) for alternatives in facts)


def check_data(businesses: list[Business]) -> list[str]:
    """Problems with the data set: a fact no spelling of which is in the business's knowledge."""
    problems = []
    seen: set[str] = set()
    for business in businesses:
        knowledge = fold(business.knowledge)
        for q in business.questions:
            if q.id in seen:
                problems.append(f"{q.id}: duplicate id")
            seen.add(q.id)
            if q.split not in ("dev", "heldout") or q.kind not in KINDS or not q.facts:
                problems.append(f"{q.id}: bad split, kind or facts")
            for alternatives in q.facts:
                if not any(fold(alt) in knowledge for alt in alternatives):
                    problems.append(f"{q.id}: fact {alternatives} not in {business.name}'s knowledge")
    return problems


# -- the product -----------------------------------------------------------------------------


def bench_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "admin_token": ADMIN_TOKEN,
        "secret_key": SECRET_KEY,
        "encryption_keys": SecretStr(ENCRYPTION_KEY),
        "var_dir": var_dir,
        "log_level": "WARNING",
        "gc_freeze": False,
        "auth_per_minute": 100_000,
        "crisp_api_url": "http://127.0.0.1:9",  # nothing listens: the background sweep fails fast
        "openai_api_key": None,
        "openai_base_url": None,
        "redis_url": None,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def running_app(**overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The real app on a fresh migrated SQLite database, its lifespan running, and a client."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        app = create_app(bench_settings(url, Path(tmp), **overrides))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client,
        ):
            yield app, client


@dataclass
class Tenant:
    id: uuid.UUID
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def create_tenant(client: httpx.AsyncClient, name: str) -> Tenant:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    r = await client.post(
        "/api/v1/admin/tenants",
        headers=admin,
        json={"name": name, "email": f"owner@{uuid.uuid4().hex[:10]}.example.com", "plan": "enterprise"},
    )
    r.raise_for_status()
    tenant_id = r.json()["id"]
    r = await client.post(f"/api/v1/admin/tenants/{tenant_id}/api-keys", headers=admin, json={})
    r.raise_for_status()
    return Tenant(uuid.UUID(tenant_id), r.json()["key"])


async def upload(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    r = await client.post("/api/v1/knowledge", headers=tenant.headers, json=body)
    if r.status_code != 201:
        raise RuntimeError(f"upload of {body.get('name')!r} failed: {r.status_code} {r.text[:300]}")
    return str(r.json()["id"])


def indexing_done(doc: dict[str, Any]) -> bool:
    """Whether the document API says the document is fully indexed. Written against fields that
    may or may not exist: ``indexing`` (a status string or a flag), ``embedded_chunks`` vs
    ``chunks``. A document that reports none of them is taken as ready."""
    status = doc.get("indexing")
    if isinstance(status, dict):
        status = status.get("status", status.get("state"))
    if isinstance(status, bool):
        return not status
    if isinstance(status, str) and status.lower() not in (
        "",
        "ready",
        "done",
        "indexed",
        "complete",
        "completed",
    ):
        if status.lower() in ("failed", "error"):
            raise RuntimeError(f"indexing of {doc.get('name')!r} failed: {doc.get('indexing')}")
        return False
    embedded, chunks = doc.get("embedded_chunks"), doc.get("chunks")
    if isinstance(embedded, int) and isinstance(chunks, int):
        return embedded >= chunks
    return True


async def wait_indexed(client: httpx.AsyncClient, tenant: Tenant, doc_ids: list[str]) -> float:
    """Poll each document until it reports indexed; the seconds waited."""
    started = time.perf_counter()
    deadline = time.monotonic() + INDEX_WAIT_SECONDS
    pending = list(doc_ids)
    while pending:
        r = await client.get(f"/api/v1/knowledge/{pending[0]}", headers=tenant.headers)
        r.raise_for_status()
        if indexing_done(r.json()):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise RuntimeError(f"document {pending[0]} not indexed after {INDEX_WAIT_SECONDS:.0f} s")
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def provision(client: httpx.AsyncClient, business: Business) -> tuple[Tenant, float]:
    tenant = await create_tenant(client, business.display_name)
    ids = [
        await upload(client, tenant, {"name": "FAQ", "faq": business.faq}),
        await upload(client, tenant, {"name": "Catalogue", "content": business.catalogue}),
    ]
    return tenant, await wait_indexed(client, tenant, ids)


async def ask(client: httpx.AsyncClient, tenant: Tenant, message: str) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/chat",
        headers=tenant.headers,
        json={"session_id": f"bench-{uuid.uuid4().hex}", "message": message},
    )
    if r.status_code != 200:
        raise RuntimeError(f"chat failed: {r.status_code} {r.text[:300]}")
    return dict(r.json())


def knowledge_block(system_prompt: str) -> str:
    """The knowledge part of a system prompt (``llm/prompts.py``: between ``<<<`` and ``>>>``)."""
    start = system_prompt.find("<<<")
    end = system_prompt.rfind(">>>")
    if start < 0 or end <= start:
        return system_prompt
    block = system_prompt[start + 3 : end].strip()
    return "" if block == "(no knowledge available)" else block


# -- retrieval latency -----------------------------------------------------------------------


Search = Callable[[uuid.UUID, str], Awaitable[Any]]


def semantic_of(app: Any) -> Any:
    """The semantic source the chat engine uses, if any (a ``VectorSearch``): the engine's own
    when it holds one, else a new one over the same settings, else None (no vector search yet)."""
    chat = app.state.runtime.chat
    for name in ("vectors", "semantic", "vector_search", "vector"):
        source = getattr(chat, name, None)
        if source is not None and hasattr(source, "search"):
            return source
    try:
        from frontdesk.knowledge.vectors import VectorSearch  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return VectorSearch(app.state.runtime.settings)


def make_search(app: Any) -> tuple[Search, str]:
    """The retrieval the chat path does, as ``search(tenant_id, query)``, and what it is.

    Resolved once (not per call, so the timing holds no introspection): the engine's
    ``KnowledgeRetriever``, through ``retrieve(...)`` (with the semantic source when the method
    takes one) or else ``search(...)``."""
    runtime = app.state.runtime
    retriever = getattr(runtime.chat, "retriever", None)
    if retriever is None:
        from frontdesk.knowledge.retrieval import KnowledgeRetriever

        retriever = KnowledgeRetriever()
    db, cache = runtime.db, runtime.cache
    retrieve = getattr(retriever, "retrieve", None)
    if retrieve is not None:
        semantic = semantic_of(app) if "semantic" in inspect.signature(retrieve).parameters else None
        if semantic is not None:

            async def hybrid(tenant_id: uuid.UUID, query: str) -> Any:
                return await retrieve(db, cache, tenant_id, query, semantic=semantic)

            return hybrid, "retrieve (lexical + semantic)"

        async def lexical(tenant_id: uuid.UUID, query: str) -> Any:
            return await retrieve(db, cache, tenant_id, query)

        return lexical, "retrieve (lexical)"

    async def plain(tenant_id: uuid.UUID, query: str) -> Any:
        return await retriever.search(db, cache, tenant_id, query)

    return plain, "search (lexical)"


async def time_retrieval(
    app: Any, work: list[tuple[uuid.UUID, str]], rounds: int = 3
) -> tuple[list[float], str]:
    """Milliseconds per retrieval over ``work`` (tenant, query), after one unmeasured pass."""
    search, label = make_search(app)
    for tenant_id, query in work:  # warm-up: indexes built, caches filled, the embedder loaded
        await search(tenant_id, query)
    times = []
    for _ in range(rounds):
        for tenant_id, query in work:
            started = time.perf_counter()
            await search(tenant_id, query)
            times.append((time.perf_counter() - started) * 1000)
    return times, label


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    question: Question
    config: str
    hit: bool
    knowledge_chars: int | None = None  # llm: the knowledge block's length
    reply: str = ""
    intent: str = ""
    note: str = ""  # why nothing reached the LLM (handoff, cached, …)


@dataclass
class ConfigRun:
    config: str
    outcomes: list[Outcome] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    chat_ms: list[float] = field(default_factory=list)
    index_wait_s: float = 0.0
    retrieval: str = ""  # what was timed: make_search's label


def fake_reply(translations: dict[str, str]) -> Callable[[dict[str, Any]], str]:
    """The fake LLM's replies. The answer call (its system prompt holds the knowledge) is echoed;
    any other call — the query rewrite before retrieval — gets the data set's reference
    translation of a cross-language question, and any other question back unchanged, so the
    rewrite neither helps nor hurts where a real LLM would have nothing to translate."""

    def reply(body: dict[str, Any]) -> str:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")
        user = next((str(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
        if "<<<" in system:
            return "FAKE-LLM: " + user
        return translations.get(user.strip(), user)

    return reply


async def run_config(
    config: str, businesses: list[Business], *, latency_rounds: int, translate: bool = True
) -> ConfigRun:
    run = ConfigRun(config)
    translations = {
        q.question.strip(): q.translation
        for b in businesses
        for q in b.questions
        if q.translation and translate
    }
    fake = FakeOpenAI(keep_requests=50, reply=fake_reply(translations)) if config == "llm" else None
    overrides: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if fake is not None:
            stack.enter_context(fake)
            overrides = {
                "openai_api_key": SecretStr("sk-bench"),
                "openai_base_url": fake.base_url,
                "llm_max_retries": 0,
            }
        async with running_app(**overrides) as (app, client):
            work: list[tuple[uuid.UUID, str]] = []
            for business in businesses:
                tenant, waited = await provision(client, business)
                run.index_wait_s += waited
                for q in business.questions:
                    work.append((tenant.id, q.question))
                    if fake is not None:
                        fake.reset()
                    started = time.perf_counter()
                    body = await ask(client, tenant, q.question)
                    run.chat_ms.append((time.perf_counter() - started) * 1000)
                    run.outcomes.append(judge(config, q, body, fake))
            run.latencies_ms, run.retrieval = await time_retrieval(app, work, rounds=latency_rounds)
    return run


def judge(config: str, q: Question, body: dict[str, Any], fake: FakeOpenAI | None) -> Outcome:
    reply = str(body.get("reply") or "")
    intent = str(body.get("intent") or "")
    if fake is None:
        return Outcome(q, config, has_facts(reply, q.facts), reply=reply, intent=intent)
    prompts = [
        next((m.get("content") for m in r.body.get("messages", []) if m.get("role") == "system"), None)
        for r in fake.chat_requests
        if isinstance(r.body, dict)
    ]
    prompts = [p for p in prompts if isinstance(p, str) and "<<<" in p]
    if not prompts:
        note = "handoff" if body.get("handoff") else "no LLM request"
        return Outcome(q, config, False, knowledge_chars=0, reply=reply, intent=intent, note=note)
    knowledge = knowledge_block(prompts[-1])
    return Outcome(
        q, config, has_facts(knowledge, q.facts), knowledge_chars=len(knowledge), reply=reply, intent=intent
    )


# -- the report ------------------------------------------------------------------------------


def rate(outcomes: list[Outcome]) -> float | None:
    return sum(o.hit for o in outcomes) / len(outcomes) if outcomes else None


def summarize(runs: dict[str, ConfigRun]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for config, run in runs.items():
        metric = "context_recall" if config == "llm" else "offline_answer_rate"
        per_split: dict[str, Any] = {}
        for split in SPLITS:
            chosen = [o for o in run.outcomes if split == "all" or o.question.split == split]
            if not chosen:
                continue
            entry: dict[str, Any] = {"questions": len(chosen), metric: rate(chosen)}
            if config == "llm":
                chars = [o.knowledge_chars or 0 for o in chosen]
                entry["knowledge_chars_mean"] = statistics.fmean(chars)
                entry["knowledge_tokens_mean"] = statistics.fmean(chars) / CHARS_PER_TOKEN
                entry["knowledge_chars_max"] = max(chars)
            by_kind = defaultdict(list)
            for o in chosen:
                by_kind[o.question.kind].append(o)
            entry["by_kind"] = {k: {"questions": len(v), metric: rate(v)} for k, v in sorted(by_kind.items())}
            by_business = defaultdict(list)
            for o in chosen:
                by_business[o.question.business].append(o)
            entry["by_business"] = {
                k: {"questions": len(v), metric: rate(v)} for k, v in sorted(by_business.items())
            }
            per_split[split] = entry
        report[config] = {
            "metric": metric,
            "splits": per_split,
            "retrieval_ms": {
                "p50": pct(run.latencies_ms, 0.50),
                "p99": pct(run.latencies_ms, 0.99),
                "samples": len(run.latencies_ms),
                "timed": run.retrieval,
            },
            "chat_turn_ms": {"p50": pct(run.chat_ms, 0.50), "p99": pct(run.chat_ms, 0.99)},
            "index_wait_s": round(run.index_wait_s, 2),
            "per_question": {o.question.id: o.hit for o in run.outcomes},
            "misses": [
                {
                    "id": o.question.id,
                    "split": o.question.split,
                    "kind": o.question.kind,
                    "question": o.question.question,
                    "facts": o.question.facts,
                    "intent": o.intent,
                    **({"note": o.note} if o.note else {}),
                    **({"reply": o.reply[:300]} if config == "offline" else {}),
                }
                for o in run.outcomes
                if not o.hit
            ],
        }
    return report


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def verdicts(report: dict[str, Any], split: str) -> list[str]:
    lines = []
    llm = report.get("llm", {}).get("splits", {}).get(split)
    offline = report.get("offline", {}).get("splits", {}).get(split)
    if llm:
        recall, tokens = llm["context_recall"], llm["knowledge_tokens_mean"]
        ok = recall >= THRESHOLDS["context_recall"]
        lines.append(f"{'PASS' if ok else 'FAIL'} context recall {percent(recall)} ≥ 95 % ({split})")
        ok = tokens <= THRESHOLDS["knowledge_tokens"]
        lines.append(f"{'PASS' if ok else 'FAIL'} knowledge per turn {tokens:.0f} tokens ≤ 1,500 ({split})")
    if offline:
        answered = offline["offline_answer_rate"]
        ok = answered >= THRESHOLDS["offline_answer_rate"]
        lines.append(f"{'PASS' if ok else 'FAIL'} offline answer rate {percent(answered)} ≥ 85 % ({split})")
    return lines


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Questions whose outcome changed since ``baseline`` (an earlier ``--json`` report; questions
    it did not run are left out)."""
    lines = []
    for config, data in report.items():
        before = baseline.get("configs", {}).get(config, {}).get("per_question", {})
        gained = sorted(q for q, hit in data["per_question"].items() if hit and before.get(q) is False)
        lost = sorted(q for q, hit in data["per_question"].items() if not hit and before.get(q) is True)
        lines.append(f"{config} vs baseline: +{len(gained)} gained {' '.join(gained) or '-'}")
        lines.append(f"{config} vs baseline: -{len(lost)} lost {' '.join(lost) or '-'}")
    return lines


def print_report(report: dict[str, Any], split: str, show_misses: bool) -> None:
    splits = [s for s in SPLITS if s == split or split == "all"]
    print(
        "| config | split | questions | context recall | offline answer rate | knowledge chars/turn "
        "(tokens) | retrieval p50 / p99 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for config, data in report.items():
        lat = data["retrieval_ms"]
        for s in splits:
            entry = data["splits"].get(s)
            if not entry:
                continue
            recall = percent(entry.get("context_recall")) if config == "llm" else "—"
            offline = percent(entry.get("offline_answer_rate")) if config == "offline" else "—"
            chars = (
                f"{entry['knowledge_chars_mean']:.0f} ({entry['knowledge_tokens_mean']:.0f})"
                if config == "llm"
                else "—"
            )
            print(
                f"| {config} | {s} | {entry['questions']} | {recall} | {offline} | {chars} | "
                f"{lat['p50']:.2f} / {lat['p99']:.2f} |"
            )
    timed = {data["retrieval_ms"]["timed"] for data in report.values()}
    print(f"\nretrieval timed: {', '.join(sorted(timed))}; after one warm-up pass\n")
    kinds = sorted({k for data in report.values() for e in data["splits"].values() for k in e["by_kind"]})
    print("By kind (" + ", ".join(splits) + "):")
    print("| config | split | " + " | ".join(kinds) + " |")
    print("|---|---|" + "---|" * len(kinds))
    for config, data in report.items():
        for s in splits:
            entry = data["splits"].get(s)
            if not entry:
                continue
            cells = []
            for kind in kinds:
                k = entry["by_kind"].get(kind)
                cells.append(f"{percent(k[data['metric']])} ({k['questions']})" if k else "—")
            print(f"| {config} | {s} | " + " | ".join(cells) + " |")
    print()
    for line in verdicts(report, split):
        print(line)
    if show_misses:
        for config, data in report.items():
            misses = [m for m in data["misses"] if split == "all" or m["split"] == split]
            print(f"\n{config}: {len(misses)} misses")
            for m in misses:
                extra = f" [{m['note']}]" if "note" in m else ""
                reply = f"\n      → {m['reply']}" if "reply" in m else ""
                print(
                    f"  {m['id']} ({m['kind']}, {m['intent']}){extra}: {m['question']!r} needs {m['facts']}{reply}"
                )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    businesses = load(DATA, args.business)
    problems = check_data(businesses)
    if problems:
        raise SystemExit("data set problems:\n  " + "\n  ".join(problems))
    for business in businesses:
        business.questions = [q for q in business.questions if args.split == "all" or q.split == args.split]
        if args.limit:
            business.questions = business.questions[: args.limit]
    runs = {}
    for config in args.configs:
        started = time.perf_counter()
        runs[config] = await run_config(
            config, businesses, latency_rounds=args.latency_rounds, translate=not args.no_translate
        )
        print(f"[{config}] done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    report = summarize(runs)
    return {
        "businesses": [b.name for b in businesses],
        "questions": sum(len(b.questions) for b in businesses),
        "split": args.split,
        "fake_llm_translates": not args.no_translate,
        "thresholds": THRESHOLDS,
        "configs": report,
        "verdicts": verdicts(report, args.split),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=SPLITS, default="all")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--business", action="append", default=[], help="only this business (repeatable)")
    parser.add_argument("--limit", type=int, default=0, help="at most N questions per business")
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        type=lambda s: [c for c in s.split(",") if c],
        help="offline,llm",
    )
    parser.add_argument("--latency-rounds", type=int, default=3, help="timed passes over the questions")
    parser.add_argument(
        "--no-translate",
        action="store_true",
        help="llm: the fake LLM returns cross-language questions untranslated from the query rewrite",
    )
    parser.add_argument(
        "--baseline", type=Path, help="an earlier --json report: list the questions that changed"
    )
    parser.add_argument("--show-misses", action="store_true", help="list the questions that missed")
    args = parser.parse_args(argv)
    if unknown := set(args.configs) - set(CONFIGS):
        parser.error(f"unknown config: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(
            f"{result['questions']} questions, {len(result['businesses'])} businesses, split {args.split}\n"
        )
        print_report(result["configs"], args.split, args.show_misses)
    if args.baseline:
        lines = compare(result["configs"], json.loads(args.baseline.read_text("utf-8")))
        print("\n" + "\n".join(lines), file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
