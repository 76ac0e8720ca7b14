"""Assign the dev/heldout split of every question (run once, when questions are added).

    python bench/data/answers/split.py

Stratified by ``kind`` over all businesses: within each kind, questions sorted by id are shuffled
with a fixed seed and the first 60 % (rounded) go to ``dev``, the rest to ``heldout``. The split
is written into each ``questions.jsonl``. Tune on dev only; heldout is for reporting.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 13
DEV_SHARE = 0.6


def main() -> None:
    files = sorted(HERE.glob("*/questions.jsonl"))
    rows = {
        f: [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()] for f in files
    }
    by_kind: dict[str, list[str]] = defaultdict(list)
    for questions in rows.values():
        for q in questions:
            by_kind[q["kind"]].append(q["id"])
    rng = random.Random(SEED)
    split: dict[str, str] = {}
    for kind in sorted(by_kind):
        ids = sorted(by_kind[kind])
        rng.shuffle(ids)
        cut = round(len(ids) * DEV_SHARE)
        split.update({qid: "dev" if i < cut else "heldout" for i, qid in enumerate(ids)})
    for f, questions in rows.items():
        lines = [json.dumps({**q, "split": split[q["id"]]}, ensure_ascii=False) for q in questions]
        f.write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
