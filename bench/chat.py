"""Load benchmark of POST /api/v1/chat against a bare FastAPI baseline, measured in the same run.

    .venv/bin/python bench/chat.py [--tenants 120] [--concurrency 24] [--seconds 15]

Both servers run as separate processes (pinned to CPU 0; the load generator and the fake LLM
get the other CPUs) on the local PostgreSQL (as the non-superuser app role,
RLS on) and call the same fake OpenAI server (zero latency) through the official SDK:
  1. closed loop: `concurrency` clients send back to back → max throughput of each;
  2. open loop at fixed rates (half the baseline's max, half ours) → latency percentiles at a
     load the baseline holds; our overhead is the difference.
Prints a markdown table; results are also written to bench/results/chat-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
from tests.live import free_port  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
WARMUP = 400  # requests before measuring: each tenant's profile, index and quota counter get loaded
ADMIN_TOKEN = "bench-admin-token-" + "x" * 24
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

    async def warm(self, client: httpx.AsyncClient) -> None:
        for _ in range(WARMUP):  # every tenant's caches and the pools, unmeasured
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


async def closed_loop(name: str, base: str, send: Send, concurrency: int, seconds: float) -> Result:
    recorder = Recorder(send)
    stop = 0.0

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop:
            await recorder.one(client)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await recorder.warm(client)
        started = time.perf_counter()
        stop = started + seconds  # measured time starts after the warm-up
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return recorder.result(name, f"closed c={concurrency}", elapsed)


async def open_loop(name: str, base: str, send: Send, rate: float, seconds: float) -> Result:
    recorder = Recorder(send)
    limits = httpx.Limits(max_connections=500)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await recorder.warm(client)
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
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    db = f"frontdesk_bench_{os.getpid()}"
    await admin_sql(f'CREATE DATABASE "{db}"')
    base_url = PG_ADMIN.rsplit("/", 1)[0]
    owner = f"{base_url}/{db}"
    app_url = owner.replace("postgres@", "frontdesk_app@", 1)
    await asyncio.to_thread(migrate.upgrade, owner)
    await migrate.setup_roles(owner)

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
        "FRONTDESK_SECRET_KEY": "b" * 40,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_LLM_MAX_RETRIES": "0",
    }
    results: list[Result] = []
    try:
        ours = start([py, "-m", "frontdesk", "serve", "--port", str(fd_port)], env, fd_port, server=True)
        try:
            tenants = await provision(f"http://127.0.0.1:{fd_port}", args.tenants)
            fd_closed = await closed_loop(
                "frontdesk",
                f"http://127.0.0.1:{fd_port}",
                sender("frontdesk", tenants),
                args.concurrency,
                args.seconds,
            )
        finally:
            ours.terminate()
            ours.wait(timeout=30)
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
        try:
            base_send = sender("baseline", tenants)
            base_closed = await closed_loop(
                "baseline", f"http://127.0.0.1:{base_port}", base_send, args.concurrency, args.seconds
            )
            # latency at a load the baseline holds (half its max) and at half of ours
            rates = sorted({max(5.0, round(base_closed.rps * 0.5)), max(5.0, round(fd_closed.rps * 0.5))})
            base_open = [
                await open_loop("baseline", f"http://127.0.0.1:{base_port}", base_send, r, args.seconds)
                for r in rates
            ]
        finally:
            baseline.terminate()
            baseline.wait(timeout=30)
        ours = start([py, "-m", "frontdesk", "serve", "--port", str(fd_port)], env, fd_port, server=True)
        try:
            fd_send = sender("frontdesk", tenants)
            fd_open = [
                await open_loop("frontdesk", f"http://127.0.0.1:{fd_port}", fd_send, r, args.seconds)
                for r in rates
            ]
        finally:
            ours.terminate()
            ours.wait(timeout=30)
        results = [fd_closed, base_closed]
        for ours_at, base_at in zip(fd_open, base_open, strict=True):
            results += [ours_at, base_at]
    finally:
        fake.terminate()
        await admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    print(f"\n{args.tenants} tenants, each with its own key and knowledge base; fake LLM with zero latency\n")
    print(table(results))
    ratio = fd_closed.rps / base_closed.rps if base_closed.rps else float("nan")
    print(f"\nthroughput ratio frontdesk/baseline (closed loop): {ratio:.2f}  (goal ≥ 0.5)")
    overhead = {}
    for rate, ours_at, base_at in zip(rates, fd_open, base_open, strict=True):
        over = {q: getattr(ours_at, f"{q}_ms") - getattr(base_at, f"{q}_ms") for q in ("p50", "p95", "p99")}
        overhead[f"{rate:.0f}/s"] = over
        print(
            f"overhead at {rate:.0f} req/s: p50 {over['p50']:+.1f} ms, p95 {over['p95']:+.1f} ms, "
            f"p99 {over['p99']:+.1f} ms  (goal p99 < 50 ms)"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"chat-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "args": vars(args),
                "results": [asdict(r) for r in results],
                "throughput_ratio": ratio,
                "overhead_ms": overhead,
            },
            indent=2,
        )
    )
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
