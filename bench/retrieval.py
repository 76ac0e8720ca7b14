"""Retrieval latency at scale: a tenant with 2,000+ knowledge chunks.

    PYTHONPATH=src .venv/bin/python bench/retrieval.py [--chunks 2000] [--queries 300] [--rounds 3]
        [--llm] [--json]

Runs the real app in-process on a fresh SQLite database (as ``bench/answers.py`` does). One tenant
gets a synthetic home-and-garden store catalogue (one product per section, so one chunk each, plus
the store's policy pages) uploaded through ``POST /api/v1/knowledge`` until it holds ``--chunks``
chunks; a second tenant has no knowledge at all. It reports:

1. the first search after the upload (the index build, and any embedding of the query);
2. search latency of the tenant's retriever alone, p50/p99 over a few hundred varied queries
   (product names, paraphrases, typos, fragments, questions with no answer), after warm-up;
3. the chat turn (``POST /api/v1/chat``) p50/p99 for the same queries on the tenant with the
   catalogue and on the tenant without knowledge, interleaved one by one so the machine's drift
   hits both alike: the difference is what knowledge adds to a turn (retrieval, prompt, and the
   offline responder's sentence choice; ``--llm`` sends the turn to the fake LLM instead).

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import (
    Tenant,
    ask,
    create_tenant,
    make_search,
    pct,
    running_app,
    upload,
    wait_indexed,
)

from tests.fakes.openai_server import FakeOpenAI

SEED = 2000
DOC_CHARS = 150_000  # under the 200,000-character document cap

CATEGORIES: dict[str, list[str]] = {
    "Paint and decorating": [
        "interior wall paint",
        "exterior masonry paint",
        "wood stain",
        "primer",
        "paint roller set",
        "masking tape",
        "wallpaper paste",
        "floor paint",
        "decorator's brush",
        "dust sheet",
    ],
    "Power tools": [
        "cordless drill",
        "impact driver",
        "circular saw",
        "jigsaw",
        "random orbit sander",
        "angle grinder",
        "rotary hammer",
        "multi-tool",
        "mitre saw",
        "heat gun",
    ],
    "Hand tools": [
        "claw hammer",
        "screwdriver set",
        "spirit level",
        "tape measure",
        "socket set",
        "adjustable spanner",
        "hacksaw",
        "utility knife",
        "chisel set",
        "pliers",
    ],
    "Garden": [
        "lawn mower",
        "hedge trimmer",
        "garden hose",
        "pressure washer",
        "leaf blower",
        "compost bin",
        "raised bed kit",
        "wheelbarrow",
        "pruning shears",
        "garden shed",
    ],
    "Plumbing": [
        "kitchen mixer tap",
        "basin tap",
        "shower head",
        "toilet seat",
        "radiator valve",
        "pipe cutter",
        "push-fit connector",
        "waste trap",
        "water filter",
        "expansion vessel",
    ],
    "Electrical": [
        "extension lead",
        "smart plug",
        "light switch",
        "double socket",
        "cable reel",
        "consumer unit",
        "doorbell",
        "smoke alarm",
        "motion sensor",
        "USB wall charger",
    ],
    "Lighting": [
        "LED bulb",
        "ceiling pendant",
        "floor lamp",
        "outdoor wall light",
        "strip light",
        "desk lamp",
        "solar garden light",
        "spotlight kit",
        "batten light",
        "security floodlight",
    ],
    "Flooring": [
        "laminate flooring",
        "vinyl plank",
        "engineered oak board",
        "carpet tile",
        "underlay",
        "skirting board",
        "floor tile",
        "tile adhesive",
        "grout",
        "threshold strip",
    ],
    "Kitchen": [
        "worktop",
        "kitchen cabinet door",
        "sink",
        "extractor hood",
        "cabinet handle",
        "splashback",
        "drawer runner",
        "built-in oven",
        "induction hob",
        "pantry unit",
    ],
    "Storage": [
        "shelving unit",
        "storage box",
        "garage rack",
        "tool chest",
        "wardrobe kit",
        "wall hook",
        "bike hanger",
        "loft ladder",
        "pegboard",
        "drawer organiser",
    ],
}
BRANDS = [
    "Ardent",
    "Brookfield",
    "Corvo",
    "Dunmore",
    "Elstree",
    "Fenwick",
    "Galloway",
    "Harrow",
    "Ivel",
    "Juno",
    "Kestrel",
    "Larchmont",
    "Mersey",
    "Northgate",
    "Oakhurst",
    "Pennine",
]
VARIANTS = ["compact", "pro", "heavy-duty", "eco", "premium", "classic", "slim", "XL", "mini", "plus"]
COLOURS = [
    "white",
    "black",
    "graphite",
    "sage green",
    "navy",
    "oak",
    "chrome",
    "brushed steel",
    "terracotta",
    "sand",
]
MATERIALS = [
    "steel",
    "aluminium",
    "solid beech",
    "recycled plastic",
    "cast iron",
    "bamboo",
    "brass",
    "fibreglass",
]
USES = [
    "for quick jobs around the house",
    "built for daily use on site",
    "for first-time DIYers",
    "for larger gardens",
    "for renovation projects",
    "designed for small flats",
    "for outdoor use in all weathers",
    "for tradespeople who need reliability",
    "for tidy, dust-free work",
    "for energy-conscious homes",
]
POLICIES = """# Store information

## Opening hours
Monday to Friday 7:00 to 20:00, Saturday 8:00 to 18:00, Sunday 10:00 to 16:00. The trade counter opens at 6:30 on weekdays.

## Delivery
Standard delivery in 3 to 5 working days costs €6.95, free over €75. Next-day delivery costs €12.95 when ordered before 15:00. Bulky items (sheds, worktops, flooring over 20 m²) go by two-person delivery for €39.

## Click and collect
Orders are ready to collect in two hours from the store; we keep them for seven days.

## Returns
Unused items can be returned within 60 days with the receipt. Paint mixed to order, cut worktops and cut flooring cannot be returned.

## Tool hire
Most power tools can be hired by the day from the trade counter; a deposit of €100 is taken on a card.

## Parking
The store has 240 free parking spaces, including 12 accessible spaces and 6 electric vehicle chargers near the entrance.

## Payment
We accept cards, contactless, cash and trade accounts with 30-day terms. Gift cards are valid for three years.
"""
QUESTION_TEMPLATES = [
    "how much is the {brand} {product}",
    "{product} price",
    "do you have a {product} in {colour}",
    "is the {brand} {variant} {product} in stock",
    "warranty on {brand} {product}?",
    "what's the cheapest {product}",
    "{brand} {product} {variant} dimensions",
    "I need something {use}",
    "can I get a {product} delivered tomorrow",
    "{typo_product} cost",
    "do u sell {typo_product}",
    "recommend a {product} for a beginner",
]
GENERIC = [
    "when are you open on sunday",
    "where do I park",
    "how much is delivery",
    "can I return paint",
    "do you hire out tools",
    "trade counter hours",
    "click and collect how long",
    "do you take cash",
    "do you have EV chargers",
    "gift card expiry",
    "next day delivery cutoff",
    "is there disabled parking",
    "what's the weather like",
    "do you sell cars",
    "who won the football",
    "can you fix my laptop",
]


def product_section(rng: random.Random, index: int) -> tuple[str, dict[str, str]]:
    category = rng.choice(list(CATEGORIES))
    product = rng.choice(CATEGORIES[category])
    brand, variant = rng.choice(BRANDS), rng.choice(VARIANTS)
    colour, material, use = rng.choice(COLOURS), rng.choice(MATERIALS), rng.choice(USES)
    price = rng.randint(3, 900) + rng.choice([0.0, 0.49, 0.95, 0.99])
    sku = f"{category[:2].upper()}-{index:05d}"
    width, depth = rng.randint(5, 180), rng.randint(5, 90)
    warranty = rng.choice([1, 2, 3, 5, 10])
    stock = rng.choice(
        [
            "in stock in store and online",
            "online only, ships in 2 to 4 days",
            "in stock, limited quantities",
            "available to order, 7 to 10 days",
        ]
    )
    text = (
        f"## {brand} {variant} {product} ({sku})\n"
        f"Category: {category}. The {brand} {variant} {product} is made of {material}, {use}. "
        f"Colour: {colour}. Size: {width} × {depth} cm. Price: €{price:.2f}. {stock.capitalize()}. "
        f"Guarantee: {warranty} year{'s' if warranty > 1 else ''} against manufacturing defects; keep the receipt. "
        f"Customers often buy it with other {category.lower()} items; ask in store for a bundle price."
    )
    return text, {"brand": brand, "product": product, "variant": variant, "colour": colour, "use": use}


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters


def catalogue(chunks: int) -> tuple[list[str], list[dict[str, str]]]:
    """Documents (each under the size cap) holding about ``chunks`` product sections, and the products."""
    rng = random.Random(SEED)
    documents, products, current = [], [], POLICIES
    for index in range(chunks):
        text, product = product_section(rng, index)
        products.append(product)
        if len(current) + len(text) + 2 > DOC_CHARS:
            documents.append(current)
            current = "# Product catalogue (continued)\n"
        current += "\n\n" + text
    documents.append(current)
    return documents, products


def queries(products: list[dict[str, str]], count: int) -> list[str]:
    rng = random.Random(SEED + 1)
    out = []
    while len(out) < count:
        if rng.random() < 0.15:
            out.append(rng.choice(GENERIC))
            continue
        p = rng.choice(products)
        out.append(rng.choice(QUESTION_TEMPLATES).format(typo_product=typo(rng, p["product"]), **p))
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = FakeOpenAI(keep_requests=10) if args.llm else None
    overrides: dict[str, Any] = {}
    if fake is not None:
        fake.__enter__()
        overrides = {
            "openai_api_key": SecretStr("sk-bench"),
            "openai_base_url": fake.base_url,
            "llm_max_retries": 0,
        }
    try:
        async with running_app(**overrides) as (app, client):
            store = await create_tenant(client, "Harrow Home & Garden")
            empty = await create_tenant(client, "Empty Shop")
            documents, products = catalogue(args.chunks)
            ids, total_chunks = [], 0
            started = time.perf_counter()
            for n, content in enumerate(documents):
                ids.append(
                    await upload(client, store, {"name": f"Catalogue part {n + 1}", "content": content})
                )
            uploaded_s = time.perf_counter() - started
            for doc_id in ids:
                r = await client.get(f"/api/v1/knowledge/{doc_id}", headers=store.headers)
                total_chunks += int(r.json().get("chunks", 0))
            indexed_s = await wait_indexed(client, store, ids)
            work = queries(products, args.queries)
            search, timed = make_search(app)

            started = time.perf_counter()
            await search(store.id, work[0])
            first_ms = (time.perf_counter() - started) * 1000
            for q in work:  # warm-up
                await search(store.id, q)
            search_ms = []
            for _ in range(args.rounds):
                for q in work:
                    t0 = time.perf_counter()
                    await search(store.id, q)
                    search_ms.append((time.perf_counter() - t0) * 1000)

            turn_ms: dict[str, list[float]] = {"with knowledge": [], "without knowledge": []}
            tenants: list[tuple[str, Tenant]] = [("with knowledge", store), ("without knowledge", empty)]
            for q in work[: min(len(work), 40)]:  # warm-up of the chat path
                for _, tenant in tenants:
                    await ask(client, tenant, q)
            for i, q in enumerate(work):
                order = tenants if i % 2 == 0 else tenants[::-1]  # ABBA: neither always goes first
                for label, tenant in order:
                    t0 = time.perf_counter()
                    await ask(client, tenant, f"{q} ({uuid.uuid4().hex[:6]})")  # no response-cache hits
                    turn_ms[label].append((time.perf_counter() - t0) * 1000)
    finally:
        if fake is not None:
            fake.__exit__(None, None, None)

    def stats(values: list[float]) -> dict[str, float]:
        return {"p50": round(pct(values, 0.5), 3), "p99": round(pct(values, 0.99), 3), "samples": len(values)}

    turns = {label: stats(values) for label, values in turn_ms.items()}
    paired = [a - b for a, b in zip(turn_ms["with knowledge"], turn_ms["without knowledge"], strict=True)]
    return {
        "config": "llm (fake)" if args.llm else "offline",
        "documents": len(documents),
        "chars": sum(len(d) for d in documents),
        "chunks": total_chunks,
        "upload_s": round(uploaded_s, 2),
        "index_wait_s": round(indexed_s, 2),
        "first_search_ms": round(first_ms, 1),
        "queries": len(work),
        "search_ms": stats(search_ms),
        "timed": timed,
        "chat_turn_ms": turns,
        "knowledge_adds_ms": {
            q: round(turns["with knowledge"][q] - turns["without knowledge"][q], 3) for q in ("p50", "p99")
        },
        # per query, the turn with knowledge minus the turn without (sent back to back): robust to drift
        "paired_difference_ms": {
            "median": round(statistics.median(paired), 3),
            "mean": round(statistics.fmean(paired), 3),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=2000, help="product sections (≈ chunks) to generate")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed passes of the retriever over the queries"
    )
    parser.add_argument("--llm", action="store_true", help="chat turns go to the fake LLM (default: offline)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s, t, add = result["search_ms"], result["chat_turn_ms"], result["knowledge_adds_ms"]
    print(
        f"tenant: {result['chunks']} chunks in {result['documents']} documents ({result['chars']:,} chars); "
        f"upload {result['upload_s']} s, indexing wait {result['index_wait_s']} s, "
        f"first search (index build) {result['first_search_ms']} ms"
    )
    print(
        f"retriever alone [{result['timed']}], {result['queries']} queries × rounds: p50 {s['p50']:.3f} ms, p99 {s['p99']:.3f} ms "
        f"({s['samples']} searches)"
    )
    for label, v in t.items():
        print(f"chat turn {label} ({result['config']}): p50 {v['p50']:.2f} ms, p99 {v['p99']:.2f} ms")
    paired = result["paired_difference_ms"]
    print(
        f"knowledge adds to a chat turn: p50 {add['p50']:+.2f} ms, p99 {add['p99']:+.2f} ms; "
        f"paired per query: median {paired['median']:+.2f} ms, mean {paired['mean']:+.2f} ms"
    )
    print(f"{'PASS' if s['p99'] <= 10 else 'FAIL'} retrieval p99 {s['p99']:.2f} ms ≤ 10 ms (retriever alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
