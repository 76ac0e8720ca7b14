"""The dashboard's API types (dashboard/src/lib/api-schema.d.ts) match the app's OpenAPI schema.

A changed API shape fails here until the types are regenerated (`cd dashboard && npm run gen:api`),
so the dashboard's type check sees the change. Needs the dashboard's node_modules (`npm ci` in
dashboard/, which the Makefile's dashboard target runs before the tests).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api", DASHBOARD / "scripts" / "gen_api.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_api_types_match_openapi(tmp_path: Path) -> None:
    gen = _generator()
    assert gen.GENERATOR.exists(), (
        f"{gen.GENERATOR} is missing: run `npm ci` in dashboard/ (make dashboard) before the tests"
    )
    fresh = tmp_path / "api-schema.d.ts"
    gen.generate(fresh)
    checked_in = gen.TARGET.read_text()
    assert fresh.read_text() == checked_in, (
        "dashboard/src/lib/api-schema.d.ts is out of date with the API: "
        "run `cd dashboard && npm run gen:api` and commit the result"
    )
