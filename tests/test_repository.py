"""The repository itself: no half-resolved merge reaches main."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)


def test_no_tracked_file_holds_a_merge_conflict_marker() -> None:
    files = subprocess.run(
        [
            "git",
            "ls-files",
            "*.py",
            "*.md",
            "*.ts",
            "*.tsx",
            "*.toml",
            "*.yaml",
            "*.yml",
            "*.json",
            "*.jsonl",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert files, "git ls-files found nothing"
    marked = [name for name in files if MARKER.search((ROOT / name).read_text(errors="replace"))]
    assert marked == []
