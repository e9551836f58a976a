"""Exporting the customer list as it is filtered: same people as the list, scoped, masked,
audited; bad filters refused before anything is queued."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from siyu.audit.models import AuditEvent
from siyu.auth.models import Role, ScopeKind
from siyu.db.session import Database
from siyu.exports.models import Export
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.helpers.auth import Member, member_client
from tests.segments.people import Town


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return make_settings(db.url, export_dir=tmp_path / "exports")


@pytest.fixture
def admin(app: FastAPI, town: Town) -> Member:
    return member_client(app, town.db, corp=town.corp, role=Role.admin)


def exported(member: Member, town: Town, body: dict[str, Any]) -> list[dict[str, str]]:
    base = f"/api/v1/corps/{town.corp.id}"
    response = member.client.post(f"{base}/customers/export", json=body)
    assert response.status_code == 202, response.text
    download = member.client.get(f"{base}/exports/{response.json()['id']}/download")
    assert download.status_code == 200, download.text
    return list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))


def listed(member: Member, town: Town, params: dict[str, Any]) -> list[str]:
    response = member.client.get(f"/api/v1/corps/{town.corp.id}/customers", params=params)
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


class TestCustomerListExport:
    def test_exports_exactly_the_filtered_list(self, admin: Member, cast: Town) -> None:
        vip = str(cast.tags["vip"])
        for filters, params in (
            ({"tag_ids": [vip]}, {"tag_id": vip}),
            ({"channel": "poster", "status": "active"}, {"channel": "poster", "status": "active"}),
            ({"q": "a"}, {"q": "a"}),
            ({}, {}),
        ):
            rows = exported(admin, cast, filters)
            assert sorted(r["name"] for r in rows) == listed(admin, cast, params), filters
        assert {r["remark_mobiles"] for r in exported(admin, cast, {"q": "ann"})} == {"13812345678"}

    def test_staff_export_is_scoped_and_masked(self, app: FastAPI, cast: Town) -> None:
        bob = member_client(
            app, cast.db, corp=cast.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        )
        rows = exported(bob, cast, {})
        assert sorted(r["name"] for r in rows) == ["ben", "cat"]
        assert {r["owners"] for r in rows} == {"bob"}
        assert {r["remark_mobiles"] for r in rows} == {"138****5678"}

    def test_the_request_is_audited(self, admin: Member, cast: Town) -> None:
        exported(admin, cast, {"channel": "store"})
        with cast.db.transaction(write=False) as session:
            actions = list(session.scalars(select(AuditEvent.action)))
        assert "export.request" in actions

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"segment_id": "00000000-0000-7000-8000-000000000000"}, 404),
            ({"q": "x" * 65}, 422),
            ({"status": "sleeping"}, 422),
            ({"unknown": 1}, 422),
        ],
    )
    def test_bad_filters_queue_nothing(
        self,
        admin: Member,
        cast: Town,
        body: dict[str, Any],
        status: int,
    ) -> None:
        response = admin.client.post(f"/api/v1/corps/{cast.corp.id}/customers/export", json=body)
        assert response.status_code == status, response.text
        with cast.db.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Export)) == 0
