"""The OpenAPI document is what the console's client is generated from: ids must be stable."""

from __future__ import annotations

import re

from fastapi import FastAPI


class TestOperationIds:
    def test_unique_and_named_after_the_handler(self, app: FastAPI) -> None:
        seen: dict[str, str] = {}
        for path, methods in app.openapi()["paths"].items():
            for method, spec in methods.items():
                operation_id = spec["operationId"]
                assert re.fullmatch(r"[a-z][a-z0-9_]*", operation_id), operation_id
                assert operation_id not in seen, (
                    f"{method.upper()} {path} reuses {operation_id} of {seen[operation_id]}"
                )
                seen[operation_id] = f"{method.upper()} {path}"
        assert {"get_health", "login", "list_corps", "create_export"} <= set(seen)

    def test_every_api_route_is_versioned(self, app: FastAPI) -> None:
        for path in app.openapi()["paths"]:
            assert path.startswith(("/api/v1/", "/healthz", "/metrics", "/wecom/")), path
