"""Print the API's OpenAPI schema as stable JSON for the console's generated client.

The console's `web/src/api/openapi.json` is this output; `npm run gen:api` turns it into
TypeScript types. Keys are sorted and indented so a schema change shows up as a readable diff.
Run as `python scripts/dump_openapi.py > web/src/api/openapi.json` (`make api-client` does both).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from siyu.app import create_app
from siyu.settings import Environment, Settings


def openapi_document() -> dict[str, Any]:
    """Build the app on a throwaway SQLite file (never connected to) and return its schema."""
    with tempfile.TemporaryDirectory(prefix="siyu-openapi-") as workdir:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            env=Environment.test,
            secret_key="openapi-dump-only-" + "x" * 32,
            database_url=f"sqlite:///{Path(workdir) / 'openapi.db'}",
            queue_url="memory://",
            run_worker_in_process=False,
            web_dist_dir=Path(workdir) / "no-console",
        )
        app = create_app(settings, check_migrations=False)
        return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render(openapi_document()))


if __name__ == "__main__":
    main()
