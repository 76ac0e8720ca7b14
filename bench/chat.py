"""Load benchmark of POST /api/v1/chat against a bare FastAPI baseline, measured in the same run.

    .venv/bin/python bench/chat.py [--tenants 120] [--concurrency 24] [--seconds 15] [--rounds 3]

Both servers run as separate processes (pinned to CPU 0; the load generator and the fake LLM
get the other CPUs) on the local PostgreSQL (as the non-superuser app role,
RLS on) and call the same fake OpenAI server (zero latency) through the official SDK.
Both stay up and are measured in interleaved rounds (which one goes first alternates), because
this machine's speed drifts within minutes; each round:
  1. closed loop: `concurrency` clients send back to back → max throughput of each;
  2. open loop at half the baseline's max of that round (a load the baseline holds) → latency
     percentiles; our p99 overhead is the difference.
Prints each round, a markdown table and the medians; also written to bench/results/chat-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.db import migrate  # noqa: E402
from frontdesk.db.tenancy import admin_scope_key  # noqa: E402
from tests.live import free_port  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
WARMUP = 400  # requests before measuring: each tenant's profile, index and quota counter get loaded
ADMIN_TOKEN = "bench-admin-token-" + "x" * 24
SECRET_KEY = "b" * 40
QUESTIONS = [
    "When are you open on {d}?",
    "How much does the {p} plan cost?",
    "Do you deliver to {c}?",
    "Can I return an item after {n} days?",
    "Do you have parking near the {c} shop?",
]


@dataclass
class Result:
    target: str
    mode: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def question() -> str:
    return (
        random.choice(QUESTIONS).format(
            d=random.choice(["Saturday", "Sunday", "Monday"]),
            p=random.choice(["Pro", "Starter"]),
            c=random.choice(["Paris", "Berlin", "Lyon", "Madrid"]),
            n=random.randint(1, 90),
        )
        + f" (ref {random.randint(1, 10**9)})"
    )


async def admin_sql(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.exec_driver_sql(sql)
    await engine.dispose()


def cpus() -> tuple[set[int], set[int]]:
    """(the server's CPUs, everyone else's): with 2+ CPUs the server under test gets CPU 0 to
    itself and the load generator and fake LLM share the rest, so neither target competes
    with the load it is measured under. PostgreSQL is not pinned (it serves both alike)."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, set(available[1:])


SERVER_CPUS, OTHER_CPUS = cpus()  # taken before this process pins itself


def start(cmd: list[str], env: dict[str, str], port: int, *, server: bool = False) -> subprocess.Popen[bytes]:
    pin = (lambda: os.sched_setaffinity(0, SERVER_CPUS)) if server and SERVER_CPUS else None
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pin,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


async def provision(base: str, tenants: int) -> list[dict[str, str]]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        for i in range(tenants):
            t = (
                await c.post(
                    "/api/v1/admin/tenants",
                    headers=admin,
                    json={"name": f"Bench Shop {i}", "email": f"b{i}@bench.test", "plan": "enterprise"},
                )
            ).json()
            key = (await c.post(f"/api/v1/admin/tenants/{t['id']}/api-keys", headers=admin, json={})).json()[
                "key"
            ]
            doc = (
                f"# Opening hours\nShop {i} opens Monday to Saturday 9:00-18:00.\n\n"
                f"# Pricing\nThe Pro plan costs {20 + i % 30} euros, Starter {5 + i % 10} euros.\n\n"
                f"# Delivery\nWe deliver to Paris, Berlin and Lyon in {1 + i % 4} days."
            )
            r = await c.post(
                "/api/v1/knowledge", headers={"X-API-Key": key}, json={"name": "FAQ", "content": doc}
            )
            r.raise_for_status()
            out.append({"id": t["id"], "key": key})
    return out


Send = Callable[[httpx.AsyncClient], Awaitable[int]]


def sender(target: str, tenants: list[dict[str, str]]) -> Send:
    async def send(client: httpx.AsyncClient) -> int:
        try:
            return await _send(client)
        except httpx.TransportError:  # counted as an error, like a 5xx
            return 599

    async def _send(client: httpx.AsyncClient) -> int:
        t = random.choice(tenants)
        session = f"v{random.randint(1, 400)}"
        if target == "frontdesk":
            r = await client.post(
                "/api/v1/chat",
                headers={"X-API-Key": t["key"]},
                json={"session_id": session, "message": question()},
            )
        else:
            r = await client.post(
                "/chat", json={"session_id": session, "message": question(), "tenant_id": t["id"]}
            )
        return r.status_code

    return send


class Recorder:
    """Times requests and turns what it saw into a Result."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.latencies: list[float] = []
        self.errors = 0

    async def one(self, client: httpx.AsyncClient) -> None:
        t0 = time.perf_counter()
        status = await self.send(client)
        self.latencies.append((time.perf_counter() - t0) * 1000)
        self.errors += status != 200

    async def warm(self, client: httpx.AsyncClient, count: int) -> None:
        for _ in range(count):  # every tenant's caches and the pools, unmeasured
            await self.send(client)

    def result(self, name: str, mode: str, elapsed: float) -> Result:
        lat = self.latencies
        return Result(
            name,
            mode,
            len(lat),
            self.errors,
            elapsed,
            len(lat) / elapsed,
            pct(lat, 0.5),
            pct(lat, 0.95),
            pct(lat, 0.99),
        )


async def closed_loop(
    name: str, base: str, send: Send, concurrency: int, seconds: float, warmup: int = WARMUP
) -> Result:
    recorder = Recorder(send)
    stop = 0.0

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop:
            await recorder.one(client)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await recorder.warm(client, warmup)
        started = time.perf_counter()
        stop = started + seconds  # measured time starts after the warm-up
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return recorder.result(name, f"closed c={concurrency}", elapsed)


async def open_loop(
    name: str, base: str, send: Send, rate: float, seconds: float, warmup: int = WARMUP
) -> Result:
    recorder = Recorder(send)
    limits = httpx.Limits(max_connections=500)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await recorder.warm(client, warmup)
        tasks = []
        started = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(recorder.one(client)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return recorder.result(name, f"open {rate:.0f}/s", elapsed)


@dataclass
class Round:
    """One comparison: both servers' closed-loop maximum, then both at half the baseline's."""

    number: int
    closed: dict[str, Result]
    rate: float
    opened: dict[str, Result]

    @property
    def ratio(self) -> float:
        return self.closed["frontdesk"].rps / self.closed["baseline"].rps

    @property
    def p99_overhead(self) -> float:
        return self.opened["frontdesk"].p99_ms - self.opened["baseline"].p99_ms

    def summary(self) -> str:
        ours, theirs = self.opened["frontdesk"], self.opened["baseline"]
        return (
            f"round {self.number}: {self.closed['frontdesk'].rps:.1f} vs {self.closed['baseline'].rps:.1f} req/s "
            f"(ratio {self.ratio:.2f}); at {self.rate:.0f}/s p99 {ours.p99_ms:.1f} vs {theirs.p99_ms:.1f} ms "
            f"(overhead {self.p99_overhead:+.1f} ms)"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "round": self.number,
            "closed": {k: asdict(v) for k, v in self.closed.items()},
            "rate": self.rate,
            "open": {k: asdict(v) for k, v in self.opened.items()},
            "ratio": self.ratio,
            "p99_overhead_ms": self.p99_overhead,
        }


def table(results: list[Result]) -> str:
    lines = [
        "| target | load | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.target} | {r.mode} | {r.requests} | {r.errors} | {r.rps:.1f} | {r.p50_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.p99_ms:.1f} |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=15, help="per measured phase")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is reported)")
    args = parser.parse_args()

    db = f"frontdesk_bench_{os.getpid()}"
    await admin_sql(f'CREATE DATABASE "{db}"')
    base_url = PG_ADMIN.rsplit("/", 1)[0]
    owner = f"{base_url}/{db}"
    app_url = owner.replace("postgres@", "frontdesk_app@", 1)
    await asyncio.to_thread(migrate.upgrade, owner)
    await migrate.setup_roles(owner, admin_scope_key=admin_scope_key(SECRET_KEY))

    if OTHER_CPUS != SERVER_CPUS:
        os.sched_setaffinity(0, OTHER_CPUS)  # this load generator and (inherited) the fake LLM
    llm_port, fd_port, base_port = free_port(), free_port(), free_port()
    py = sys.executable
    fake = start([py, "-m", "tests.fakes.openai_server", "--port", str(llm_port)], {}, llm_port)
    env = {
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
        "FRONTDESK_DATABASE_URL": app_url,
        "FRONTDESK_DATABASE_ADMIN_URL": owner,
        "FRONTDESK_ADMIN_TOKEN": ADMIN_TOKEN,
        "FRONTDESK_SECRET_KEY": SECRET_KEY,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_LLM_MAX_RETRIES": "0",
    }
    ours = baseline = None
    rounds: list[Round] = []
    try:
        ours = start([py, "-m", "frontdesk", "serve", "--port", str(fd_port)], env, fd_port, server=True)
        baseline = start(
            [
                py,
                "-m",
                "uvicorn",
                "--factory",
                "bench.baseline_app:create_app",
                "--port",
                str(base_port),
                "--log-level",
                "warning",
            ],
            {**env, "BENCH_DATABASE_URL": app_url},
            base_port,
            server=True,
        )
        tenants = await provision(f"http://127.0.0.1:{fd_port}", args.tenants)
        targets = {
            "frontdesk": (f"http://127.0.0.1:{fd_port}", sender("frontdesk", tenants)),
            "baseline": (f"http://127.0.0.1:{base_port}", sender("baseline", tenants)),
        }
        for base, send in targets.values():  # every tenant's caches, both servers, unmeasured
            await closed_loop("warm-up", base, send, args.concurrency, 1.0)
        # Rounds alternate which server goes first (ABBA…): this machine's speed drifts by
        # tens of percent within minutes, so each comparison is made between neighbours in time.
        for n in range(args.rounds):
            order = list(targets) if n % 2 == 0 else list(reversed(targets))
            closed = {
                name: await closed_loop(name, *targets[name], args.concurrency, args.seconds, warmup=50)
                for name in order
            }
            rate = max(5.0, round(closed["baseline"].rps * 0.5))  # a load the baseline holds
            opened = {
                name: await open_loop(name, *targets[name], rate, args.seconds, warmup=50) for name in order
            }
            rounds.append(Round(n + 1, closed, rate, opened))
            print(rounds[-1].summary(), flush=True)
    finally:
        for proc in (ours, baseline, fake):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
        await admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    print(f"\n{args.tenants} tenants, each with its own key and knowledge base; fake LLM with zero latency\n")
    print(table([r for rnd in rounds for r in (*rnd.closed.values(), *rnd.opened.values())]))
    ratios = [rnd.ratio for rnd in rounds]
    overheads = [rnd.p99_overhead for rnd in rounds]
    ratio, overhead = statistics.median(ratios), statistics.median(overheads)
    print(
        f"\nthroughput ratio frontdesk/baseline (closed loop), median of {len(rounds)} rounds: {ratio:.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}; goal >= 0.5)"
    )
    print(
        f"p99 overhead at half the baseline's max, median: {overhead:+.1f} ms "
        f"(rounds: {', '.join(f'{o:+.1f}' for o in overheads)}; goal < 50 ms)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"chat-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "args": vars(args),
                "rounds": [rnd.as_dict() for rnd in rounds],
                "throughput_ratio_median": ratio,
                "p99_overhead_ms_median": overhead,
            },
            indent=2,
        )
    )
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
