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


# A query compares a tenant id in db/ only: the ORM hook scopes a tenant's session, Core statements
# take the tenant from tenancy.tenant_filter/tenant_values, admin queries name one with of_tenant,
# and joins follow the foreign key. Either order: `X.tenant_id == …` and `… == X.tenant_id`.
TENANT_COMPARISON = re.compile(r"\btenant_id\s*==|==\s*[\w.]+\.tenant_id\b")


def test_no_query_compares_tenant_id_outside_db() -> None:
    package = ROOT / "src" / "frontdesk"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] != "db"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TENANT_COMPARISON.search(line)
    ]
    assert found == [], "use frontdesk.db.tenancy (tenant_filter, tenant_values, of_tenant):\n" + "\n".join(
        found
    )
