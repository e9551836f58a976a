"""Bad input gets a 4xx in the error envelope and writes nothing — for every write endpoint.

The sweep walks the app's own OpenAPI schema, so endpoints added later are covered without
touching this file.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import siyu.models  # noqa: F401
from siyu.db.base import Base
from siyu.db.session import Database
from tests.helpers.auth import make_corp, superuser_client


def row_counts(db: Database) -> dict[str, int]:
    with db.transaction(write=False) as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
            # Login bookkeeping and audit of *failed* requests are not business writes.
            if name not in ("login_attempts",)
        }


def assert_envelope(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["message"], body
    return body["error"]


@pytest.fixture
def admin(app: FastAPI, db: Database) -> TestClient:
    return superuser_client(app, db).client


class TestCorpCreateBadInput:
    url = "/api/v1/corps"

    def test_malformed_json(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)
        response = admin.post(
            self.url,
            content=b'{"wecom_corp_id": "ww1", "name": ',
            headers={"Content-Type": "application/json"},
        )
        error = assert_envelope(response, 422)
        assert "JSON" in error["message"]
        assert row_counts(db) == before

    def test_wrong_types(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)
        response = admin.post(self.url, json={"wecom_corp_id": ["ww1"], "name": 7, "agent_id": "x"})
        error = assert_envelope(response, 422)
        locations = {tuple(item["loc"]) for item in error["details"]}
        assert ("body", "wecom_corp_id") in locations
        assert ("body", "agent_id") in locations
        assert row_counts(db) == before

    def test_unknown_field_is_named(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)
        response = admin.post(self.url, json={"wecom_corp_id": "ww1", "name": "A", "nmae": "B"})
        error = assert_envelope(response, 422)
        assert "nmae" in str(error["details"])
        assert row_counts(db) == before

    def test_oversized_body(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)
        big = "x" * 2_000_000
        response = admin.post(self.url, json={"wecom_corp_id": "ww1", "name": big})
        error = assert_envelope(response, 413)
        assert "larger than the limit" in error["message"]
        assert row_counts(db) == before

    def test_oversized_body_without_content_length(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)

        def chunks() -> Any:
            for _ in range(40):
                yield b"x" * 65536

        response = admin.post(
            self.url, content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_envelope(response, 413)
        assert row_counts(db) == before

    def test_valid_body_writes(self, admin: TestClient, db: Database) -> None:
        before = row_counts(db)
        response = admin.post(self.url, json={"wecom_corp_id": "wwvalid", "name": "Valid"})
        assert response.status_code == 201, response.text
        assert row_counts(db)["corps"] == before["corps"] + 1


_PARAM = re.compile(r"{([^}]+)}")


def write_operations(app: FastAPI) -> list[tuple[str, str]]:
    operations = []
    for path, methods in app.openapi()["paths"].items():
        for method, spec in methods.items():
            if method in ("post", "put", "patch") and "requestBody" in spec:
                operations.append((method.upper(), path))
    return sorted(operations)


class TestEveryWriteEndpoint:
    def test_there_are_write_endpoints_to_check(self, app: FastAPI) -> None:
        assert len(write_operations(app)) >= 5

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param(b"{not json", id="malformed"),
            pytest.param(b'{"siyu_unknown_field": 1}', id="unknown-field"),
            pytest.param(b"[1, 2, 3]", id="wrong-type"),
        ],
    )
    def test_bad_bodies_are_refused_and_write_nothing(
        self, app: FastAPI, admin: TestClient, db: Database, payload: bytes
    ) -> None:
        corp = make_corp(db)
        before = row_counts(db)
        for method, template in write_operations(app):

            def fill(match: re.Match[str]) -> str:
                return str(corp.id) if match.group(1) == "corp_id" else str(uuid.uuid4())

            path = _PARAM.sub(fill, template)
            response = admin.request(
                method, path, content=payload, headers={"Content-Type": "application/json"}
            )
            assert 400 <= response.status_code < 500, (method, template, response.text)
            assert_envelope(response, response.status_code)
        assert row_counts(db) == before
