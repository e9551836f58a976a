"""Customer import: dry run, row-by-row report, all-or-nothing, skip-bad-rows, upload errors,
and the 100,000-row workbook with 1% bad rows."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.session import Database
from siyu.identity.models import CustomerIdentity
from siyu.settings import Settings
from tests.helpers.auth import make_corp, member_client
from tests.identity.helpers import person_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["姓名", "手机号", "会员号", "unionid"]


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: TestClient, corp: Corp, body: bytes, name: str, **params: Any) -> Any:
    response = client.post(
        f"/api/v1/corps/{corp.id}/customer-imports",
        params={"file_name": name, **params},
        content=body,
        headers={"Content-Type": XLSX if name.endswith(".xlsx") else "text/csv"},
    )
    return response


def finished(client: TestClient, corp: Corp, import_id: str) -> dict[str, Any]:
    for _ in range(100):  # jobs run inline after commit; this only guards against a race
        body: dict[str, Any] = client.get(
            f"/api/v1/corps/{corp.id}/customer-imports/{import_id}"
        ).json()
        if body["finished_at"]:
            return body
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def report(client: TestClient, corp: Corp, import_id: str) -> list[list[str]]:
    response = client.get(f"/api/v1/corps/{corp.id}/customer-imports/{import_id}/report")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def people(db: Database, corp: Corp) -> int:
    with db.transaction(write=False) as session:
        return (
            session.scalar(
                select(func.count()).select_from(Customer).where(Customer.corp_id == corp.id)
            )
            or 0
        )


MIXED = [
    ["张三", "13800138000", "M001", ""],
    ["李四", "00000000000", "M002", ""],  # junk phone
    ["王五", "13900139000, 13900139001", "", "oAbCdEfGhIjKlMnOp"],
    ["", "", "", ""],  # blank line: not a row
    ["赵六", "", "M001", ""],  # repeated business id
    ["钱七", "", "", ""],  # a name only
]


class TestImport:
    def _client(self, app: FastAPI, db: Database) -> tuple[Corp, TestClient]:
        corp = make_corp(db)
        return corp, member_client(app, db, corp=corp, role=Role.admin).client

    def test_dry_run_reports_and_writes_nothing(self, app: FastAPI, db: Database) -> None:
        corp, client = self._client(app, db)
        response = upload(
            client, corp, workbook(MIXED), "a.xlsx", dry_run=True, mode="skip_bad_rows"
        )
        assert response.status_code == 202, response.text
        body = finished(client, corp, response.json()["id"])
        assert (body["status"], body["total_rows"], body["bad_rows"]) == ("done", 5, 3)
        assert report(client, corp, body["id"]) == [
            ["3", "phones", "00000000000: phone of one repeated digit"],
            ["6", "business_id", "repeats row 2"],
            ["7", "phones", "a row needs a phone, a business_id or a unionid"],
        ]
        assert people(db, corp) == 0

    def test_all_or_nothing_writes_nothing_when_a_row_is_bad(
        self, app: FastAPI, db: Database
    ) -> None:
        corp, client = self._client(app, db)
        response = upload(client, corp, workbook(MIXED), "a.xlsx")
        body = finished(client, corp, response.json()["id"])
        assert body["status"] == "rejected" and body["written_rows"] == 0
        assert people(db, corp) == 0

    def test_skip_bad_rows_writes_the_good_ones(self, app: FastAPI, db: Database) -> None:
        corp, client = self._client(app, db)
        response = upload(client, corp, workbook(MIXED), "a.xlsx", mode="skip_bad_rows")
        body = finished(client, corp, response.json()["id"])
        assert (body["status"], body["written_rows"]) == ("done", 2)
        assert body["stats"]["created"] == 2
        assert person_of(db, corp, "business_id", "M001") is not None
        assert person_of(db, corp, "phone", "13900139001") == person_of(
            db, corp, "unionid", "oAbCdEfGhIjKlMnOp"
        )

    def test_csv_in_gb18030(self, app: FastAPI, db: Database) -> None:
        corp, client = self._client(app, db)
        text = "姓名,手机号,会员号\n张三,13800138000,M001\n"
        response = upload(client, corp, text.encode("gb18030"), "a.csv")
        body = finished(client, corp, response.json()["id"])
        assert body["status"] == "done" and body["written_rows"] == 1

    def test_a_file_without_identifier_columns_is_reported(
        self, app: FastAPI, db: Database
    ) -> None:
        corp, client = self._client(app, db)
        response = upload(client, corp, b"foo,bar\n1,2\n", "a.csv")
        body = finished(client, corp, response.json()["id"])
        assert body["status"] == "rejected"
        assert "the first row must name columns" in body["errors_preview"][0]["message"]

    def test_wrong_type_is_a_415(self, app: FastAPI, db: Database) -> None:
        corp, client = self._client(app, db)
        assert upload(client, corp, b"hello", "a.txt").status_code == 415
        assert upload(client, corp, b"not a zip", "a.xlsx").status_code == 415

    def test_too_large_is_a_413(self, app: FastAPI, db: Database, settings: Settings) -> None:
        corp, client = self._client(app, db)
        settings.import_max_bytes = 2048
        assert upload(client, corp, b"a" * 4096, "a.csv").status_code == 413

    def test_staff_may_not_import(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        staff = member_client(app, db, corp=corp, role=Role.staff, staff_userid="alice").client
        assert upload(staff, corp, b"phone\n13800138000\n", "a.csv").status_code == 403


class TestLargeWorkbook:
    def test_100k_rows_with_1_percent_bad_lists_each_and_writes_nothing(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        client = member_client(app, db, corp=corp, role=Role.admin).client
        rows: list[list[Any]] = []
        bad: set[int] = set()
        for i in range(100_000):
            if i % 100 == 37:
                rows.append([f"客户{i}", "1380013", f"B{i}", ""])  # too short
                bad.add(i + 2)  # the header is row 1
            else:
                rows.append([f"客户{i}", f"139{i:08d}", f"B{i}", ""])
        response = upload(client, corp, workbook(rows), "big.xlsx")
        assert response.status_code == 202, response.text
        body = finished(client, corp, response.json()["id"])
        assert (body["status"], body["total_rows"], body["bad_rows"]) == ("rejected", 100_000, 1000)
        listed = report(client, corp, body["id"])
        assert {int(r[0]) for r in listed} == bad
        assert all(r[1] == "phones" for r in listed)
        assert people(db, corp) == 0
        with db.transaction(write=False) as session:
            assert not session.scalar(
                select(func.count())
                .select_from(CustomerIdentity)
                .where(CustomerIdentity.corp_id == corp.id)
            )
