"""Write src/lib/api-schema.d.ts: the TypeScript types of the API, from the app's own OpenAPI.

The schema comes from ``frontdesk.app.create_app().openapi()`` (no server, no database), and
``openapi-typescript`` (a dev dependency of the dashboard) turns it into types. Run it with
``npm run gen:api`` after changing an API shape; tests/test_dashboard_types.py fails while the
checked-in file differs from what this writes.

    python dashboard/scripts/gen_api.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parent.parent
TARGET = DASHBOARD / "src" / "lib" / "api-schema.d.ts"
GENERATOR = DASHBOARD / "node_modules" / ".bin" / "openapi-typescript"


def openapi_schema(var_dir: Path) -> dict[str, object]:
    """The OpenAPI document of an app built with default settings (keys given, so none is persisted)."""
    from frontdesk.app import create_app
    from frontdesk.config import Settings

    settings = Settings(secret_key="g" * 40, var_dir=var_dir)
    return create_app(settings).openapi()


def generate(out: Path) -> None:
    """Write the types of the current API to ``out``."""
    if not GENERATOR.exists():
        raise FileNotFoundError(
            f"{GENERATOR} is missing: run `npm ci` in {DASHBOARD} (the Makefile's dashboard target does)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        schema_file = Path(tmp) / "openapi.json"
        schema_file.write_text(json.dumps(openapi_schema(Path(tmp)), indent=1))
        subprocess.run(  # noqa: S603 (a fixed argument list, no shell)
            [str(GENERATOR), str(schema_file), "--output", str(out)],
            check=True,
            cwd=DASHBOARD,
            capture_output=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TARGET)
    generate(parser.parse_args().out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
