"""The repository itself: no half-resolved merge reaches main; the import contracts hold; no
import inside a function dodges a cycle."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "frontdesk"
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


def test_the_import_contracts_hold() -> None:
    """The [tool.importlinter] contracts of pyproject.toml (docs/architecture.md), as `make lint` runs them."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def _matches(module: str, expression: str) -> bool:
    pattern = r"\.".join(
        {"*": r"[^.]+", "**": r"[^.]+(\.[^.]+)*"}.get(part, re.escape(part)) for part in expression.split(".")
    )
    return re.fullmatch(pattern, module) is not None


def test_the_routers_contract_covers_every_router_module() -> None:
    """A module named like a router is a source and a target of the `routers` contract."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    routers = next(c for c in contracts if c["id"] == "routers")
    modules = [
        "frontdesk." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for path in SRC.rglob("*router*.py")
    ]
    assert modules
    for key in ("source_modules", "forbidden_modules"):
        uncovered = [m for m in modules if not any(_matches(m, e) for e in routers[key])]
        assert uncovered == [], f"add them to the routers contract's {key} in pyproject.toml"


# An import of our own code inside a function is allowed only with a `# lazy: <why>` comment on
# its line (or the line above): an optional dependency, or a heavy load (a model) that most
# processes never need. Never to dodge an import cycle: fix the layering instead.
LAZY = "# lazy:"
# Known ones, each with the part of issue 14 that removes it (the lead trims this list).
KNOWN_IN_FUNCTION_IMPORTS = {
    # item 3 (stages helper owns db/tenancy.py)
    ("db/tenancy.py", "frontdesk.models"),
    ("db/tenancy.py", "frontdesk.models.tenant"),
}


def _in_function_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every `frontdesk` import inside a function of ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level or module == "frontdesk" or module.startswith("frontdesk."):
                    found.append((node.lineno, "." * node.level + module))
            elif isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "frontdesk"]
    return sorted(set(found))


def test_no_import_inside_a_function_without_a_reason() -> None:
    unexplained = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith("migrations/"):
            continue  # a migration imports the app's code only when it runs, as it was then
        lines = path.read_text().splitlines()
        for line, module in _in_function_imports(path):
            explained = LAZY in lines[line - 1] or LAZY in lines[line - 2]
            if not explained and (relative, module) not in KNOWN_IN_FUNCTION_IMPORTS:
                unexplained.append(f"src/frontdesk/{relative}:{line} imports {module}")
    assert unexplained == []


def test_the_in_function_import_check_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import frontdesk.kit\n"
        "def f():\n"
        "    from frontdesk.kit import time\n"
        "    class C:\n"
        "        def g(self):\n"
        "            from . import sibling\n"
        "            import json\n"
    )
    assert _in_function_imports(sample) == [(3, "frontdesk.kit"), (6, ".")]


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
