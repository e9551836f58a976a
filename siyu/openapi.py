"""The OpenAPI document, built without a database (for `siyu openapi` and the console client)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from siyu.settings import Environment, Settings


def openapi_document() -> dict[str, Any]:
    from siyu.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            env=Environment.development,
            database_url=f"sqlite:///{Path(tmp) / 'openapi.db'}",
            queue_url="memory://",
            run_worker_in_process=False,
        )
        app = create_app(settings, start_worker=False, check_migrations=False)
        document = app.openapi()
        app.state.runtime.close()
    return document
