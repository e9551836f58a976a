"""The console's generated API client must match the API it talks to.

`web/src/api/openapi.json` is committed so the console builds without Python; these tests fail
as soon as a route or schema changes without `make api-client` being run.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from scripts.dump_openapi import render
from siyu.openapi import openapi_document

API_DIR = Path(__file__).resolve().parents[2] / "web" / "src" / "api"
REGENERATE = "the console's API client is stale: run `make api-client` and commit web/src/api/"


class TestCommittedOpenapiSchema:
    def test_matches_the_current_app(self) -> None:
        committed = (API_DIR / "openapi.json").read_text(encoding="utf-8")
        current = render(openapi_document())
        diff = list(
            difflib.unified_diff(
                committed.splitlines(), current.splitlines(), "committed", "app", lineterm="", n=1
            )
        )
        assert not diff, REGENERATE + "\n" + "\n".join(diff[:60])

    def test_uses_the_handler_names_as_operation_ids(self) -> None:
        document = json.loads((API_DIR / "openapi.json").read_text(encoding="utf-8"))
        operation_ids = [
            operation["operationId"]
            for item in document["paths"].values()
            for operation in item.values()
        ]
        assert len(operation_ids) == len(set(operation_ids)), "operation ids must be unique"
        assert all(op.isidentifier() for op in operation_ids), operation_ids


class TestGeneratedTypes:
    def test_cover_every_path_of_the_schema(self) -> None:
        document = json.loads((API_DIR / "openapi.json").read_text(encoding="utf-8"))
        types = (API_DIR / "schema.d.ts").read_text(encoding="utf-8")
        missing = [path for path in document["paths"] if f'"{path}": {{' not in types]
        assert not missing, f"{REGENERATE} (schema.d.ts lacks {missing})"
