"""Exports: requested through the API, written by a job, audited, scoped, and safe to open."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from siyu.audit.models import AuditEvent
from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.exports.models import Export
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.helpers.auth import api_key_client, make_corp, member_client

URL = "/api/v1/corps/{corp}/exports"


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return make_settings(db.url, export_dir=tmp_path / "exports")


@pytest.fixture
def corp(db: Database) -> Corp:
    return make_corp(db)


def audit_actions(db: Database, corp: Corp) -> list[str]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.corp_id == corp.id)
                .order_by(AuditEvent.id)
            )
        )


class TestAuditExport:
    def test_owner_exports_and_downloads_csv(self, app: FastAPI, db: Database, corp: Corp) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)
        # Something worth exporting, including a value a spreadsheet would execute.
        owner.client.patch(f"/api/v1/corps/{corp.id}", json={"name": '=HYPERLINK("x")'})
        response = owner.client.post(URL.format(corp=corp.id), json={"kind": "audit_events"})
        assert response.status_code == 202, response.text
        export_id = response.json()["id"]

        # Jobs run inline after commit in tests, so the export is finished already.
        body = owner.client.get(f"{URL.format(corp=corp.id)}/{export_id}").json()
        assert body["status"] == "done", body
        assert body["row_count"] >= 2  # the corp update and the export request

        download = owner.client.get(f"{URL.format(corp=corp.id)}/{export_id}/download")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert download.content.startswith("\ufeff".encode())  # BOM for Excel
        rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert rows[0] == [
            "created_at",
            "action",
            "actor",
            "target_type",
            "target_id",
            "ip",
            "request_id",
        ]
        assert {row[1] for row in rows[1:]} >= {"corp.update", "export.request"}
        assert len(rows) - 1 == body["row_count"]
        assert audit_actions(db, corp)[-2:] == ["export.request", "export.download"]

    def test_filters_are_applied(self, app: FastAPI, db: Database, corp: Corp) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)
        owner.client.patch(f"/api/v1/corps/{corp.id}", json={"name": "Renamed"})
        response = owner.client.post(
            URL.format(corp=corp.id), json={"kind": "audit_events", "params": {"action": "corp."}}
        )
        export_id = response.json()["id"]
        download = owner.client.get(f"{URL.format(corp=corp.id)}/{export_id}/download")
        rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))[1:]
        assert rows and all(row[1].startswith("corp.") for row in rows)

    def test_formula_cells_are_neutralised(self) -> None:
        from siyu.exports.service import _safe_cell

        assert _safe_cell("=1+1") == "'=1+1"
        assert _safe_cell("@SUM(A1)") == "'@SUM(A1)"
        assert _safe_cell("王小明") == "王小明"


class TestExportAccess:
    def test_staff_may_not_export_the_audit_log(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        staff = member_client(app, db, corp=corp, role=Role.staff, staff_userid="zhangsan")
        response = staff.client.post(URL.format(corp=corp.id), json={"kind": "audit_events"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_role"

    def test_api_key_needs_audit_read(self, app: FastAPI, db: Database, corp: Corp) -> None:
        denied = api_key_client(app, db, corp=corp, scopes=["staff:read"])
        assert (
            denied.post(URL.format(corp=corp.id), json={"kind": "audit_events"}).status_code == 403
        )
        allowed = api_key_client(app, db, corp=corp, scopes=["audit:read"])
        assert (
            allowed.post(URL.format(corp=corp.id), json={"kind": "audit_events"}).status_code == 202
        )

    def test_other_corps_exports_are_invisible(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)
        export_id = owner.client.post(
            URL.format(corp=corp.id), json={"kind": "audit_events"}
        ).json()["id"]
        other_corp = make_corp(db)
        stranger = member_client(app, db, corp=other_corp, role=Role.owner)
        assert (
            stranger.client.get(f"{URL.format(corp=other_corp.id)}/{export_id}").status_code == 404
        )
        assert (
            stranger.client.get(
                f"{URL.format(corp=other_corp.id)}/{export_id}/download"
            ).status_code
            == 404
        )
        listed = stranger.client.get(URL.format(corp=other_corp.id)).json()["items"]
        assert listed == []


class TestExportBadInput:
    def test_unknown_kind_and_bad_params_write_nothing(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)

        def count() -> int:
            with db.transaction(write=False) as session:
                return session.scalar(select(func.count()).select_from(Export)) or 0

        before = count()
        for body in (
            {"kind": "customers_secret"},
            {"kind": "audit_events", "params": {"since": "yesterday"}},
            {"kind": "audit_events", "params": {"colour": "red"}},
        ):
            response = owner.client.post(URL.format(corp=corp.id), json=body)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "validation_error"
        assert count() == before

    def test_download_before_done_is_a_clear_404(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)
        with db.transaction() as session:
            export = Export(
                corp_id=corp.id, kind="audit_events", params={}, requested_by_label="test"
            )
            session.add(export)
        response = owner.client.get(f"{URL.format(corp=corp.id)}/{export.id}/download")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "export_not_ready"
